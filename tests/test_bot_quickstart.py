"""The README's review-bot quick start, run as written: empty directory to a bot answering mail."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from botparts import header, outbox_mails
from listmail import PatchSpec, SeriesSpec, build_series, doc_sites, rename_param

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kernel


def quick_start() -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(r"<!-- bot-quickstart -->\n(.*?)<!-- /bot-quickstart -->", text, re.DOTALL)
    assert match is not None
    return "\n".join(line.removeprefix("    ") for line in match.group(1).splitlines())


def test_the_readme_quick_start_runs_a_bot_that_answers(kernel_tree: Path, public_inbox: None,
                                                         tmp_path: Path) -> None:
    site = next(s for s in doc_sites(kernel_tree, ["mm"]) if s.path == "mm/balloon_compaction.c")
    [mail] = build_series(kernel_tree, SeriesSpec("quick", (PatchSpec(
        "mm/balloon: rename", "Doc.", (rename_param(site),)),)), tmp_path / "scratch",
        list_address="demo@example.org")
    (tmp_path / "patch.eml").write_bytes(mail)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "patchaudit").write_text(f'#!/bin/sh\nexec {sys.executable} -m patchaudit "$@"\n')
    (bin_dir / "patchaudit").chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    script = "set -e\n" + quick_start() + """
for i in $(seq 600); do ls outbox/new/* >/dev/null 2>&1 && break; sleep 0.1; done
patchaudit bot status
kill %1
wait
"""
    env = dict(os.environ, HOME=str(home), LINUX=str(kernel_tree), PATCH=str(tmp_path / "patch.eml"),
               PYTHONPATH=str(REPO), PATH=f"{bin_dir}:{os.environ['PATH']}")
    env.pop("PI_CONFIG", None)
    shell = subprocess.Popen(["bash", "-c", script], cwd=home, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = shell.communicate(timeout=300)
    finally:
        # The backgrounded bot must not outlive a failed script.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)
    assert shell.returncode == 0, stderr[-3000:]
    bot = home / "bot"
    [reply] = outbox_mails(bot / "outbox")
    assert header(reply, "In-Reply-To") == "<quick.v1.1@example.org>"
    assert header(reply, "Cc") == "demo@example.org"
    assert "series: 1 (answered 1)" in stdout
    assert (bot / "public" / "index.html").is_file()
    assert (bot / "public" / "series" / "000001" / "report.html").is_file()
    assert "event=bot.stop mode=watch" in (bot / "bot.log").read_text()

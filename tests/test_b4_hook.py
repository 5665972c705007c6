"""patchaudit as b4's am-perpatch-check-cmd, run by b4 itself (from PyPI) on a series of real 6.12 code.

b4 runs the command once per patch, in the top of the git tree, with that one
patch on stdin, and shows every line it prints as a problem of the patch (a
line with ``ERROR:`` as a failure); no output means "passed all checks".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from listmail import PatchSpec, SeriesSpec, build_series, doc_sites, make_repo, rename_param, reword_summary

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kernel
HOOK = "patchaudit check - --per-patch -f terse --no-summary"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_b4_am_check_shows_each_patch_its_own_findings(kernel_tree: Path, b4: str,
                                                        tmp_path: Path) -> None:
    sites = [s for s in doc_sites(kernel_tree, ["mm"]) if s.path == "mm/balloon_compaction.c"]
    linux = tmp_path / "linux"
    make_repo(kernel_tree, [sites[0].path, "Documentation/doc-guide/kernel-doc.rst"], linux)
    spec = SeriesSpec("b4", (
        PatchSpec("mm/balloon: rename", "Doc.", (rename_param(sites[0]),)),
        PatchSpec("mm/balloon: reword", "Doc.", (reword_summary(sites[1]),)),
    ), cover="mm/balloon: two comment changes")
    mails = build_series(kernel_tree, spec, tmp_path / "scratch", repo=linux)
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(b"".join(b"From nobody Mon Sep 17 00:00:00 2001\n" + m + b"\n" for m in mails))
    subprocess.run(["git", "-C", str(linux), "config", "b4.am-perpatch-check-cmd", HOOK], check=True)
    # b4 names a check after its program: a 'patchaudit' on PATH, as pip installs it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "patchaudit").write_text(f'#!/bin/sh\nexec {sys.executable} -m patchaudit "$@"\n')
    (bin_dir / "patchaudit").chmod(0o755)
    env = dict(os.environ, HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONPATH=str(REPO),
               PATH=f"{bin_dir}:{os.environ['PATH']}")
    done = subprocess.run([b4, "--offline-mode", "am", "-m", str(mbox), "--check", "-o",
                           str(tmp_path / "out")], cwd=linux, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = ANSI.sub("", done.stdout + done.stderr).splitlines()
    checks = shown[shown.index("---") + 1: shown.index("Total patches: 2") - 1]
    text = (kernel_tree / sites[0].path).read_text()
    line = text[: text.index(sites[0].block)].count("\n") + sites[0].block.count("\n") + 1
    function = sites[0].name
    assert checks == [
        "  [PATCH 1/2] mm/balloon: rename",
        f"    ● patchaudit: {sites[0].path}:{line}: WARNING: Excess function parameter "
        f"'{sites[0].param}_old' description in '{function}' [PA3001-kernel-doc-excess-param]",
        f"    ● patchaudit: {sites[0].path}:{line}: WARNING: Function parameter "
        f"'{sites[0].param}' not described in '{function}' [PA3002-kernel-doc-undescribed-param]",
        "  [PATCH 2/2] mm/balloon: reword",
        "    ● patchaudit: passed all checks",
    ]
    # The check read the tree; it wrote nothing there.
    status = subprocess.run(["git", "-C", str(linux), "status", "--porcelain"], check=True,
                            capture_output=True, text=True)
    assert status.stdout == ""

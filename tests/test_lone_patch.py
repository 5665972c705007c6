"""One patch of a series given alone (b4's per-patch hook) is checked as itself.

b4 runs ``am-perpatch-check-cmd`` once per patch with that patch's mail on
stdin: the check never sees the other patches, so "patch N/8 is missing" is
noise there. Findings about the series as a whole are for inputs that claim
to be the series: a cover letter, or several patches.
"""

from __future__ import annotations

import io
import mailbox
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from patchaudit.series import load_series
from patchaudit.series.model import ProblemKind

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
PATCHAUDIT = [sys.executable, "-m", "patchaudit"]
COVER_ID = "20181119101600.4711-1-dana@example.org"


def raw_mails() -> list[bytes]:
    """The sample series as a list delivered it, one mail each (cover letter first)."""
    return [message.as_bytes() for message in mailbox.mbox(str(SAMPLES / "series-raw.mbox"))]


def check(stdin: bytes, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PATCHAUDIT, "check", "-", *args], input=stdin.decode("utf-8", "surrogateescape"),
        capture_output=True, text=True, cwd=cwd, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip


def test_a_lone_patch_has_no_series_problems() -> None:
    mail = raw_mails()[3]  # [PATCH v2 3/8]
    series = load_series("-", stdin=io.BytesIO(mail))
    assert series.lone and series.problems == ()
    assert [(p.index, p.subject.total) for p in series.patches] == [(3, 8)]


def test_a_series_that_claims_to_be_whole_still_reports_its_gaps(tmp_path: Path) -> None:
    mails = raw_mails()
    partial = tmp_path / "partial.mbox"
    # The cover letter says 8 patches; two of them alone do not make the series.
    partial.write_bytes(b"".join(_mbox_entry(m) for m in (mails[0], mails[3], mails[5])))
    series = load_series(str(partial))
    assert not series.lone
    missing = [p.message for p in series.problems if p.kind is ProblemKind.MISSING_PATCH]
    assert missing == [f"patch {n}/8 is missing" for n in (1, 2, 4, 6, 7, 8)]


def test_terse_on_one_patch_through_a_pipe() -> None:
    result = check(raw_mails()[3], "--tree", "samples/tree", "-f", "terse", "--no-summary")
    assert result.returncode == 0, result.stderr
    # Patch 3 alone: its own note, and nothing about patches 1-2 and 4-8.
    assert result.stdout == (
        "Documentation/admin-guide/kdump/vmcoreinfo.rst:34: CHECK: the patch edits documentation "
        "that rules encode: PA2007-vmcoreinfo-page-offline-not-exported (now apply: PA2007) "
        "[PA0020-rule-source-changed]\n"
    )


def _b4() -> list[str]:
    found = shutil.which("b4") or str(Path(sys.executable).parent / "b4")
    if not Path(found).is_file():
        pytest.fail("b4 is not installed; it is in the test extra: pip install '.[test]'")
    return [found]


def test_b4_am_runs_patchaudit_once_per_patch(tmp_path: Path) -> None:
    """``b4 am --check`` on a local mbox, as b4 runs its per-patch hook: in the repository's top."""
    repo = tmp_path / "linux"
    shutil.copytree(SAMPLES / "tree", repo)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1",
        "PYTHONPATH": str(REPO), "NO_COLOR": "1",
    }  # fmt: skip

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=Base", "-c", "user.email=base@example.org", "commit", "-qm", "base")
    hook = " ".join([*PATCHAUDIT, "check", "-", "-f", "terse", "--no-summary"])
    git("config", "b4.am-perpatch-check-cmd", hook)
    run = subprocess.run(
        [*_b4(), "--offline-mode", "am", "--check", "-m", str(SAMPLES / "series-raw.mbox"),
         "-o", str(tmp_path / "out"), COVER_ID],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    output = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    checks: dict[int, list[str]] = {}
    for line in output.splitlines():
        patch = re.match(r"\s+\[PATCH v2 (\d)/8\]", line)
        if patch:
            current = checks.setdefault(int(patch.group(1)), [])
        elif "●" in line:
            current.append(line.split("●", 1)[1].strip())
    name = Path(sys.executable).name
    assert "is missing" not in output
    assert checks == {
        1: [f"{name}: include/linux/balloon_compaction.h:18: CHECK: the patch edits documentation "
            "that rules encode: PA2001-balloon-page-lock-after-pages-lock, "
            "PA2002-balloon-list-removal-without-pages-lock (now apply: PA2001, PA2002) "
            "[PA0020-rule-source-changed]"],
        2: [f"{name}: fs/proc/pagetypes.c:33: ERROR: 'PG_balloon' was removed in Linux 5.1; "
            "use 'PG_offline' [PA1004-removed-pg-balloon]",
            f"{name}: include/linux/page-flags.h:100: CHECK: the patch edits documentation that "
            "rules encode: PA1001-removed-pageballoon, PA1002-removed-setpageballoon, "
            "PA1003-removed-clearpageballoon, PA1004-removed-pg-balloon, "
            "PA1005-removed-page-balloon-mapcount-value, PA2006-page-offline-never-cleared "
            "(now apply: PA1001, PA1002, PA1003, PA1004, PA1005, PA2006) "
            "[PA0020-rule-source-changed]"],
        # b4 writes the mail's headers as they were and its body decoded: patch 3
        # still says base64, and is read as the plain text it is.
        3: [f"{name}: Documentation/admin-guide/kdump/vmcoreinfo.rst:34: CHECK: the patch edits "
            "documentation that rules encode: PA2007-vmcoreinfo-page-offline-not-exported "
            "(now apply: PA2007) [PA0020-rule-source-changed]"],
        # Alone, patches 4-7 meet no rule: the PA1xxx rules anchor on the text patch 2 adds.
        4: [f"{name}: passed all checks"],
        5: [f"{name}: passed all checks"],
        6: [f"{name}: passed all checks"],
        7: [f"{name}: passed all checks"],
        8: [f"{name}: drivers/misc/coop_balloon.c:51: ERROR: balloon_page_insert() requires its "
            "caller to hold the page lock of 'page' and balloon_dev_info.pages_lock, but the page "
            "lock of 'page' is not held [PA2003-balloon-page-insert-unlocked]",
            # Alone, patch 8 meets no balloon header text for rule i (patch 1 adds it):
            # the wait at 101 is reported by the contract rule instead of PA2001.
            f"{name}: drivers/misc/coop_balloon.c:101: CHECK: lock_page() may sleep, but "
            "coop_take_back_all() calls it in atomic context (spinning lock "
            "balloon_dev_info.pages_lock held on every path to drivers/misc/coop_balloon.c:101) "
            "[PA4003-contract-sleep-in-atomic]",
            f"{name}: drivers/misc/coop_balloon.c:148: ERROR: balloon_page_delete() requires its "
            "caller to hold the page lock of 'page' and balloon_dev_info.pages_lock, but "
            "balloon_dev_info.pages_lock is not held [PA2004-balloon-page-delete-unlocked]"],
    }  # fmt: skip


def _mbox_entry(mail: bytes) -> bytes:
    return b"From dana@example.org Mon Nov 19 10:16:00 2018\n" + mail + b"\n"

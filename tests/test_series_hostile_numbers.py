"""Numbers in a patch are untrusted: thousands of digits and absurd series lengths.

Python refuses to convert a string of more than 4,300 digits to an int, so
such a number crashed the run; and a subject claiming ``[PATCH 1/999999999]``
listed a billion missing patches.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from patchaudit.series.assemble import assemble
from patchaudit.series.model import Patch, ProblemKind
from patchaudit.series.subject import parse_subject

REPO = Path(__file__).resolve().parents[1]
DIGITS = "9" * 5000


def check(tmp_path: Path, patch: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "tree" / "mm").mkdir(parents=True, exist_ok=True)
    (tmp_path / "tree" / "mm" / "x.c").write_text("a\n")
    (tmp_path / "s.patch").write_text(patch)
    return subprocess.run(
        [sys.executable, "-m", "patchaudit", "check", "s.patch", "--tree", "tree", *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
    )  # fmt: skip


def test_a_hunk_header_with_thousands_of_digits_is_malformed(tmp_path: Path) -> None:
    for header in (f"@@ -{DIGITS} +1 @@", f"@@ -1,{DIGITS} +1 @@"):
        patch = f"diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n{header}\n-a\n+b\n"
        result = check(tmp_path, patch)
        assert result.returncode == 2, result.stderr
        assert result.stderr == f"patchaudit: s.patch: malformed hunk header '{header}' in mm/x.c\n"


def test_a_subject_number_of_thousands_of_digits_is_no_index() -> None:
    subject = parse_subject(f"[PATCH v{DIGITS} {DIGITS}/{DIGITS}] mm: x")
    assert (subject.index, subject.total, subject.version) == (None, None, 1)
    assert subject.prefixes == ("PATCH", f"v{DIGITS}", f"{DIGITS}/{DIGITS}")


def test_a_series_claiming_a_billion_patches_lists_the_gap_once(tmp_path: Path) -> None:
    # Two patches of the claimed series (one alone would be checked as itself).
    mails = "".join(
        f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        f"From: A <a@example.org>\nSubject: [PATCH {n}/999999999] mm: x{n}\n\n---\n"
        f"diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n-{a}\n+{b}\n\n"
        for n, a, b in ((2, "a", "b"), (4, "b", "c"))
    )
    started = time.monotonic()
    result = check(tmp_path, mails, "-f", "terse")
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stderr
    assert "patch 1/999999999 is missing" in result.stdout
    assert "patch 3/999999999 is missing" in result.stdout
    assert "patches 5-999999999/999999999 are missing (999999995 patches)" in result.stdout


def test_short_runs_of_missing_patches_are_still_listed_one_by_one() -> None:
    subjects = [parse_subject(f"[PATCH {i}/30] x") for i in (1, 5, 30)]
    patches = [Patch(source=f"p{i}", subject=s, files=()) for i, s in enumerate(subjects)]
    problems = [p for p in assemble(patches, "s").problems if p.kind is ProblemKind.MISSING_PATCH]
    assert [p.message for p in problems] == [
        "patch 2/30 is missing", "patch 3/30 is missing", "patch 4/30 is missing",
        "patches 6-29/30 are missing (24 patches)",
    ]  # fmt: skip


def test_a_desc_fd_of_thousands_of_digits_is_an_input_error(tmp_path: Path) -> None:
    patch = "diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1 +1 @@\n-a\n+b\n"
    result = check(tmp_path, patch, "--exit-style", "nipa", DESC_FD=DIGITS)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"patchaudit: DESC_FD={DIGITS[:20]}: cannot write the summary: Bad file descriptor\n"
    )

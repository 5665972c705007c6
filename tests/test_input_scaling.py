"""Hostile input sizes cost linear time: long header lines, failing hunks against large files.

Each case is sized so that the quadratic code it replaced took minutes (the
figures in the comments); the bound leaves a margin of tens for a loaded
machine and still fails long before the old code would finish.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

from patchaudit.series.diff import parse_diff
from patchaudit.series.model import Hunk, HunkLine, LineKind
from patchaudit.series.paths import split_git_line
from patchaudit.tree.hunks import NO_MATCH, apply_hunks


class TooSlow(Exception):
    pass


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail the test (instead of hanging it) when the body takes longer than ``seconds``."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise TooSlow(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < seconds


@pytest.mark.parametrize(
    "rest",
    [
        "a/x" + " " * 2_000_000 + "b/x",  # before: 320,000 spaces took 5.4 s, 2 MB did not finish
        "a/" + "x " * 1_000_000 + "c/y",
        " " * 2_000_000,
    ],
    ids=["no-cut-matches", "many-spaces-no-match", "only-spaces"],
)
def test_splitting_a_diff_git_line_is_linear(rest: str) -> None:
    with within(3):
        found = split_git_line(rest)
    assert found is None or found[0][2:] == found[1][2:]


def test_the_names_of_a_diff_git_line_are_still_found() -> None:
    assert split_git_line("a/mm/a b.c b/mm/a b.c") == ("a/mm/a b.c", "b/mm/a b.c")
    assert split_git_line("a/x b/y") is None  # a rename: the rename lines say which
    assert split_git_line("a/same same") is None


def test_a_diff_with_a_two_megabyte_header_line_parses_in_linear_time() -> None:
    name = "x" * 1_000_000
    text = f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n-a\n+b\n"
    with within(3):
        (diff,) = parse_diff(text)
    assert diff.new_path == name


def alternating(count: int) -> bytes:
    return b"".join(b"a\n" if i % 2 == 0 else b"b\n" for i in range(count))


def failing_hunk(length: int, start: int) -> Hunk:
    """Context that alternates like the file and breaks the alternation at its last line.

    Every line of it is common in the file, so a search by its rarest line
    has half the file for candidates, and each matches all but the last line.
    """
    texts = ["a" if i % 2 == 0 else "b" for i in range(length)]
    texts[-1] = texts[-2]
    lines = [HunkLine(LineKind.CONTEXT, text) for text in texts]
    middle = length // 2
    lines[middle] = HunkLine(LineKind.REMOVED, texts[middle])  # equal context on both sides
    return Hunk(start, length, start, length - 1, "", tuple(lines))


def test_failing_hunks_against_a_large_file_cost_linear_time() -> None:
    # Before: one such hunk took 6 s against 200,000 lines, three took 33.5 s.
    content = alternating(200_000)
    hunks = [failing_hunk(1001, 1 + 50_000 * k) for k in range(3)]
    with within(10):
        patched = apply_hunks(content, hunks)
    assert [(h.applied, h.reason) for h in patched.hunks] == [(False, NO_MATCH)] * 3
    assert patched.after == content


def test_a_hunk_that_moved_far_in_a_repetitive_file_is_still_found() -> None:
    # The bounded search may not lose a real match: this one is 150,000 lines
    # from where its header says, among 100,000 near-misses.
    content = alternating(200_000) + b"a\nc\nb\n" + alternating(1000)
    lines = tuple(
        [HunkLine(LineKind.CONTEXT, t) for t in ["a", "b"] * 200]
        + [HunkLine(LineKind.CONTEXT, "a"), HunkLine(LineKind.REMOVED, "c"),
           HunkLine(LineKind.CONTEXT, "b")]
        + [HunkLine(LineKind.CONTEXT, t) for t in ["a", "b"] * 200]
    )  # fmt: skip
    hunk = Hunk(50_000, len(lines), 50_000, len(lines) - 1, "", lines)
    with within(5):
        patched = apply_hunks(content, [hunk])
    (result,) = patched.hunks
    assert result.applied
    assert result.offset == 200_000 - 400 + 1 - 50_000
    assert patched.after == alternating(200_000) + b"a\nb\n" + alternating(1000)

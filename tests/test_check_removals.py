"""Removal-aware check: where a removed line is reported, and which finding it stands for."""

from __future__ import annotations

from patchaudit.engine.removals import _places, with_removals
from patchaudit.model import Confidence, Finding, Severity, Status, TraceStep
from patchaudit.series.model import FileChange
from patchaudit.tree.results import FileResult


def result(before: str, after: str, removed: set[int], added: set[int]) -> FileResult:
    return FileResult(
        path="drivers/misc/demo.c", old_path="drivers/misc/demo.c", change=FileChange.MODIFIED,
        before=before.encode(), after=after.encode(), added_lines=frozenset(added),
        removed_lines=frozenset(removed), hunks=(), applied=True, reason="",
    )


def test_a_removed_line_is_placed_where_the_patch_put_something_else_or_where_the_next_line_is() -> None:
    # b and c replaced by X: both were where X is now.
    place = _places(result("a\nb\nc\nd\n", "a\nX\nd\n", {2, 3}, {2}))
    assert [place(line) for line in (1, 2, 3, 4)] == [1, 2, 2, 3]
    # b deleted: it was where c is now.
    place = _places(result("a\nb\nc\n", "a\nc\n", {2}, set()))
    assert [place(line) for line in (1, 2, 3)] == [1, 2, 2]
    # The first line deleted, and the last one: the first and the last line of the new file.
    assert _places(result("a\nb\n", "b\n", {1}, set()))(1) == 1
    assert _places(result("a\nb\n", "a\n", {2}, set()))(2) == 1


def finding(line: int, status: Status = Status.NEW, rule: str = "PA2006",
            trace: tuple[TraceStep, ...] = ()) -> Finding:
    return Finding(rule, Severity.ERROR, Confidence.MEDIUM, "drivers/misc/demo.c", line, 0,
                   f"finding at {line}", status=status, trace=trace)


def test_a_removal_stands_for_the_new_finding_it_explains_and_for_nothing_else() -> None:
    removal = finding(23, trace=(TraceStep("drivers/misc/demo.c", 14, "still sets the state"),
                                 TraceStep("drivers/misc/demo.c", 23, "was here")))
    compared = [
        finding(14),  # the set whose clear the patch removed: replaced
        finding(30),  # another new finding the removal does not trace: kept
        finding(14, rule="PA2007"),  # another rule's finding on the traced line: kept
        finding(14, status=Status.PREEXISTING),  # was there before the patch: kept
    ]
    merged = with_removals(compared, [removal], frozenset({40}))
    assert merged == compared[1:] + [removal]
    # A new finding on a line the patch added is the patch's own: kept.
    assert with_removals([finding(14)], [removal], frozenset({14})) == [finding(14), removal]

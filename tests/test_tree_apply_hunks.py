"""Applying hunks to one file: exact, offset, failure, fuzz, end of file, line ends, line sets."""

from __future__ import annotations

from pathlib import Path

from tree_diff import make_patch

from patchaudit.tree import BaseTree, FileResult, HunkResult, Snapshot, apply_patch, line_map
from patchaudit.tree.hunks import NO_MATCH, OUT_OF_ORDER


def numbered(first: int, last: int) -> bytes:
    return b"".join(b"\tline %d;\n" % n for n in range(first, last + 1))


def apply_one(tmp_path: Path, content: bytes, diff: str, *, fuzz: int = 0) -> FileResult:
    """Apply ``diff`` (one file, f.c) to a tree holding ``content`` as f.c."""
    (tmp_path / "f.c").write_bytes(content)
    application = apply_patch(Snapshot(BaseTree(tmp_path)), make_patch(diff), 1, fuzz=fuzz)
    (result,) = application.files
    assert application.after.read("f.c") == result.after
    return result


HEADER = "diff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n"

ONE_HUNK = HEADER + (
    "@@ -4,7 +4,8 @@ int f(void)\n"
    " \tline 4;\n \tline 5;\n \tline 6;\n"
    "-\tline 7;\n+\tline seven;\n+\tline 7b;\n"
    " \tline 8;\n \tline 9;\n \tline 10;\n"
)
ONE_HUNK_AFTER_LINES = b"\tline seven;\n\tline 7b;\n"


def test_exact_context(tmp_path: Path) -> None:
    result = apply_one(tmp_path, numbered(1, 20), ONE_HUNK)
    assert result.after == numbered(1, 6) + ONE_HUNK_AFTER_LINES + numbered(8, 20)
    assert result.hunks == (HunkResult(1, "@@ -4,7 +4,8 @@ int f(void)", True, 0, ""),)
    assert result.applied and result.reason == ""
    assert result.added_lines == frozenset({7, 8})
    assert result.removed_lines == frozenset({7})


def test_offset_forward(tmp_path: Path) -> None:
    content = b"/* a */\n/* b */\n/* c */\n" + numbered(1, 20)
    result = apply_one(tmp_path, content, ONE_HUNK)
    assert result.hunks[0].offset == 3 and result.hunks[0].applied
    assert result.after == b"/* a */\n/* b */\n/* c */\n" + numbered(
        1, 6
    ) + ONE_HUNK_AFTER_LINES + numbered(8, 20)
    assert result.added_lines == frozenset({10, 11})
    assert result.removed_lines == frozenset({10})


def test_offset_backward(tmp_path: Path) -> None:
    result = apply_one(tmp_path, numbered(3, 20), ONE_HUNK)
    assert result.hunks[0].offset == -2
    assert result.after == numbered(3, 6) + ONE_HUNK_AFTER_LINES + numbered(8, 20)
    assert result.removed_lines == frozenset({5})


REPEATED = HEADER + "@@ -10,3 +10,3 @@\n \tx = 1;\n-\ty = 2;\n+\ty = 3;\n \tz = 4;\n"
BLOCK = b"\tx = 1;\n\ty = 2;\n\tz = 4;\n"


def test_nearest_match_wins(tmp_path: Path) -> None:
    # The block is at line 8 (offset -2) and at line 18 (offset +8): the nearer one changes.
    content = numbered(1, 7) + BLOCK + numbered(11, 17) + BLOCK + numbered(21, 30)
    result = apply_one(tmp_path, content, REPEATED)
    assert result.hunks[0].offset == -2
    assert result.removed_lines == frozenset({9}) and result.added_lines == frozenset({9})
    assert result.after == content.replace(BLOCK, BLOCK.replace(b"2;", b"3;"), 1)


def test_nearest_match_tie_goes_forward(tmp_path: Path) -> None:
    # Lines 7 and 13 (offsets -3 and +3): like patch(1), the later one is tried first.
    content = numbered(1, 6) + BLOCK + numbered(10, 12) + BLOCK + numbered(16, 20)
    result = apply_one(tmp_path, content, REPEATED)
    assert result.hunks[0].offset == 3
    assert result.removed_lines == frozenset({14})


THREE_HUNKS = HEADER + (
    "@@ -2,3 +2,4 @@\n \tline 2;\n+\tadded a;\n \tline 3;\n \tline 4;\n"
    "@@ -10,3 +11,3 @@\n \tline 10;\n-\tline 11 differs;\n+\tline eleven;\n \tline 12;\n"
    "@@ -20,4 +21,5 @@\n \tline 20;\n \tline 21;\n+\tadded c;\n \tline 22;\n \tline 23;\n"
)


def test_failing_hunk_is_skipped_and_the_rest_applies(tmp_path: Path) -> None:
    result = apply_one(tmp_path, numbered(1, 30), THREE_HUNKS)
    assert result.hunks == (
        HunkResult(1, "@@ -2,3 +2,4 @@", True, 0, ""),
        HunkResult(2, "@@ -10,3 +11,3 @@", False, 0, NO_MATCH),
        HunkResult(3, "@@ -20,4 +21,5 @@", True, 0, ""),
    )
    assert not result.applied and result.reason == "1 of 3 hunks failed"
    assert result.after == (
        numbered(1, 2) + b"\tadded a;\n" + numbered(3, 21) + b"\tadded c;\n" + numbered(22, 30)
    )
    assert result.added_lines == frozenset({3, 23})
    assert result.removed_lines == frozenset()


def test_hunks_out_of_order(tmp_path: Path) -> None:
    diff = HEADER + (
        "@@ -10,3 +10,3 @@\n \tline 10;\n-\tline 11;\n+\tline eleven;\n \tline 12;\n"
        "@@ -2,3 +2,3 @@\n \tline 2;\n-\tline 3;\n+\tline three;\n \tline 4;\n"
    )
    result = apply_one(tmp_path, numbered(1, 20), diff)
    assert [(h.applied, h.reason) for h in result.hunks] == [(True, ""), (False, OUT_OF_ORDER)]


def test_hunks_may_share_context_lines(tmp_path: Path) -> None:
    # Made on "a b c x d e f d e f y g h i"; the tree lost one "d e f": hunk 2 lands 3 lines
    # higher, its leading context being hunk 1's trailing context.
    diff = HEADER + (
        "@@ -1,7 +1,7 @@\n a\n b\n c\n-x\n+X\n d\n e\n f\n"
        "@@ -8,7 +8,7 @@\n d\n e\n f\n-y\n+Y\n g\n h\n i\n"
    )
    result = apply_one(tmp_path, b"a\nb\nc\nx\nd\ne\nf\ny\ng\nh\ni\n", diff)
    assert [(h.applied, h.offset) for h in result.hunks] == [(True, 0), (True, -3)]
    assert result.after == b"a\nb\nc\nX\nd\ne\nf\nY\ng\nh\ni\n"
    assert result.removed_lines == frozenset({4, 8}) and result.added_lines == frozenset({4, 8})


FUZZY = HEADER + (
    "@@ -4,7 +4,7 @@\n"
    " \tline four;\n \tline 5;\n \tline 6;\n-\tline 7;\n+\tline seven;\n"
    " \tline 8;\n \tline 9;\n \tline ten;\n"
)


def test_fuzz_ignores_outer_context_lines(tmp_path: Path) -> None:
    content = numbered(1, 20)
    exact = apply_one(tmp_path, content, FUZZY)
    assert exact.hunks == (HunkResult(1, "@@ -4,7 +4,7 @@", False, 0, NO_MATCH),)
    assert exact.after == content
    fuzzed = apply_one(tmp_path, content, FUZZY, fuzz=1)
    assert fuzzed.hunks == (HunkResult(1, "@@ -4,7 +4,7 @@", True, 0, "fuzz 1"),)
    # The file keeps its own lines where the patch's context was ignored.
    assert fuzzed.after == numbered(1, 6) + b"\tline seven;\n" + numbered(8, 20)


def test_fuzz_level_is_a_limit(tmp_path: Path) -> None:
    diff = HEADER + (
        "@@ -4,7 +4,7 @@\n"
        " \tline four;\n \tline five;\n \tline 6;\n-\tline 7;\n+\tline seven;\n"
        " \tline 8;\n \tline 9;\n \tline 10;\n"
    )
    assert not apply_one(tmp_path, numbered(1, 20), diff, fuzz=1).applied
    fuzzed = apply_one(tmp_path, numbered(1, 20), diff, fuzz=2)
    assert fuzzed.hunks[0].reason == "fuzz 2"
    assert fuzzed.removed_lines == frozenset({7})


def test_hunk_cut_by_start_of_file_only_matches_there(tmp_path: Path) -> None:
    diff = HEADER + "@@ -1,3 +1,4 @@\n+/* first */\n \tline 1;\n \tline 2;\n \tline 3;\n"
    assert apply_one(tmp_path, numbered(1, 9), diff).after == b"/* first */\n" + numbered(1, 9)
    shifted = apply_one(tmp_path, b"/* moved */\n" + numbered(1, 9), diff)
    assert shifted.hunks[0].reason == NO_MATCH


def test_hunk_cut_by_end_of_file_only_matches_there(tmp_path: Path) -> None:
    diff = HEADER + "@@ -7,3 +7,4 @@\n \tline 7;\n \tline 8;\n \tline 9;\n+/* last */\n"
    assert apply_one(tmp_path, numbered(1, 9), diff).after == numbered(1, 9) + b"/* last */\n"
    assert apply_one(tmp_path, numbered(1, 9) + b"\n", diff).hunks[0].reason == NO_MATCH


def test_hunk_without_context(tmp_path: Path) -> None:
    diff = HEADER + "@@ -5,0 +6,2 @@\n+\tnew a;\n+\tnew b;\n@@ -8 +9,0 @@\n-\tline 8;\n"
    result = apply_one(tmp_path, numbered(1, 9), diff)
    assert result.after == numbered(1, 5) + b"\tnew a;\n\tnew b;\n" + numbered(6, 7) + numbered(
        9, 9
    )
    assert result.added_lines == frozenset({6, 7})
    assert result.removed_lines == frozenset({8})


def test_no_newline_at_end_of_old_file(tmp_path: Path) -> None:
    diff = HEADER + "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
    assert apply_one(tmp_path, b"a\nb", diff).after == b"a\nc\n"
    # The file has the newline the patch says it lacks: not the same file.
    assert apply_one(tmp_path, b"a\nb\n", diff).hunks[0].reason == NO_MATCH


def test_no_newline_at_end_of_new_file(tmp_path: Path) -> None:
    diff = HEADER + "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n"
    result = apply_one(tmp_path, b"a\nb\n", diff)
    assert result.after == b"a\nc"
    assert result.added_lines == frozenset({2})


def test_no_newline_on_both_sides(tmp_path: Path) -> None:
    diff = HEADER + ("@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n\\ No newline at end of file\n")
    assert apply_one(tmp_path, b"a\nb\nc", diff).after == b"a\nB\nc"
    diff = (
        HEADER + "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"
    )
    assert apply_one(tmp_path, b"a", diff).after == b"b"


def test_crlf_file_keeps_its_line_ends(tmp_path: Path) -> None:
    content = b"a\r\nb\r\nc\r\n"
    expected = b"a\r\nB\r\nB2\r\nc\r\n"
    without_cr = HEADER + "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+B2\n c\n"
    with_cr = HEADER + "@@ -1,3 +1,4 @@\n a\r\n-b\r\n+B\r\n+B2\r\n c\r\n"
    assert apply_one(tmp_path, content, without_cr).after == expected
    assert apply_one(tmp_path, content, with_cr).after == expected
    # An LF file stays LF even if the mail added CRs to the patch.
    assert apply_one(tmp_path, b"a\nb\nc\n", with_cr).after == b"a\nB\nB2\nc\n"


def test_bytes_that_are_not_utf8_round_trip(tmp_path: Path) -> None:
    diff = HEADER + "@@ -1,2 +1,2 @@\n caf\udce9\n-x\n+\udcff\udcfe\n"
    assert apply_one(tmp_path, b"caf\xe9\nx\n", diff).after == b"caf\xe9\n\xff\xfe\n"


def test_line_map(tmp_path: Path) -> None:
    result = apply_one(tmp_path, numbered(1, 20), ONE_HUNK)
    mapped = line_map(result)
    assert [mapped(n) for n in range(22)] == [
        None, 1, 2, 3, 4, 5, 6, None, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, None,
    ]  # fmt: skip


def test_line_map_after_failed_hunk_and_with_offset(tmp_path: Path) -> None:
    result = apply_one(tmp_path, numbered(1, 30), THREE_HUNKS)
    mapped = line_map(result)
    assert [mapped(n) for n in (1, 2, 3, 11, 21, 22, 30)] == [1, 2, 4, 12, 22, 24, 32]

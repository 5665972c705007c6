"""C highlighting of diff lines: tokens and classes, block comments followed across lines."""

from __future__ import annotations

from patchaudit.report.highlight import highlight_lines


def test_tokens_of_a_line() -> None:
    assert highlight_lines(['\tif (x == 0x1f) return "a<b"; // done']) == [[
        ("", "\t"), ("c-keyword", "if"), ("", " (x == "), ("c-number", "0x1f"), ("", ") "),
        ("c-keyword", "return"), ("", " "), ("c-string", '"a<b"'), ("", "; "),
        ("c-comment", "// done"),
    ]]


def test_block_comment_across_lines_and_hunk_starting_inside_one() -> None:
    lines = [" * PageOffline() pages can't be touched", " */", "static int x;", "/* a", "b */ int y;"]
    assert highlight_lines(lines) == [
        [("c-comment", " * PageOffline() pages can't be touched")],
        [("c-comment", " */")],
        [("c-keyword", "static"), ("", " "), ("c-keyword", "int"), ("", " x;")],
        [("c-comment", "/* a")],
        [("c-comment", "b */"), ("", " "), ("c-keyword", "int"), ("", " y;")],
    ]


def test_dereference_is_code_and_preprocessor_is_marked() -> None:
    assert highlight_lines(["\t*p = 'c';", "#ifdef CONFIG_X"]) == [
        [("", "\t*p = "), ("c-char", "'c'"), ("", ";")],
        [("c-preproc", "#ifdef"), ("", " CONFIG_X")],
    ]

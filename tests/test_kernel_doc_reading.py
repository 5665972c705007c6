"""The quick comment reading of kernel-doc against the C front end's tokenizer, on real Linux 6.12 files."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchaudit.analyses.docs.source import column_one_comments, column_one_spans, doc_comment_spans
from patchaudit.cfront.ir import Comment
from patchaudit.cfront.lower_text import scan_text

pytestmark = pytest.mark.kernel

# Headers full of doc blocks and macros, drivers with strings and continued lines.
DIRS = ("include/linux", "mm", "kernel/power", "drivers/spi", "lib")


def _texts(kernel_tree: Path) -> list[tuple[str, str]]:
    found = []
    for top in DIRS:
        for path in sorted((kernel_tree / top).rglob("*.[ch]")):
            if path.is_file() and not path.is_symlink():
                text = path.read_bytes().decode("utf-8", "surrogateescape")
                found.append((path.relative_to(kernel_tree).as_posix(), text))
    return found


def _tokenizer_column_one(text: str) -> list[Comment]:
    """The block comments the front end's tokenizer reads whose "/*" starts a line."""
    lines = text.split("\n")
    found = []
    seen_lines = set()
    for comment in scan_text(text).comments:
        if comment.start_line in seen_lines:
            continue  # a second comment on a line cannot start it
        seen_lines.add(comment.start_line)
        opening_line = comment.text.split("\n", 1)[0]
        if comment.text.startswith("/*") and lines[comment.start_line - 1].startswith(opening_line):
            found.append(comment)
    return found


def test_column_one_comments_are_what_the_tokenizer_reads(kernel_tree: Path) -> None:
    texts = _texts(kernel_tree)
    assert len(texts) > 2000
    differing = [
        path
        for path, text in texts
        if list(column_one_comments(text)) != _tokenizer_column_one(text)
    ]
    assert differing == []


def test_doc_comment_spans_are_the_column_one_spans_a_doc_block_may_be(kernel_tree: Path) -> None:
    differing = []
    for path, text in _texts(kernel_tree):
        wanted = [
            span
            for span in column_one_spans(text)
            if text.startswith("/**", span[0]) or "@" in text[span[0] : span[1]]
        ]
        if list(doc_comment_spans(text)) != wanted:
            differing.append(path)
    assert differing == []

"""Every rule quotes the whole statement it enforces, as the tree words it.

A quote is checked where its text is anchored: in Linux 6.12 where the rule
applies there, else in the sample tree after the sample series. It must
start where a sentence, list item or paragraph starts, and end where one
ends: never on a colon that introduces what follows (PA2001 used to stop at
"...(lru_lock, balloon_lock):", before the lock-order diagram it enforces),
never before a parenthesis that finishes its sentence, never on a section
heading without the section.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchaudit.resources import rules_dir
from patchaudit.ruleset import Rule, load_rules
from patchaudit.ruleset.anchor import find_span, strip_decoration
from patchaudit.series import load_series
from patchaudit.tree.apply import apply_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules([rules_dir()])

# A lone list marker before the quote on its line: "i.", "ii.", "2.", "-", "*", "(a)".
_MARKER = re.compile(r"(?:[ivx]+\.|\d+[.)]|[-*]|\([a-z0-9]+\))")
# An rst section underline: the line before it is a heading, not a statement.
_UNDERLINE = re.compile(r"([-=~^\"'`#*+])\1{3,}")
_SENTENCE_END = (".", "!", "?")
# Text that carries a sentence on: a parenthesis, or a plain lower-case word
# ("page->mapping is ..." starts a sentence with an identifier: that is new).
_GOES_ON = re.compile(r"\(|[a-z]+(?=[\s,;:.]|$)")


def _paragraph_break(line: str) -> bool:
    """A line that ends a paragraph: blank once decoration is gone, or a comment's own edge."""
    bare = line.strip()
    return not strip_decoration(line).strip() or bare in ("/*", "/**", "*/", "*")


def statement_problem(text: str, data: bytes) -> str | None:
    """Why the quote ``text`` is not a whole statement of ``data``; None when it is."""
    span = find_span(text, data)
    if span is None:
        return "the text is not in the file"
    lines = data.decode("utf-8", "surrogateescape").splitlines()
    first, last = span
    words = text.split()
    head = strip_decoration(lines[first - 1])
    before = head[: head.find(words[0])] if words[0] in head else ""
    tail = strip_decoration(lines[last - 1])
    after = tail[tail.rfind(words[-1]) + len(words[-1]) :] if words[-1] in tail else ""
    if before.strip():
        if not (before.rstrip().endswith((*_SENTENCE_END, ":")) or _MARKER.fullmatch(before.strip())):
            return f"it starts inside a sentence, after {before.strip()!r}"
    elif first > 1 and not _paragraph_break(lines[first - 2]):
        previous = strip_decoration(lines[first - 2]).rstrip()
        if not previous.endswith((*_SENTENCE_END, ":")):
            return f"it starts inside a sentence begun on the line before: {previous!r}"
    if text.rstrip().endswith((":", ",")):
        return f"it ends on {text.rstrip()[-1]!r}: what follows is part of the statement"
    following = lines[last] if last < len(lines) else ""
    if _UNDERLINE.fullmatch(strip_decoration(following).strip()):
        return "it is a section heading: the statement is the section under it"
    ended = text.rstrip().endswith(_SENTENCE_END)
    if after.strip():
        rest = after.strip()
        if not ended or _GOES_ON.match(rest):
            return f"its sentence goes on: {rest!r}"
    elif not _paragraph_break(following):
        upcoming = strip_decoration(following).strip()
        if not ended or (_GOES_ON.match(upcoming) and not _MARKER.match(upcoming)):
            return f"its sentence goes on on the next line: {upcoming!r}"
    return None


@pytest.fixture(scope="module")
def sample_after_series() -> dict[str, bytes]:
    """The files of the sample tree after the whole sample series, as the rules read them."""
    applications = apply_series(
        BaseTree(REPO / "samples" / "tree"), load_series(str(REPO / "samples" / "series.mbox"))
    )
    snapshot = applications[-1].after
    return {
        rule.source.file: data
        for rule in RULES
        if (data := snapshot.read(rule.source.file)) is not None
    }


@pytest.fixture(scope="module")
def sample_2026_after_series() -> dict[str, bytes]:
    """The files of samples/2026/tree after its series: the 2026 era's rules quote them."""
    applications = apply_series(
        BaseTree(REPO / "samples" / "2026" / "tree"),
        load_series(str(REPO / "samples" / "2026" / "series.mbox")),
    )
    snapshot = applications[-1].after
    return {
        rule.source.file: data
        for rule in RULES
        if (data := snapshot.read(rule.source.file)) is not None
    }


@pytest.mark.kernel
@pytest.mark.parametrize("rule", list(RULES), ids=lambda rule: rule.id)
def test_each_rule_quotes_a_whole_statement(
    rule: Rule, kernel_tree: Path, sample_after_series: dict[str, bytes],
    sample_2026_after_series: dict[str, bytes],
) -> None:
    path = kernel_tree / rule.source.file
    data = path.read_bytes() if path.is_file() else b""
    where = f"{rule.source.file} of Linux 6.12"
    if find_span(rule.source.text, data) is None:
        # The rule does not apply to 6.12 (PA2004: the 5.x balloon_page_delete contract).
        data = sample_after_series.get(rule.source.file, b"")
        where = f"{rule.source.file} of the sample tree after the series"
    if find_span(rule.source.text, data) is None:
        # The 2026 era's text (PA2008-PA2011: balloon_pages_lock) is in its own sample.
        data = sample_2026_after_series.get(rule.source.file, b"")
        where = f"{rule.source.file} of samples/2026 after its series"
    problem = statement_problem(rule.source.text, data)
    assert problem is None, f"{rule.id} quotes {where}, but {problem}"


def test_the_check_knows_a_cut_statement() -> None:
    header = (
        b"/*\n"
        b" * Rules:\n"
        b" *   i. take the locks in this order:\n"
        b" *\t    +-page_lock(page);\n"
        b" *\t      +--spin_lock_irq(&lock);\n"
        b" *\n"
        b" * A page is offline. (e.g. in a balloon).\n"
        b" * Pages stay put.\n"
        b" */\n"
    )
    assert statement_problem("take the locks in this order:", header) == (
        "it ends on ':': what follows is part of the statement"
    )
    assert statement_problem(
        "take the locks in this order: +-page_lock(page); +--spin_lock_irq(&lock);", header
    ) is None
    assert statement_problem("A page is offline.", header) == "its sentence goes on: '(e.g. in a balloon).'"
    assert statement_problem("A page is offline. (e.g. in a balloon).", header) is None
    assert statement_problem("is offline. (e.g. in a balloon).", header) == (
        "it starts inside a sentence, after 'A page'"
    )
    assert statement_problem("in a balloon). Pages stay put.", header) is not None
    rst = b"Heading\n-------\n\nThe body of it.\n"
    assert statement_problem("Heading", rst) == (
        "it is a section heading: the statement is the section under it"
    )
    assert statement_problem("Heading ------- The body of it.", rst) is None

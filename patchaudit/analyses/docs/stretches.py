"""Where a C text's comments may be and what stands around them, on text alone (PA3101's gate).

A stretch is a superset of a comment, as in bytescan.py: a block runs from
any "/*" to the next "*/", a line comment from any "//" to its line's end
(a backslash-newline continues it). A "/*" in a literal only adds a
stretch, and a real comment is always inside one. Whole-tree scans call
these on every file that may mention a page flag or a member, so each
search is done by str.find or by a pattern the engine can jump through,
and the rest only where a question needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property

from patchaudit.analyses.docs.blocks import doc_block
from patchaudit.cfront.ir import Comment

# Spelled the way the mention patterns need them (mentions.py).
NEEDLES = ("Page", "PG_", "->")


def holding_patterns(needles: tuple[str, ...]) -> tuple[str, str]:
    """Pattern sources for a block and for a line stretch holding one of ``needles``.

    "/*", then the stretch up to the first needle before its "*/": runs of
    characters that neither end it nor begin a needle, a "*" not closing, a
    first character of a needle not followed by the rest of it. "//" the
    same up to its line's end (a backslash-newline continues it, as in
    line_spans). Atomic (no backtracking), so a stretch without a needle
    costs one pass, and the leading literal lets the engine jump from opener
    to opener (twice as fast as str.find of "//"). The sources suit str and,
    encoded, bytes patterns alike (bytescan.py; grep -P). The loops are
    atomic groups, (?>X*), not X*+: Python before 3.11.5 matches a possessive
    repeat of a group wrongly (CPython gh-106052, see lower_text.py).
    """
    if any(not needle.isascii() or not needle or needle[0] in "*/\\\n" for needle in needles):
        raise ValueError("a needle must be ASCII, not empty, and not begin with '*', '/', '\\' or a newline")
    firsts = sorted({needle[0] for needle in needles})
    steps = ""
    for first in firsts:
        rests = [re.escape(needle[1:]) for needle in needles if needle[0] == first]
        if all(rests):  # a one-character needle cannot be stepped over
            steps += "|" + re.escape(first) + "(?!" + "|".join(rests) + ")"
    plain = "".join(re.escape(first) for first in firsts)
    found = "(?:" + "|".join(re.escape(needle) for needle in needles) + ")"
    block = r"/\*(?>(?:[^*" + plain + r"]++|\*(?!/)" + steps + ")*)" + found
    line = r"//(?>(?:[^\n\\" + plain + r"]++|\\\r?\n|\\" + steps + ")*)" + found
    return block, line


_NEEDLE_BLOCK_SOURCE, _NEEDLE_LINE_SOURCE = holding_patterns(NEEDLES)
_NEEDLE_BLOCK_RE = re.compile(_NEEDLE_BLOCK_SOURCE)
_NEEDLE_LINE_RE = re.compile(_NEEDLE_LINE_SOURCE)
# Where a struct, union or enum body opens: the keyword, a tag and
# annotations, then "{". Parentheses only in an annotation's arguments
# (__attribute__((packed)), __aligned(8)): "struct page *page) {" is a
# function body.
_AGGREGATE_RE = re.compile(
    r"\b(?:struct|union|enum)\b(?:[^;{}()]|__\w+\s*\((?:[^()]|\([^()]*\))*\))*\{"
)
# The characters _AGGREGATE_RE's run of plain characters stops at.
_STOP_RE = re.compile(r"[;{}()]")


def block_end(text: str, start: int) -> int:
    """Index just past the "*/" closing the block stretch opened at ``start`` (or the end)."""
    end = text.find("*/", start + 2)
    return len(text) if end < 0 else end + 2


def block_spans(text: str) -> Iterator[tuple[int, int]]:
    """Start and end of each block stretch, in text order."""
    pos = 0
    while (start := text.find("/*", pos)) >= 0:
        pos = block_end(text, start)
        yield start, pos


def line_spans(text: str, pos: int = 0) -> Iterator[tuple[int, int]]:
    """Start and end of each line stretch from index ``pos`` on (without its final newline)."""
    while (start := text.find("//", pos)) >= 0:
        end = text.find("\n", start + 2)
        while end >= 0 and text[max(end - 2, 0) : end].rstrip("\r").endswith("\\"):
            end = text.find("\n", end + 1)
        pos = len(text) if end < 0 else end
        yield start, pos


def stretches(text: str) -> Iterator[tuple[int, str]]:
    """Every stretch with where it starts: the block stretches, then the line stretches."""
    for start, end in block_spans(text):
        yield start, text[start:end]
    for start, end in line_spans(text):
        yield start, text[start:end]


def needle_stretches(text: str) -> list[tuple[int, int]]:
    """Start and end of every stretch that holds one of NEEDLES, in text order.

    Only the stretches with a needle are visited in Python. A pattern finds
    the first opener whose stretch holds a needle. Every stretch opener it
    passes holds none, and so does every opener inside such a stretch: a
    later "//" on the same logical line ends where the stretch does, a later
    "/*" at the same "*/". The one exception is a "/*" that shares its "*"
    with the stretch's closing "*/" ("/*/" or "*/*"): its own search for a
    "*/" begins past that one, so only there is it checked whether the
    match opens a stretch at all.
    """
    found = []
    pos = 0
    while (match := _NEEDLE_LINE_RE.search(text, pos)) is not None:
        start, pos = next(line_spans(text, match.start()))
        found.append((start, pos))
    pos = 0
    while (match := _NEEDLE_BLOCK_RE.search(text, pos)) is not None:
        start = match.start()
        if text.startswith("*/", start + 1) or (start > 0 and text.startswith("*/", start - 1)):
            inside = _enclosing_end(text, pos, start)
            if inside is not None:
                pos = inside
                continue
        pos = block_end(text, start)
        found.append((start, pos))
    # No line stretch starts where a block stretch does ("//" is not "/*").
    found.sort()
    return found


def _enclosing_end(text: str, pos: int, at: int) -> int | None:
    """The end of the block stretch, opened at ``pos`` or later, that the "/*" at ``at`` lies in."""
    while (start := text.find("/*", pos)) >= 0 and start < at:
        pos = block_end(text, start)
        if pos > at:
            return pos
    return None


def first_multiline(text: str) -> int:
    """Where the first stretch of more than one line starts (the text's length if none)."""
    first = len(text)
    for start, end in block_spans(text):
        if text.find("\n", start, end) >= 0:
            first = start
            break
    for start, end in line_spans(text):
        if start >= first:
            break
        if text.find("\n", start, end) >= 0:
            return start
    return first


def clean_opening(text: str, start: int) -> bool:
    """Whether the comment opener at ``start`` surely opens a comment.

    Nothing before it on its logical line may be a literal, a "//" or
    another comment's "/*" or "*/".
    """
    line = text.rfind("\n", 0, start) + 1
    while line >= 2 and text[line - 2] == "\\":
        line = text.rfind("\n", 0, line - 1) + 1
    before = text[line:start]
    return not any(mark in before for mark in ('"', "'", "//", "/*", "*/"))


def body_end(text: str, opening: int) -> int:
    """Index just past the "}" that closes the "{" at ``opening`` (the text's end if none)."""
    depth = 0
    pos = opening
    while True:
        close = text.find("}", pos)
        if close < 0:
            return len(text)
        depth += text.count("{", pos, close) - 1
        if depth <= 0:
            return close + 1
        pos = close + 1


def keyword_positions(
    text: str, words: tuple[str, ...], start: int = 0, end: int | None = None
) -> list[int]:
    """Each index in [start, end) where one of ``words`` begins (in longer words too), in order."""
    stop = len(text) if end is None else end
    found = []
    for word in words:
        # The whole word must fit before stop - 1 + len(word) to begin before stop.
        bound = stop - 1 + len(word)
        at = text.find(word, start, bound)
        while at >= 0:
            found.append(at)
            at = text.find(word, at + 1, bound)
    found.sort()
    return found


def finditer_at(text: str, pattern: re.Pattern[str], starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern that can only match at one of ``starts`` (in order).

    For a pattern that opens with an alternation of keywords, which gives
    the engine no literal to jump to: it is tried at every character, where
    keyword_positions finds the keywords by str.find. A start inside an
    earlier match is skipped, as finditer skips it; ``pattern.match`` still
    sees the character before the start for a lookbehind or \\b.
    """
    done = 0
    for at in starts:
        if at >= done and (match := pattern.match(text, at)) is not None:
            done = match.end()
            yield match


class AggregateBodies:
    """From the start of the line of each _AGGREGATE_RE match to the end of the body it opens.

    The matches of _AGGREGATE_RE.finditer, found as finditer_at finds them
    (from keyword_positions) but only as far into the text as asked (half
    of the keywords, over the tree), with one more shortcut: the pattern
    cannot pass a ";", "}" or ")" outside an annotation's parentheses, nor
    a "(" without an annotation ("__" word) before it, so it is tried only
    where a "{", or a "(" after a "__", comes first. Where it fails it
    backtracks over everything up to that character, which costs much
    where "struct" is often written in comments far from any brace (sfc's
    mcdi_pcol.h).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.bodies: list[tuple[int, int]] = []
        self._scanned = 0  # keywords before this index have been looked at
        self._done = 0  # the end of the last match: finditer goes on from there
        self._stop = -1  # the first stop character after the last keyword looked at

    def before(self, limit: int) -> list[tuple[int, int]]:
        """The bodies of the matches whose keyword begins before index ``limit``."""
        text = self.text
        if limit <= self._scanned:
            return self.bodies
        keywords = keyword_positions(text, ("struct", "union", "enum"), self._scanned, limit)
        self._scanned = limit
        for at in keywords:
            if at < self._done:
                continue
            if self._stop < at:
                found = _STOP_RE.search(text, at)
                if found is None:
                    self._scanned = len(text)  # nothing after can open a body
                    break
                self._stop = found.start()
            stop = text[self._stop]
            if stop not in "{(" or (stop == "(" and text.find("__", at, self._stop) < 0):
                continue  # the pattern cannot get past it (see above)
            match = _AGGREGATE_RE.match(text, at)
            if match is not None:
                self._done = match.end()
                self.bodies.append((text.rfind("\n", 0, at) + 1, body_end(text, self._done - 1)))
        return self.bodies


class Layout:
    """Where a file's comments stand, worked out only as far as a question needs it."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.header = path.endswith(".h")

    @cached_property
    def first_multiline(self) -> int:
        return first_multiline(self.text)

    @cached_property
    def aggregates(self) -> AggregateBodies:
        return AggregateBodies(self.text)

    def may_be_interface(self, start: int, body: str) -> bool:
        """Whether the stretch ``body`` at ``start`` may be an interface comment (stale.py).

        It is not only when it surely is a real comment (clean_opening) and
        surely none of the three kinds: not a doc block, not in or beside a
        struct, union or enum body, and not a header's top comment (which can
        only be its first comment of more than one line: every stretch up to
        that one counts).
        """
        if self.header and start <= self.first_multiline:
            return True
        if not clean_opening(self.text, start):
            return True
        if body.startswith("/*") and doc_block(Comment(body, 1, 1 + body.count("\n"))) is not None:
            return True  # asked before the bodies: they cost more, and are often not needed then
        # A body counts from its keyword's line on: only keywords before the
        # end of this stretch's first line can start one around it.
        line_end = self.text.find("\n", start)
        bodies = self.aggregates.before(len(self.text) if line_end < 0 else line_end)
        return any(first <= start < last for first, last in bodies)

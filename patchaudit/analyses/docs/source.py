"""The comments that open in column 1, read from the text alone: where every doc block starts.

scripts/kernel-doc opens a block only at a "/**" line in column 1, and a
plain comment in kernel-doc form is judged only there too (a comment inside
a body is about code, not an interface). Finding those comments needs no
parse and no full tokenizer: a column-1 "/*" starts a comment unless an
earlier comment or literal is still open, which the text between two
candidates shows. Where it cannot tell (a "/*" or a line continuation in
between), the text is tokenized from the end of the last comment found
(where nothing is open) up to the next column-1 comment the tokenizer
reads, and the quick reading resumes after it; so the result is always
what the C front end's tokenizer (cfront/lower_text.py) reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from patchaudit.cfront.ir import Comment

# Comments and literals as the front end's tokenizer reads them: a block
# comment may be unterminated at the end of the file, line comments and
# literals continue over a backslash-newline, and a quote whose partner is
# not on the same line is a stray character, not a literal.
_COMMENT_OR_LITERAL = re.compile(
    r"""
      (?P<block>/\*.*?(?:\*/|\Z))
    | //(?:\\\r?\n|[^\n])*
    | "(?:\\(?:\r?\n|.)|[^"\\\n])*"
    | '(?:\\(?:\r?\n|.)|[^'\\\n])*'
    """,
    re.VERBOSE | re.DOTALL,
)


_CONTINUATION_RE = re.compile(r"\\\r?\n")
# Searched as a regular expression, not with str.find: a pattern that opens
# with a literal "/" is scanned for it at memchr speed, twice as fast as
# str.find("\n/**") over C text full of line breaks and "*".
_DOC_OPENING_RE = re.compile(r"/\*\*")

# A comment's place in the text: (index of its "/*", index after its end, line of its "/*").
Span = tuple[int, int, int]


def _block_end(text: str, start: int) -> int:
    end = text.find("*/", start + 2)
    return len(text) if end < 0 else end + 2


def _unclear(text: str, start: int, end: int) -> bool:
    """Whether something in ``text[start:end]`` (the gap between two comments) may still be open at ``end``.

    A "/*" not closed within the gap (possibly in a string or a ``//``
    comment, which only makes this answer yes more often) or a backslash
    at the end of a line that holds a quote or "//" (a literal or ``//``
    comment continued onto the next line; a macro's continued lines are not).
    Indices into the whole text rather than a slice: the gaps add up to the
    whole file, and copying them cost as much as reading them.
    """
    opened = text.rfind("/*", start, end)
    if opened >= 0 and text.rfind("*/", start, end) < opened + 2:
        return True
    for continued in _CONTINUATION_RE.finditer(text, start, end):
        at = continued.start()
        line = text[max(text.rfind("\n", start, at), start - 1) + 1 : at]
        if '"' in line or "'" in line or "//" in line:
            return True
    return False


def _tokenized_from(text: str, pos: int) -> tuple[int, int] | None:
    """The next column-1 block comment the tokenizer reads from ``pos``, where nothing is open."""
    for match in _COMMENT_OR_LITERAL.finditer(text, pos):
        start = match.start()
        if match.lastgroup == "block" and (start == 0 or text[start - 1] == "\n"):
            return start, match.end()
    return None


def _next_opening(text: str, pos: int) -> int:
    """Index of the next "/*" that starts a line, at or after ``pos``; -1 when there is none."""
    if pos == 0 and text.startswith("/*"):
        return 0
    found = text.find("\n/*", max(pos - 1, 0))
    return -1 if found < 0 else found + 1


def column_one_spans(text: str) -> Iterator[Span]:
    """Where each comment of :func:`column_one_comments` stands, without building it."""
    line = 1
    counted = 0  # the newlines before this index are counted in ``line``
    previous_end = 0  # nothing is open here: the end of a comment, or the start
    start = _next_opening(text, 0)
    while start >= 0:
        if _unclear(text, previous_end, start):
            found = _tokenized_from(text, previous_end)
            if found is None:
                return
            start, end = found
        else:
            end = _block_end(text, start)
        line += text.count("\n", counted, start)
        yield start, end, line
        counted = start
        previous_end = end
        start = _next_opening(text, end)


def _is_doc_candidate(text: str, start: int, end: int) -> bool:
    """Whether the comment ``text[start:end]`` opens with "/**" or holds an "@"."""
    return text.startswith("/**", start) or text.find("@", start, end) >= 0


def _next_doc_opening(text: str, pos: int) -> int:
    """Index of the next "/**" that starts a line, at or after ``pos``; -1 when there is none."""
    while (found := _DOC_OPENING_RE.search(text, pos)) is not None:
        at = found.start()
        if at == 0 or text[at - 1] == "\n":
            return at
        pos = at + 1
    return -1


def doc_comment_spans(text: str) -> Iterator[Span]:
    """The spans of :func:`column_one_spans` whose comment opens with "/**" or holds an "@".

    Those are the only comments a doc block can be (blocks.doc_block), and
    most comments are neither: rather than visit each comment, this goes from
    one "/**" line or "@" to the next. An "@" counts when the last column-1
    "/*" before it opens a comment that is still open there. The text from
    the last comment read (where nothing is open) to the next such opening
    then takes the same test as the text between two comments in
    column_one_spans: whole comments in it cannot make that test say
    "clear" wrongly, only "unclear" more often, and then the tokenizer
    reads on from there to its next column-1 comment.
    """
    line = 1
    counted = 0  # the newlines before this index are counted in ``line``
    pos = 0  # nothing is open here: the start, or the end of a comment the tokenizer reads too
    floor = 0  # no column-1 comment that opens before this index holds a later "@"
    doc = _next_doc_opening(text, 0)
    at = text.find("@")
    while doc >= 0 or at >= 0:
        if at >= 0 and (doc < 0 or at < doc):
            opened = text.rfind("\n/*", floor, at) + 1
            if not opened and not (floor == 0 and text.startswith("/*")):
                opened = -1  # no column-1 "/*" between the floor and this "@"
            if opened < 0 or _block_end(text, opened) <= at:
                # Not in a comment: nor is any later "@" in a comment that
                # opens before this one (it would hold this one too).
                floor = at
                at = text.find("@", at + 1)
                continue
            start = opened
        else:
            start = doc
        if _unclear(text, pos, start):
            found = _tokenized_from(text, pos)
            if found is None:
                return
            start, end = found
            wanted = _is_doc_candidate(text, start, end)
        else:
            end = _block_end(text, start)
            wanted = True
        if wanted:
            line += text.count("\n", counted, start)
            yield start, end, line
            counted = start
        pos = floor = end
        if 0 <= doc < pos:
            doc = _next_doc_opening(text, pos)
        if 0 <= at < pos:
            at = text.find("@", pos)


def column_one_comments(text: str) -> tuple[Comment, ...]:
    """Every ``/* */`` comment whose "/*" is the first character of its line, in order."""
    found: list[Comment] = []
    for start, end, line in column_one_spans(text):
        body = text[start:end]
        found.append(Comment(body, line, line + body.count("\n")))
    return tuple(found)

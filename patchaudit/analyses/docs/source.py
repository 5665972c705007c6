"""The comments that open in column 1, read from the text alone: where every doc block starts.

scripts/kernel-doc opens a block only at a "/**" line in column 1, and a
plain comment in kernel-doc form is judged only there too (a comment inside
a body is about code, not an interface). Finding those comments needs no
parse and no full tokenizer: a column-1 "/*" starts a comment unless an
earlier comment or literal is still open, which the text between two
candidates shows. Where it cannot tell (a "/*" or a line continuation in
between), the whole file is tokenized instead, so the result is always what
the C front end's tokenizer (cfront/lower_text.py) reads.
"""

from __future__ import annotations

import re

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


def _block_end(text: str, start: int) -> int:
    end = text.find("*/", start + 2)
    return len(text) if end < 0 else end + 2


def _unclear(gap: str) -> bool:
    """Whether something in ``gap`` may still be open where it ends.

    A "/*" not closed within the gap (possibly in a string or a ``//``
    comment, which only makes this answer yes more often) or a backslash
    at the end of a line that holds a quote or "//" (a literal or ``//``
    comment continued onto the next line; a macro's continued lines are not).
    """
    opened = gap.rfind("/*")
    if opened >= 0 and gap.rfind("*/") < opened + 2:
        return True
    for continued in _CONTINUATION_RE.finditer(gap):
        line = gap[gap.rfind("\n", 0, continued.start()) + 1 : continued.start()]
        if '"' in line or "'" in line or "//" in line:
            return True
    return False


def _tokenized(text: str) -> tuple[Comment, ...]:
    found: list[Comment] = []
    line = 1
    counted = 0
    for match in _COMMENT_OR_LITERAL.finditer(text):
        start = match.start()
        if match.lastgroup != "block" or (start and text[start - 1] != "\n"):
            continue
        line += text.count("\n", counted, start)
        body = match.group()
        found.append(Comment(body, line, line + body.count("\n")))
        counted = start
    return tuple(found)


def _next_opening(text: str, pos: int) -> int:
    """Index of the next "/*" that starts a line, at or after ``pos``; -1 when there is none."""
    if pos == 0 and text.startswith("/*"):
        return 0
    found = text.find("\n/*", max(pos - 1, 0))
    return -1 if found < 0 else found + 1


def column_one_comments(text: str) -> tuple[Comment, ...]:
    """Every ``/* */`` comment whose "/*" is the first character of its line, in order."""
    found: list[Comment] = []
    line = 1
    counted = 0  # the newlines before this index are counted in ``line``
    previous_end = 0
    start = _next_opening(text, 0)
    while start >= 0:
        if _unclear(text[previous_end:start]):
            return _tokenized(text)
        end = _block_end(text, start)
        line += text.count("\n", counted, start)
        body = text[start:end]
        found.append(Comment(body, line, line + body.count("\n")))
        counted = start
        previous_end = end
        start = _next_opening(text, end)
    return tuple(found)

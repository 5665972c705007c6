"""Cheap tests on a file's raw bytes that kinds use to say a rule cannot match, before any parsing.

Every test here is a superset of what the C front end sees: it may say yes
for a file the rule then finds nothing in, never no for one it would report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from patchaudit.analyses.docs.stretches import holding_patterns

# What Python's str.isspace() accepts on one line (no "\n"), as UTF-8 bytes:
# the doc-block patterns (analyses/docs/blocks.py) match text decoded from the
# file with str regexes, where \s and rstrip() take Unicode spaces too.
_WS = (
    rb"(?:[\t\x0b\x0c\r\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80"
    rb"|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
)
# A kernel-doc comment opens with a line that is "/**" and nothing else.
KERNEL_DOC_OPENING = re.compile(rb"/\*\*" + _WS + rb"*\n")
# A plain comment counts as kernel-doc form only with "@param:" lines: "*", spaces, "@".
# Not anchored at the line start: a regex that starts with a literal is
# searched in C about ten times faster, and "* @" in mid-line is rare.
PLAIN_PARAM_LINE = re.compile(rb"\*" + _WS + rb"*@")


def comment_pattern(needles: tuple[bytes, ...]) -> bytes:
    """A Perl-compatible pattern (for ``grep -zP``, bytes) matching every file comments_contain accepts.

    The same two patterns comments_contain searches with (a block and a
    line comment holding a needle; every ``//`` comment counts here, a
    superset). They are atomic, so grep never backtracks through a long
    comment (a plain lazy pattern exceeds PCRE's backtracking limit on a
    13 MB comment, and grep gives up on the whole chunk).
    """
    block, line = _holding(needles)
    return block.pattern + b"|" + line.pattern


def comments_contain(data: bytes, needles: tuple[bytes, ...], *, line_comments: bool = True) -> bool:
    """Whether a needle occurs inside a ``/* */`` comment, or a ``//`` one if ``line_comments``.

    A block runs from any "/*" to the next "*/" and a line comment from any
    "//" to the end of its line (backslash-newline continues it), string
    literals ignored: a "/*" inside a string or another comment only adds a
    stretch, and a real comment is inside one, so no real comment is missed.
    A ``//`` comment that a backslash continues onto more lines counts even
    without ``line_comments``.
    """
    # No test for the needles first: bytes.find looks for a short needle
    # slower than the pattern below skips from "/*" to "/*".
    block, line = _holding(needles)
    if block.search(data) is not None:
        return True
    if line_comments:
        return line.search(data) is not None
    if _CONTINUED.search(data) is None:
        return False  # no line comment goes on to another line
    if not any(needle in data for needle in needles):
        return False
    return _in_spans(data, needles, b"//", _line_end, True)


# A backslash-newline: found by the engine from each backslash, where
# bytes.find of a two-byte needle costs a pass of its own.
_CONTINUED = re.compile(rb"\\\r?\n")


@lru_cache(maxsize=16)
def _holding(needles: tuple[bytes, ...]) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Patterns for a block and a line comment holding a needle (the gate's own, as bytes).

    Atomic: a comment without a needle costs one pass in C, where a
    Python loop over the 40,000 comments of some files was the cost.
    """
    block, line = holding_patterns(tuple(needle.decode("ascii") for needle in needles))
    return re.compile(block.encode("ascii")), re.compile(line.encode("ascii"))


def _block_end(data: bytes, start: int) -> tuple[int, bool]:
    end = data.find(b"*/", start + 2)
    return (len(data) if end < 0 else end + 2), True


def _line_end(data: bytes, start: int) -> tuple[int, bool]:
    """Where the ``//`` comment at ``start`` ends, and whether it runs over several lines."""
    end = data.find(b"\n", start)
    first = end
    while end > 0 and (data[end - 1 : end] == b"\\" or data[end - 2 : end] == b"\\\r"):
        end = data.find(b"\n", end + 1)
    return (len(data) if end < 0 else end), end != first


def _in_spans(
    data: bytes,
    needles: tuple[bytes, ...],
    opener: bytes,
    end_of: Callable[[bytes, int], tuple[int, bool]],
    multiline_only: bool,
) -> bool:
    pos = 0
    while True:
        start = data.find(opener, pos)
        if start < 0:
            return False
        end, multiline = end_of(data, start)
        if (multiline or not multiline_only) and any(
            data.find(needle, start, end) >= 0 for needle in needles
        ):
            return True
        pos = end

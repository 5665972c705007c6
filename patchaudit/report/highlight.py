"""Syntax highlighting for diff lines, by file type: tokens with a class, rendered (and escaped) by templates.

C sources and headers get C tokens; any other file (reStructuredText,
Kconfig, Makefiles, ...) is shown as plain text rather than as C.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Token = tuple[str, str]  # (css class or "", text)

_KEYWORDS = frozenset(
    """auto break case char const continue default do double else enum extern float for goto
    if inline int long register restrict return short signed sizeof static struct switch
    typedef union unsigned void volatile while bool true false NULL typeof""".split()
)

# One alternation, tried left to right at each position: comments, strings
# and characters first so that what they contain is never taken for code.
_TOKEN_RE = re.compile(
    r"(?P<comment>//.*|/\*.*?(?:\*/|$))"
    r"|(?P<string>\"(?:\\.|[^\"\\])*\"?)"
    r"|(?P<char>'(?:\\.|[^'\\])*'?)"
    r"|(?P<preproc>^\s*#\s*\w+)"
    r"|(?P<number>\b(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?)[uUlLfF]*\b)"
    r"|(?P<word>[A-Za-z_]\w*)"
    r"|(?P<other>\s+|.)"
)
_COMMENT_END_RE = re.compile(r".*?\*/")
# A hunk may start inside a block comment; kernel style continues those with
# " * " (a dereference is written "*p", without the space).
_CONTINUATION_RE = re.compile(r"^\s*\*(?:\s|/|$)")


# File name endings highlighted as C; everything else is plain text.
C_SUFFIXES = (".c", ".h")


def language_of(path: str) -> str:
    """``"c"`` for C sources and headers, ``""`` (plain text) for anything else."""
    return "c" if path.endswith(C_SUFFIXES) else ""


def highlight_file_lines(path: str, lines: Iterable[str]) -> list[list[Token]]:
    """Tokens for each line of a diff of ``path``: C for C files, one plain token a line else."""
    if language_of(path) == "c":
        return highlight_lines(lines)
    return [[("", line)] for line in lines]


def highlight_lines(lines: Iterable[str]) -> list[list[Token]]:
    """C tokens for each line; a block comment is followed across lines."""
    result: list[list[Token]] = []
    in_comment = False
    for line in lines:
        tokens: list[Token] = []
        position = 0
        if in_comment or _CONTINUATION_RE.match(line):
            end = _COMMENT_END_RE.match(line)
            if end is None:
                result.append([("c-comment", line)])
                in_comment = True
                continue
            tokens.append(("c-comment", end.group()))
            position = end.end()
            in_comment = False
        for match in _TOKEN_RE.finditer(line, position):
            kind = match.lastgroup or "other"
            text = match.group()
            if kind == "comment":
                tokens.append(("c-comment", text))
                in_comment = text.startswith("/*") and not text.endswith("*/")
            elif kind == "word":
                tokens.append(("c-keyword" if text in _KEYWORDS else "", text))
            elif kind == "other":
                tokens.append(("", text))
            else:
                tokens.append((f"c-{kind}", text))
        result.append(_merge(tokens))
    return result


def _merge(tokens: list[Token]) -> list[Token]:
    merged: list[Token] = []
    for kind, text in tokens:
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged

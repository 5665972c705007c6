"""Comments, identifier tokens and #define directives, read from the source text itself.

These come from a small C tokenizer rather than from the tree: tree-sitter
keeps preprocessor bodies and ``#if`` conditions as opaque text, and its error
recovery can swallow comments, so the text is the one reliable source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchaudit.cfront.ir import Comment, Ident, MacroDef

# One alternative per token class the scan cares about. Everything else
# (operators, whitespace) is skipped by finditer. Why each alternative looks
# the way it does:
# - block comments may be unterminated at end of file (a truncated patch);
# - line comments and literals may continue over a backslash-newline;
# - a quote without its closing partner on the same line is a stray
#   character (prose in an ``#if 0`` block, ``#error don't``), not the start
#   of a literal that would swallow the rest of the file;
# - pp-numbers are matched whole so ``0x1fULL`` or ``1e-5f`` yield no identifier;
# - ``$`` and non-ASCII letters are accepted in identifiers as GCC (and
#   tree-sitter) accept them, so columns agree with the tree's names.
_TOKEN = re.compile(
    r"""
      (?P<block>/\*.*?(?:\*/|\Z))
    | (?P<line>//(?:\\\r?\n|[^\n])*)
    | (?P<str>"(?:\\(?:\r?\n|.)|[^"\\\n])*")
    | (?P<chr>'(?:\\(?:\r?\n|.)|[^'\\\n])*')
    | (?P<num>\.?\d(?:[eEpP][+-]|[\w.$])*)
    | (?P<id>[^\W\d][\w$]*|\$[\w$]*)
    | (?P<hash>\#)
    """,
    re.VERBOSE | re.DOTALL,
)

# C keywords (and GCC's spellings) are not identifiers; rules match names.
KEYWORDS = frozenset(
    {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
        "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
        "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
        "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex", "_Alignas",
        "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert", "_Thread_local",
        "__asm__", "asm", "__inline__", "__inline", "__volatile__", "__restrict__", "__restrict",
        "__const__", "__signed__", "__typeof__", "typeof", "__attribute__", "__extension__",
        "__alignof__",
    }
)  # fmt: skip

# Directives whose operands are not C tokens: header names, free-text messages.
_TEXT_DIRECTIVES = frozenset(
    {"include", "include_next", "import", "error", "warning", "pragma", "line", "ident"}
)

_MACRO_PARAMS = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True)
class TextFacts:
    comments: tuple[Comment, ...]
    identifiers: tuple[Ident, ...]
    macros: tuple[MacroDef, ...]


def _directive_end(text: str, start: int) -> int:
    """Index of the newline ending the logical line that contains ``start`` (or len(text))."""
    pos = start
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        back = nl - 1
        if back >= 0 and text[back] == "\r":
            back -= 1
        if back >= 0 and text[back] == "\\":
            pos = nl + 1
            continue
        return nl


def _at_line_start(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return text[line_start:pos].strip(" \t\f\v") == ""


class _MacroBuilder:
    """Collects one ``#define``: its name, parameters, and body with comments blanked."""

    def __init__(self, text: str, name_start: int, name: str, line: int, end: int) -> None:
        self.name = name
        self.line = line
        self.end = end
        after = name_start + len(name)
        self.params: tuple[str, ...] | None = None
        # A function-like macro has "(" immediately after its name (C11 6.10.3).
        params = _MACRO_PARAMS.match(text, after) if text.startswith("(", after) else None
        if params is not None:
            self.params = tuple(p.strip() for p in params.group(1).split(",") if p.strip())
            after = params.end()
        self.body_start = after
        self.comment_spans: list[tuple[int, int]] = []

    def build(self, text: str) -> MacroDef:
        parts: list[str] = []
        pos = self.body_start
        for start, end in self.comment_spans:
            if start >= pos:
                parts.append(text[pos:start])
                parts.append(" ")
                pos = end
        parts.append(text[pos : self.end])
        return MacroDef(self.name, self.line, self.params, "".join(parts).strip())


def scan_text(text: str) -> TextFacts:
    """Tokenize ``text`` (decoded with surrogateescape) into comments, identifiers and macros.

    Identifiers exclude C keywords, the directive word after ``#``, header
    names and the text of ``#error``/``#warning``/``#pragma``; they include
    names in ``#define`` bodies and ``#if`` conditions. Columns are 1-based
    character columns.
    """
    comments: list[Comment] = []
    idents: list[Ident] = []
    macros: list[MacroDef] = []
    # One string object per distinct name: pickle stores each name once.
    names: dict[str, str] = {}

    line = 1
    line_start = 0  # index of the first character of ``line``
    counted_to = 0  # newlines before this index are already counted
    directive_end = -1  # end of the current directive's logical line, or -1
    expect_directive_name = False
    skip_directive = False
    expect_macro_name = False
    macro: _MacroBuilder | None = None

    def advance(pos: int) -> None:
        nonlocal line, line_start, counted_to
        n = text.count("\n", counted_to, pos)
        if n:
            line += n
            line_start = text.rfind("\n", counted_to, pos) + 1
        counted_to = pos

    for m in _TOKEN.finditer(text):
        start = m.start()
        if directive_end >= 0 and start > directive_end:
            if macro is not None:
                macros.append(macro.build(text))
                macro = None
            directive_end = -1
            skip_directive = False
            expect_macro_name = False
        kind = m.lastgroup
        advance(start)
        if kind == "block" or kind == "line":
            end = m.end()
            start_line = line
            advance(end)
            comments.append(Comment(m.group(), start_line, line))
            if macro is not None:
                macro.comment_spans.append((start, end))
            # A block comment may run past the directive's first newline.
            if directive_end >= 0 and end > directive_end:
                directive_end = _directive_end(text, end)
                if macro is not None:
                    macro.end = directive_end
            continue
        if kind == "hash":
            if directive_end < 0 and _at_line_start(text, start):
                directive_end = _directive_end(text, start)
                expect_directive_name = True
            continue
        if kind != "id":
            expect_directive_name = False
            continue
        name = m.group()
        if expect_directive_name:
            expect_directive_name = False
            skip_directive = name in _TEXT_DIRECTIVES
            expect_macro_name = name == "define"
            continue
        if skip_directive:
            continue
        if expect_macro_name:
            expect_macro_name = False
            macro = _MacroBuilder(text, start, name, line, directive_end)
        # ``defined`` is an operator of #if, not a name the code uses.
        if name not in KEYWORDS and not (directive_end >= 0 and name == "defined"):
            idents.append(Ident(names.setdefault(name, name), line, start - line_start + 1))
    if macro is not None:
        macros.append(macro.build(text))
    return TextFacts(tuple(comments), tuple(idents), tuple(macros))

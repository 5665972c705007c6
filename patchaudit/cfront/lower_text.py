"""Comments, identifier tokens and #define directives, read from the source text itself.

These come from a small C tokenizer rather than from the tree: tree-sitter
keeps preprocessor bodies and ``#if`` conditions as opaque text, and its error
recovery can swallow comments, so the text is the one reliable source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from patchaudit.cfront.ir import Comment, Ident, MacroDef

# One alternative per token class the scan cares about, after a run of
# characters no token starts with (operators, whitespace). Why each
# alternative looks the way it does:
# - block comments may be unterminated at end of file (a truncated patch);
# - line comments and literals may continue over a backslash-newline;
# - a quote without its closing partner on the same line is a stray
#   character (prose in an ``#if 0`` block, ``#error don't``), not the start
#   of a literal that would swallow the rest of the file: ``stray``;
# - pp-numbers are matched whole so ``0x1fULL`` or ``1e-5f`` yield no identifier;
# - ``$`` and non-ASCII letters are accepted in identifiers as GCC (and
#   tree-sitter) accept them, so columns agree with the tree's names.
# Speed (the pattern reads every byte of every file):
# - the leading run is matched by the pattern, not skipped by finditer:
#   Python's engine has no first-character test for a pattern made of named
#   groups, so finditer tried every alternative at each space and operator
#   (half the pattern's time). ``/`` and ``.`` are in the run unless they
#   start a comment or a number. Every position then starts a match
#   (``stray``, ``end``), so a failed match never makes finditer re-scan a run;
# - comments and literals are written "unrolled" (a run of ordinary
#   characters, then a special one and another run, ...) rather than as a
#   choice per character, so the engine takes each run in one step;
# - the run is an atomic group, (?>...), not a possessive (...)*+, which
#   means the same: Python before 3.11.5 (Debian 12's python3 is 3.11.2)
#   matches a possessive repeat of a group wrongly, and lost every comment
#   (CPython gh-106052; tests/test_regex_portability.py).
_TOKEN_SOURCE = r"""
    (?>(?:[^/"'.\w$\#]++ | /(?![*/]) | \.(?!\d))*)
    (?:
      (?P<id>[^\W\d][\w$]*|\$[\w$]*)
    | (?P<block>/\*[^*]*(?:\*+[^*/][^*]*)*(?:\*+/|\**\Z))
    | (?P<line>//[^\\\n]*(?:\\(?:\r?\n)?[^\\\n]*)*)
    | (?P<str>"[^"\\\n]*(?:\\(?:\r?\n|.)[^"\\\n]*)*")
    | (?P<chr>'[^'\\\n]*(?:\\(?:\r?\n|.)[^'\\\n]*)*')
    | (?P<num>\.?\d(?:[eEpP][+-]|[\w.$])*)
    | (?P<hash>\#)
    | (?P<stray>["'])
    | (?P<end>\Z)
    )
    """
_TOKEN = re.compile(_TOKEN_SOURCE, re.VERBOSE | re.DOTALL)
# The same for text that is all ASCII, where it means the same: an ASCII
# ``\w`` is a table lookup, a Unicode one a call per character.
_TOKEN_ASCII = re.compile(_TOKEN_SOURCE, re.VERBOSE | re.DOTALL | re.ASCII)
_ID, _BLOCK, _LINE, _HASH, _STRAY, _END = (
    _TOKEN.groupindex[name] for name in ("id", "block", "line", "hash", "stray", "end")
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


def _line_end(text: str, pos: int) -> int:
    """Index of the first newline at or after ``pos`` (or len(text))."""
    nl = text.find("\n", pos)
    return nl if nl >= 0 else len(text)


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

    # The line of the current token: its number, the index of its first
    # character and of the newline that ends it (or len(text)). Most tokens
    # share a line with the one before, so newlines are counted only when a
    # token starts past ``line_end``.
    line = 1
    line_start = 0
    line_end = _line_end(text, 0)
    directive_end = -1  # end of the current directive's logical line, or -1
    expect_directive_name = False
    skip_directive = False
    expect_macro_name = False
    macro: _MacroBuilder | None = None
    # Outside directives a name is all there is to a token (``plain``): that
    # case, four tokens in five, takes the short path at the top of the loop.
    plain = True
    append_ident = idents.append  # bound once: called for every name

    for m in (_TOKEN_ASCII if text.isascii() else _TOKEN).finditer(text):
        kind = m.lastindex or _END  # never None: each alternative is a group
        start = m.start(kind)
        if start > line_end:
            line += text.count("\n", line_end, start)
            line_start = text.rfind("\n", line_end, start) + 1
            line_end = _line_end(text, start)
        if kind == _ID and plain:
            name = m.group(kind)
            if name not in KEYWORDS:
                append_ident(Ident(names.setdefault(name, name), line, start - line_start + 1))
            continue
        if kind == _STRAY or kind == _END:
            continue  # not a token: finditer would have skipped the character
        if directive_end >= 0 and start > directive_end:
            if macro is not None:
                macros.append(macro.build(text))
                macro = None
            directive_end = -1
            skip_directive = False
            expect_macro_name = False
            # A null directive ("#" alone on its line) names nothing: the
            # next line's first name is code, not a directive name.
            expect_directive_name = False
        if kind == _BLOCK or kind == _LINE:
            end = m.end()
            start_line = line
            if end > line_end:
                line += text.count("\n", line_end, end)
                line_start = text.rfind("\n", line_end, end) + 1
                line_end = _line_end(text, end)
            comments.append(Comment(m.group(kind), start_line, line))
            if macro is not None:
                macro.comment_spans.append((start, end))
            # A block comment may run past the directive's first newline.
            if directive_end >= 0 and end > directive_end:
                directive_end = _directive_end(text, end)
                if macro is not None:
                    macro.end = directive_end
        elif kind == _HASH:
            if directive_end < 0 and _at_line_start(text, start):
                directive_end = _directive_end(text, start)
                expect_directive_name = True
        elif kind != _ID:
            expect_directive_name = False
        elif expect_directive_name:
            name = m.group(kind)
            expect_directive_name = False
            skip_directive = name in _TEXT_DIRECTIVES
            expect_macro_name = name == "define"
        elif not skip_directive:
            name = m.group(kind)
            if expect_macro_name:
                expect_macro_name = False
                macro = _MacroBuilder(text, start, name, line, directive_end)
            # ``defined`` is an operator of #if, not a name the code uses.
            if name not in KEYWORDS and not (directive_end >= 0 and name == "defined"):
                append_ident(Ident(names.setdefault(name, name), line, start - line_start + 1))
        plain = directive_end < 0 and not (
            expect_directive_name or skip_directive or expect_macro_name
        )
    if macro is not None:
        macros.append(macro.build(text))
    return TextFacts(tuple(comments), tuple(idents), tuple(macros))

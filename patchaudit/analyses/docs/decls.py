"""The declaration a doc block documents: the function, prototype or macro that follows it, read from the text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from patchaudit.analyses.docs.blocks import DocBlock
from patchaudit.analyses.docs.prototype import read_prototype, returns_value
from patchaudit.analyses.docs.words import word_positions

# scripts/kernel-doc reads the prototype up to the first line holding "{",
# ";" or a #define; a runaway span means the comment documents nothing.
_MAX_SPAN = 40
_DEFINE_RE = re.compile(r"^\s*#\s*define\b")
_COMMENT_RE = re.compile(r"/\*.*?(?:\*/|\Z)|//[^\n]*", re.DOTALL)
# Only blank lines and plain comments before the next "/**" block.
_NEXT_DOC_RE = re.compile(r"^(?:\s|/\*(?!\*\s*\n).*?\*/)*/\*\*\s*\n", re.DOTALL)
# A macro's name and, right after it (C11 6.10.3), its parameter list.
_MACRO_RE = re.compile(r"\s*#\s*define\s+(\w+)(?:\(([^)]*)\))?")


class DeclKind(Enum):
    FUNCTION = "function"  # a definition: the prototype is followed by its body
    PROTOTYPE = "prototype"  # a declaration only
    MACRO = "macro"  # a function-like macro
    OBJECT_MACRO = "object-macro"  # #define NAME value


@dataclass(frozen=True)
class DeclParam:
    name: str
    variadic: bool = False  # "..." or GNU "args...": never needs a description


@dataclass(frozen=True)
class Declaration:
    kind: DeclKind
    name: str
    params: tuple[DeclParam, ...]  # named parameters only, in order
    returns_value: bool  # kernel-doc's test: a return type that is not void (never for macros)
    line: int  # the line of the name
    column: int  # the column of the name
    first_line: int
    last_line: int
    defines: str = ""  # for a definition, the function's name as written (foo_noprof)


def _documented_name(name: str) -> str:
    """Memory-allocation profiling renames foo() to foo_noprof() behind a foo() macro; the
    comment keeps documenting foo(), and scripts/kernel-doc drops "_noprof" to match."""
    return name.replace("_noprof", "", 1)


def _macro_at(text: str, line: int) -> Declaration | None:
    """The ``#define`` that starts the text (line ``line``), as kernel-doc reads a macro."""
    match = _MACRO_RE.match(text)
    if match is None:
        return None
    name, params_text = match.group(1), match.group(2)
    if params_text is None:
        return Declaration(DeclKind.OBJECT_MACRO, name, (), False, line, 1, line, line)
    params = []
    for raw in params_text.split(","):
        # A parameter list may run over a line continuation ("a, \\\n\tb").
        param = "".join(raw.replace("\\", " ").split())
        if param.endswith("..."):
            params.append(DeclParam(param[:-3] or "...", True))
        elif param:
            params.append(DeclParam(param))
    return Declaration(DeclKind.MACRO, name, tuple(params), False, line, 1, line, line)


def _call_site(text: str, name: str) -> int:
    """Index of the first whole ``name`` followed by "(" (blanks between); -1 if none.

    A search for a name fixed at run time: a regular expression per name
    would be compiled for every declaration and crowd out the cached ones.
    """
    for at in word_positions(text, name):
        rest = text[at + len(name) : at + len(name) + 200].lstrip()
        if rest.startswith("("):
            return at
    return -1


def _blanked(match: re.Match[str]) -> str:
    """A comment as blanks, its line breaks kept (so line numbers stay)."""
    return "\n".join(" " * len(part) for part in match.group().split("\n"))


def _span(lines: Sequence[str], after: int) -> tuple[int, int] | None:
    """1-based first and last line of the prototype that follows line ``after``, as kernel-doc reads it.

    Unlike scripts/kernel-doc, comments in between are skipped before looking
    for the "{" or ";" that ends the prototype (prose may hold either), and a
    second doc comment ends the search: the first one documents nothing.
    """
    window = "\n".join(lines[after : after + _MAX_SPAN])
    if _NEXT_DOC_RE.match(window):
        return None
    if "/*" in window or "//" in window:
        window = _COMMENT_RE.sub(_blanked, window)
    first = 0
    for offset, line in enumerate(window.split("\n")):
        number = after + 1 + offset
        stripped = line.strip()
        is_define = _DEFINE_RE.match(line) is not None
        if stripped.startswith("#") and not is_define:
            continue  # #ifdef and friends between a comment and its function
        if not first and stripped:
            first = number
        if "{" in line or ";" in line or is_define:
            return (first or number), number
    return None


def declaration_after(block: DocBlock, lines: Sequence[str]) -> Declaration | None:
    """The declaration right after ``block`` in a file's ``lines``; None when none can be read.

    Read from the text as scripts/kernel-doc reads it, with no parse: the
    span up to the first line holding "{", ";" or a ``#define``; a macro
    from its ``#define``, a function definition or prototype by its
    parameter list (prototype.py).
    """
    span = _span(lines, block.end_line)
    if span is None:
        return None
    first, last = span
    if _DEFINE_RE.match(lines[last - 1]):
        return _macro_at("\n".join(lines[last - 1 : last - 1 + _MAX_SPAN]), last)
    text = "\n".join(lines[first - 1 : last])
    prototype = read_prototype(text)
    if prototype is None:
        return None
    name_line, name_column = first, 1
    # The name's place: where it stands before its parameter list (which
    # may open on the next line).
    at = _call_site(text, prototype.name)
    if at >= 0:
        name_line = first + text.count("\n", 0, at)
        name_column = at - text.rfind("\n", 0, at)
    code = _COMMENT_RE.sub(" ", text)
    body = code.find("{")
    defines = body >= 0 and ";" not in code[:body]
    return Declaration(
        DeclKind.FUNCTION if defines else DeclKind.PROTOTYPE,
        _documented_name(prototype.name),
        tuple(DeclParam(name, name == "...") for name in prototype.params),
        returns_value(prototype.return_type),
        name_line,
        name_column,
        first,
        last,
        prototype.name if defines else "",
    )

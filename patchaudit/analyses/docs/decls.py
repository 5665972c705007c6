"""The declaration a doc block documents: the function, prototype or macro that follows it."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from patchaudit.analyses.docs.blocks import DocBlock
from patchaudit.analyses.docs.prototype import read_prototype, returns_value
from patchaudit.cfront.ir import FileIR, Function, MacroDef

# scripts/kernel-doc reads the prototype up to the first line holding "{",
# ";" or a #define; a runaway span means the comment documents nothing.
_MAX_SPAN = 40
_DEFINE_RE = re.compile(r"^\s*#\s*define\b")
_COMMENT_RE = re.compile(r"/\*.*?(?:\*/|\Z)|//[^\n]*", re.DOTALL)
# Only blank lines and plain comments before the next "/**" block.
_NEXT_DOC_RE = re.compile(r"^(?:\s|/\*(?!\*\s*\n).*?\*/)*/\*\*\s*\n", re.DOTALL)


class DeclKind(Enum):
    FUNCTION = "function"  # a definition, from the IR
    PROTOTYPE = "prototype"  # a declaration, read from the text
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


def _documented_name(name: str) -> str:
    """Memory-allocation profiling renames foo() to foo_noprof() behind a foo() macro; the
    comment keeps documenting foo(), and scripts/kernel-doc drops "_noprof" to match."""
    return name.replace("_noprof", "", 1)


def _from_function(fn: Function) -> Declaration:
    params = tuple(
        DeclParam("...", True) if p.name == "..." else DeclParam(p.name)
        for p in fn.params
        if p.name
    )
    return Declaration(
        DeclKind.FUNCTION,
        _documented_name(fn.name),
        params,
        returns_value(fn.return_type),
        fn.pos.line,
        fn.pos.column,
        fn.start_line,
        fn.pos.line,
    )


def _from_macro(macro: MacroDef) -> Declaration:
    if macro.params is None:
        return Declaration(
            DeclKind.OBJECT_MACRO, macro.name, (), False, macro.line, 1, macro.line, macro.line
        )
    params = []
    for raw in macro.params:
        # The IR keeps a line continuation inside a parameter ("\\\n\tb").
        name = "".join(raw.replace("\\", " ").split())
        if name.endswith("..."):
            params.append(DeclParam(name[:-3] or "...", True))
        elif name:
            params.append(DeclParam(name))
    return Declaration(
        DeclKind.MACRO, macro.name, tuple(params), False, macro.line, 1, macro.line, macro.line
    )


def _trustworthy(fn: Function) -> bool:
    """Whether the IR read the signature right; if not, the text is read instead.

    A definition with a parse error may have a wrong name or parameters
    (kernel macros in its signature), and a parameter type with parentheses
    that is not a function pointer is a macro read as a declarator
    (``DECL_BUCKET_PARAMS(size, b)``).
    """
    if fn.has_error:
        return False
    return all("(" not in p.type or "(*" in p.type for p in fn.params)


def _span_from_text(lines: Sequence[str], after: int) -> tuple[int, int] | None:
    """1-based first and last line of the prototype that follows line ``after``, as kernel-doc reads it.

    Unlike scripts/kernel-doc, comments in between are skipped before looking
    for the "{" or ";" that ends the prototype (prose may hold either), and a
    second doc comment ends the search: the first one documents nothing.
    """
    window = "\n".join(lines[after : after + _MAX_SPAN])
    if _NEXT_DOC_RE.match(window):
        return None
    window = _COMMENT_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), window)
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


def _span_from_tokens(ir: FileIR, after: int) -> tuple[int, int] | None:
    """Without the text: the first line after ``after`` that holds a code token."""
    lines = [ident.line for ident in ir.identifiers]
    index = bisect.bisect_right(lines, after)
    if index == len(lines):
        return None
    return lines[index], lines[index]


def declaration_after(
    block: DocBlock, ir: FileIR, text_lines: Sequence[str] | None
) -> Declaration | None:
    """The declaration right after ``block``; None when none can be read.

    Definitions and macros come from the IR. With the file's text, the
    prototype span is found as scripts/kernel-doc finds it and prototypes
    (which the IR does not hold) are read from the text; without it, only a
    definition or macro that starts on the first code line is taken.
    """
    if text_lines is not None:
        span = _span_from_text(text_lines, block.end_line)
    else:
        span = _span_from_tokens(ir, block.end_line)
    if span is None:
        return None
    first, last = span
    fn = next((f for f in ir.functions if f.start_line <= last and f.pos.line >= first), None)
    if fn is not None and _trustworthy(fn):
        return _from_function(fn)
    if fn is None:
        macro = next((m for m in ir.macros if first <= m.line <= last), None)
        if macro is not None:
            return _from_macro(macro)
    if text_lines is None:
        return None
    prototype = read_prototype("\n".join(text_lines[first - 1 : last]))
    if prototype is None:
        return None
    name_line, name_column = first, 1
    for number in range(first, last + 1):
        found = re.search(rf"\b{re.escape(prototype.name)}\s*\(", text_lines[number - 1])
        if found:
            name_line, name_column = number, found.start() + 1
            break
    params = tuple(DeclParam(name, name == "...") for name in prototype.params)
    return Declaration(
        DeclKind.PROTOTYPE,
        _documented_name(prototype.name),
        params,
        returns_value(prototype.return_type),
        name_line,
        name_column,
        first,
        last,
    )

"""The declaration a doc block documents: the function, prototype or macro that follows it, read from the text."""

from __future__ import annotations

import re
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
# A "/**" line: the opening of the next doc block.
_DOC_OPENING_RE = re.compile(r"/\*\*\s*\n")
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
    """A comment as blanks, its line breaks kept (so line numbers and offsets stay)."""
    return "\n".join(" " * len(part) for part in match.group().split("\n"))


def _doc_block_next(window: str) -> bool:
    r"""Whether ``window`` holds only blanks and plain comments before a "/**" line.

    What ``(?:\s|/\*(?!\*\s*\n).*?\*/)*/\*\*\s*\n`` matches at its start, without the
    backtracking that grows exponentially with the comments in a window
    where it fails. A "comment" in that pattern may run on to any later
    "*/": so it matches when a "/**" line follows the blanks, or when a "/*"
    does and a "/**" line comes after blanks after a "*/" that can close it.
    """
    body = window.lstrip()
    first = len(window) - len(body)
    if not body.startswith("/*"):
        return False
    if _DOC_OPENING_RE.match(window, first):
        return True
    for opening in _DOC_OPENING_RE.finditer(window, first + 2):
        before = window[: opening.start()].rstrip()
        if before.endswith("*/") and len(before) - 2 >= first + 2:
            return True
    return False


def _window_end(text: str, start: int, count: int) -> int:
    """Index of the end of the ``count`` lines from ``start`` (before their last line break)."""
    end = start - 1
    for _ in range(count):
        end = text.find("\n", end + 1)
        if end < 0:
            return len(text)
    return end


# Where a prototype stands, in lines and offsets: (first line, last line,
# index where the first line starts, index where the last line starts,
# index where the last line ends).
Span = tuple[int, int, int, int, int]


def _span(text: str, start: int, after: int) -> Span | None:
    """The prototype that follows line ``after`` (which ends just before ``start``), as kernel-doc reads it.

    Unlike scripts/kernel-doc, comments in between are skipped before looking
    for the "{" or ";" that ends the prototype (prose may hold either), and a
    second doc comment ends the search: the first one documents nothing.

    Most prototypes end within a few lines that hold no "/" at all: then no
    comment can start before the end and no doc comment can follow directly
    (its "/" would be the first thing after the blanks), so those lines are
    read one by one as they stand; anything else takes _span_with_comments.
    """
    first = first_at = 0
    line_start = start
    for offset in range(_MAX_SPAN):
        line_end = text.find("\n", line_start)
        if line_end < 0:
            line_end = len(text)
        line = text[line_start:line_end]
        if "/" in line:
            return _span_with_comments(text, start, after)
        stripped = line.strip()
        is_define = stripped.startswith("#") and _DEFINE_RE.match(line) is not None
        if not stripped.startswith("#") or is_define:  # #ifdef and friends are skipped
            number = after + 1 + offset
            if not first and stripped:
                first, first_at = number, line_start
            if "{" in line or ";" in line or is_define:
                return first, number, first_at, line_start, line_end
        if line_end == len(text):
            return None
        line_start = line_end + 1
    return None


def _span_with_comments(text: str, start: int, after: int) -> Span | None:
    """_span for any text: comments blanked over the window kernel-doc reads, line by line."""
    window = text[start : _window_end(text, start, _MAX_SPAN)]
    if _doc_block_next(window):
        return None
    if "/*" in window or "//" in window:
        window = _COMMENT_RE.sub(_blanked, window)  # blanking keeps every offset
    first = first_at = 0
    line_start = start
    for offset, line in enumerate(window.split("\n")):
        number = after + 1 + offset
        stripped = line.strip()
        is_define = _DEFINE_RE.match(line) is not None
        if not stripped.startswith("#") or is_define:  # #ifdef and friends are skipped
            if not first and stripped:
                first, first_at = number, line_start
            if "{" in line or ";" in line or is_define:
                return first, number, first_at, line_start, line_start + len(line)
        line_start += len(line) + 1
    return None


def declaration_after(block: DocBlock, text: str, start: int) -> Declaration | None:
    """The declaration right after ``block`` in a file's ``text``; None when none can be read.

    ``start`` is the index where the line after the block's last line
    starts (``len(text)`` when there is none). Read from the text as
    scripts/kernel-doc reads it, with no parse: the span up to the first
    line holding "{", ";" or a ``#define``; a macro from its ``#define``, a
    function definition or prototype by its parameter list (prototype.py).
    """
    span = _span(text, start, block.end_line)
    if span is None:
        return None
    first, last, first_at, last_at, last_end = span
    if _DEFINE_RE.match(text[last_at:last_end]):
        return _macro_at(text[last_at : _window_end(text, last_at, _MAX_SPAN)], last)
    text = text[first_at:last_end]
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
    code = _COMMENT_RE.sub(" ", text) if "/" in text else text
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

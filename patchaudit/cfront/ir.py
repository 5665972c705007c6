"""A plain, picklable IR of a parsed C file: what the analyses read, and what the cache stores.

tree-sitter nodes never leave ``patchaudit.cfront``; the lowering turns them
into these frozen dataclasses. Every position is 1-based line and 1-based
column (in characters of the original line) of the *original* file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Pos:
    line: int
    column: int


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Expr:
    """Base of all expressions. ``text`` is the original source text of the expression."""

    pos: Pos
    text: str


@dataclass(frozen=True)
class Name(Expr):
    """An identifier used as a value: ``page``, ``PAGE_BALLOON_MAPCOUNT_VALUE``."""

    name: str


@dataclass(frozen=True)
class Literal(Expr):
    """Number, string or character literal."""


@dataclass(frozen=True)
class Field(Expr):
    """``base->member`` (arrow=True) or ``base.member``."""

    base: Expr
    member: str
    arrow: bool


@dataclass(frozen=True)
class Call(Expr):
    """A call, including macro calls: ``spin_lock_irq(&b->pages_lock)``.

    ``callee`` is the called name when it is a plain identifier, else "".
    ``callee_expr`` is the whole callee (for ``guard(spinlock)(&l)`` it is the
    inner call ``guard(spinlock)``).
    """

    callee: str
    callee_expr: Expr
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary(Expr):
    """Prefix/postfix operators: ``!x``, ``&x``, ``*x``, ``-x``, ``x++``, ``sizeof x``."""

    op: str
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    """``a && b``, ``a == b``, ``a + b``, ``a, b`` (op ``,``)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Assign(Expr):
    """``target op value``; op is ``=``, ``+=``, ``|=``, ..."""

    op: str
    target: Expr
    value: Expr


@dataclass(frozen=True)
class Conditional(Expr):
    """``cond ? then : other``."""

    cond: Expr
    then: Expr | None
    other: Expr


@dataclass(frozen=True)
class Cast(Expr):
    type: str
    operand: Expr


@dataclass(frozen=True)
class Index(Expr):
    base: Expr
    index: Expr


@dataclass(frozen=True)
class StmtExpr(Expr):
    """GNU statement expression ``({ ... })``."""

    body: Block


@dataclass(frozen=True)
class InitList(Expr):
    """``{ .a = x, [2] = y, z }``: designators are kept as "a", "[2]" or "" per item."""

    items: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class TypeArg(Expr):
    """A type written as a macro argument: ``struct page`` in ``list_first_entry(l, struct page, lru)``."""

    type: str


@dataclass(frozen=True)
class Unknown(Expr):
    """Anything else (the children are still lowered so calls inside are not lost)."""

    children: tuple[Expr, ...]


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class Stmt:
    pos: Pos
    end: Pos  # last line/column covered


@dataclass(frozen=True)
class Block(Stmt):
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class ExprStmt(Stmt):
    expr: Expr


@dataclass(frozen=True)
class Decl(Stmt):
    """``type name = init;`` one per declarator. ``type`` is normalised text, e.g. ``struct page *``."""

    name: str
    type: str
    init: Expr | None


@dataclass(frozen=True)
class If(Stmt):
    cond: Expr
    then: Stmt
    other: Stmt | None


class LoopKind(Enum):
    WHILE = "while"
    DO_WHILE = "do"
    FOR = "for"
    ITERATOR = "iterator"  # list_for_each_entry(...) { } and other iterator macros


@dataclass(frozen=True)
class Loop(Stmt):
    """Any loop. For ITERATOR, ``macro`` names the macro and ``args`` its arguments.

    ``init``/``step`` are for-loop parts; ``cond`` is None for ``for (;;)`` and
    iterator macros (the number of iterations is unknown: zero or more).
    """

    kind: LoopKind
    cond: Expr | None
    body: Stmt
    init: tuple[Stmt, ...] = ()
    step: Expr | None = None
    macro: str = ""
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Switch(Stmt):
    cond: Expr
    body: Stmt  # a Block whose statements include Case labels


@dataclass(frozen=True)
class Case(Stmt):
    """``case X:`` / ``default:`` label (value None). Falls through to the next statement."""

    value: Expr | None


@dataclass(frozen=True)
class Label(Stmt):
    name: str


@dataclass(frozen=True)
class Goto(Stmt):
    label: str


@dataclass(frozen=True)
class Return(Stmt):
    value: Expr | None


@dataclass(frozen=True)
class Break(Stmt):
    pass


@dataclass(frozen=True)
class Continue(Stmt):
    pass


@dataclass(frozen=True)
class Scoped(Stmt):
    """``scoped_guard(kind, args) { body }`` and similar scope-bound macros.

    ``macro`` is the macro name, ``args`` its arguments; the lock analysis
    looks the macro up in its primitive table.
    """

    macro: str
    args: tuple[Expr, ...]
    body: Stmt


@dataclass(frozen=True)
class Opaque(Stmt):
    """A statement the lowering could not understand (parse error, asm, ...).

    ``calls`` keeps every call found inside so nothing is silently lost.
    """

    text: str
    calls: tuple[Call, ...]


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # normalised, e.g. "struct balloon_dev_info *"


@dataclass(frozen=True)
class Function:
    name: str
    pos: Pos  # the line of the name
    start_line: int  # first line of the definition (attributes, return type)
    end_line: int
    return_type: str
    params: tuple[Param, ...]
    body: Block
    static: bool
    has_error: bool  # an ERROR or MISSING node inside the definition
    annotations: tuple[str, ...] = ()  # __must_hold(&x), __acquires(x), ... as written


@dataclass(frozen=True)
class StructField:
    name: str
    type: str
    line: int


@dataclass(frozen=True)
class StructDef:
    name: str  # the tag: "balloon_dev_info"
    fields: tuple[StructField, ...]
    line: int


@dataclass(frozen=True)
class GlobalVar:
    """A file-scope variable, with its initializer (callback tables live here)."""

    name: str
    type: str
    init: Expr | None
    line: int
    static: bool


@dataclass(frozen=True)
class Comment:
    text: str  # raw text including /* */ or //
    start_line: int
    end_line: int


@dataclass(frozen=True)
class Ident:
    """An identifier token in code (not in comments or strings)."""

    name: str
    line: int
    column: int


@dataclass(frozen=True)
class MacroDef:
    name: str
    line: int
    params: tuple[str, ...] | None  # None for an object-like macro
    body: str


@dataclass(frozen=True)
class ParseIssue:
    """A per-file diagnostic: not C, not UTF-8, too big, too deep, ..."""

    message: str


@dataclass(frozen=True)
class FileIR:
    path: str
    digest: str  # content hash the cache is keyed by
    size: int
    lines: int
    functions: tuple[Function, ...]
    structs: tuple[StructDef, ...]
    globals: tuple[GlobalVar, ...]
    macros: tuple[MacroDef, ...]
    comments: tuple[Comment, ...]
    identifiers: tuple[Ident, ...]
    error_nodes: int  # ERROR/MISSING nodes in the whole file
    issues: tuple[ParseIssue, ...] = ()
    error_constructs: tuple[str, ...] = ()  # short descriptions of what caused remaining errors

    def function_at(self, line: int) -> Function | None:
        for fn in self.functions:
            if fn.start_line <= line <= fn.end_line:
                return fn
        return None

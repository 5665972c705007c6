"""Types of C expressions from declarations, parameters, struct definitions and container_of()."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from patchaudit.analyses.tables import tables
from patchaudit.cfront.ir import (
    Assign,
    Binary,
    Block,
    Call,
    Case,
    Cast,
    Conditional,
    Decl,
    Expr,
    ExprStmt,
    Field,
    FileIR,
    Function,
    Goto,
    If,
    Index,
    InitList,
    Loop,
    Name,
    Opaque,
    Return,
    Scoped,
    Stmt,
    StmtExpr,
    Switch,
    TypeArg,
    Unary,
    Unknown,
)

# Qualifiers and storage words that do not change which struct a type names.
_NOISE_RE = re.compile(r"\b(?:const|volatile|restrict|__rcu|__iomem|__user|__percpu|static|extern)\b")
_TAG_RE = re.compile(r"^(?:struct|union)\s+(\w+)")


def struct_name(type_text: str | None) -> str | None:
    """The struct or union tag a type names, through pointers and arrays: ``struct page *`` -> page."""
    if not type_text:
        return None
    text = _NOISE_RE.sub(" ", type_text).strip()
    match = _TAG_RE.match(text)
    return match.group(1) if match else None


def pointee(type_text: str | None) -> str | None:
    """The type one dereference or subscript away: ``struct page **`` -> ``struct page *``."""
    if not type_text:
        return None
    text = type_text.rstrip()
    if text.endswith("*"):
        return text[:-1].rstrip()
    if text.endswith("]"):
        return text[: text.rfind("[")].rstrip()
    return None


@dataclass(frozen=True)
class FileTypes:
    """What a whole file declares: struct members, globals, function return types."""

    structs: Mapping[str, Mapping[str, str]]
    globals: Mapping[str, str]
    returns: Mapping[str, str]


def file_types(ir: FileIR) -> FileTypes:
    return FileTypes(
        structs={s.name: {f.name: f.type for f in s.fields} for s in ir.structs},
        globals={g.name: g.type for g in ir.globals if g.name},
        returns={f.name: f.return_type for f in ir.functions},
    )


def walk_stmts(stmt: Stmt) -> Iterator[Stmt]:
    """Every statement nested in ``stmt``, including itself (not those in statement expressions)."""
    yield stmt
    if isinstance(stmt, Block):
        for child in stmt.body:
            yield from walk_stmts(child)
    elif isinstance(stmt, If):
        yield from walk_stmts(stmt.then)
        if stmt.other is not None:
            yield from walk_stmts(stmt.other)
    elif isinstance(stmt, Loop):
        for init in stmt.init:
            yield from walk_stmts(init)
        yield from walk_stmts(stmt.body)
    elif isinstance(stmt, (Switch, Scoped)):
        yield from walk_stmts(stmt.body)


def stmt_exprs(stmt: Stmt) -> Iterator[Expr]:
    """The expressions a statement itself evaluates (not those of nested statements)."""
    if isinstance(stmt, ExprStmt):
        yield stmt.expr
    elif isinstance(stmt, Decl) and stmt.init is not None:
        yield stmt.init
    elif isinstance(stmt, (If, Switch)):
        yield stmt.cond
    elif isinstance(stmt, Loop):
        if stmt.cond is not None:
            yield stmt.cond
        if stmt.step is not None:
            yield stmt.step
        yield from stmt.args
    elif isinstance(stmt, Return) and stmt.value is not None:
        yield stmt.value
    elif isinstance(stmt, Scoped):
        yield from stmt.args
    elif isinstance(stmt, Case) and stmt.value is not None:
        yield stmt.value
    elif isinstance(stmt, Opaque):
        yield from stmt.calls


def straight_line(fn: Function) -> Iterator[Stmt]:
    """The body's own statements up to its first unconditional return or goto: what comes
    after one is reached through a label only, on the paths of some goto."""
    for stmt in fn.body.body:
        yield stmt
        if isinstance(stmt, (Return, Goto)):
            return


def sub_exprs(expr: Expr) -> Iterator[Expr]:
    """Every expression inside ``expr``, itself first; statement-expression bodies included.

    Pre-order, children left to right, by an explicit stack: a nested
    generator per level cost a fifth of a whole-file analysis.
    """
    stack: list[Expr] = [expr]
    children = _CHILDREN
    pop = stack.pop
    while stack:
        current = pop()
        yield current
        kind = type(current)
        if kind is StmtExpr:
            inner: list[Expr] = []
            for stmt in walk_stmts(current.body):  # type: ignore[attr-defined]
                inner.extend(stmt_exprs(stmt))
            stack.extend(reversed(inner))
            continue
        if kind is InitList:
            stack.extend(reversed([item for _, item in current.items]))  # type: ignore[attr-defined]
            continue
        attrs = children.get(kind)
        if not attrs:
            continue
        found: list[Expr] = []
        for attr in attrs:
            value = getattr(current, attr)
            if value is None:
                continue
            if type(value) is tuple:
                found.extend(value)
            else:
                found.append(value)
        stack.extend(reversed(found))


_CHILDREN: dict[type, tuple[str, ...]] = {
    Call: ("callee_expr", "args"),
    Unary: ("operand",),
    Binary: ("left", "right"),
    Assign: ("target", "value"),
    Conditional: ("cond", "then", "other"),
    Cast: ("operand",),
    Field: ("base",),
    Index: ("base", "index"),
    Unknown: ("children",),
}


def function_calls(fn: Function) -> frozenset[str]:
    """The names a function's body calls (macro calls included), by one iterative walk."""
    found: set[str] = set()
    stack: list[object] = []
    for stmt in walk_stmts(fn.body):
        stack.extend(stmt_exprs(stmt))
    children = _CHILDREN
    while stack:
        expr = stack.pop()
        kind = type(expr)
        if kind is Call:
            found.add(expr.callee)  # type: ignore[attr-defined]
        elif kind is StmtExpr:
            for stmt in walk_stmts(expr.body):  # type: ignore[attr-defined]
                stack.extend(stmt_exprs(stmt))
            continue
        elif kind is InitList:
            stack.extend(item for _, item in expr.items)  # type: ignore[attr-defined]
            continue
        for attr in children.get(kind, ()):
            value = getattr(expr, attr)
            if value is None:
                continue
            if isinstance(value, tuple):
                stack.extend(value)
            else:
                stack.append(value)
    found.discard("")
    return frozenset(found)


def function_exprs(fn: Function) -> Iterator[Expr]:
    """Every expression in a function body."""
    for stmt in walk_stmts(fn.body):
        for expr in stmt_exprs(stmt):
            yield from sub_exprs(expr)


@dataclass(frozen=True)
class TypeEnv:
    """Types visible in one function, and the single value of each local that is assigned once."""

    file: FileTypes
    locals: Mapping[str, str]
    single_value: Mapping[str, Expr]

    def of(self, expr: Expr, depth: int = 0) -> str | None:
        """The declared type of ``expr`` (normalised text), or None when it cannot be told."""
        if depth > 12:
            return None
        if isinstance(expr, Name):
            if expr.name in self.locals:
                return self.locals[expr.name]
            return self.file.globals.get(expr.name)
        if isinstance(expr, Field):
            base_type = self.of(expr.base, depth + 1)
            tag = struct_name(base_type)
            if tag is None:
                return None
            return self.file.structs.get(tag, {}).get(expr.member)
        if isinstance(expr, Unary):
            inner = self.of(expr.operand, depth + 1)
            if expr.op == "&":
                return f"{inner} *" if inner else None
            if expr.op == "*":
                return pointee(inner)
            return None
        if isinstance(expr, Cast):
            return expr.type
        if isinstance(expr, Index):
            return pointee(self.of(expr.base, depth + 1))
        if isinstance(expr, Conditional):
            return self.of(expr.other, depth + 1)
        if isinstance(expr, Call):
            return self._call_type(expr)
        return None

    def _call_type(self, call: Call) -> str | None:
        index = tables().lists.typed_entry.get(call.callee)
        if index is not None and index < len(call.args):
            arg = call.args[index]
            if isinstance(arg, TypeArg):
                return f"{arg.type} *"
            return None
        return self.file.returns.get(call.callee)

    def resolve(self, expr: Expr) -> Expr:
        """Follow a local that holds a copy of one other expression: ``p = page`` -> ``page``."""
        seen: set[str] = set()
        while isinstance(expr, Name) and expr.name in self.single_value and expr.name not in seen:
            seen.add(expr.name)
            expr = self.single_value[expr.name]
        return expr


def _assigned_values(fn: Function) -> dict[str, list[Expr | None]]:
    values: dict[str, list[Expr | None]] = {}
    for stmt in walk_stmts(fn.body):
        if isinstance(stmt, Decl):
            values.setdefault(stmt.name, []).append(stmt.init)
    for expr in function_exprs(fn):
        if isinstance(expr, Assign) and isinstance(expr.target, Name):
            values.setdefault(expr.target.name, []).append(expr.value if expr.op == "=" else None)
        elif isinstance(expr, Unary) and expr.op == "&" and isinstance(expr.operand, Name):
            # Its address escapes: anything may be stored through it.
            values.setdefault(expr.operand.name, []).append(None)
    return values


def env_for(types: FileTypes, fn: Function) -> TypeEnv:
    local_types = {param.name: param.type for param in fn.params}
    for stmt in walk_stmts(fn.body):
        if isinstance(stmt, Decl):
            local_types[stmt.name] = stmt.type
    single: dict[str, Expr] = {}
    params = {p.name for p in fn.params}
    for name, values in _assigned_values(fn).items():
        # Only a plain copy of a variable, of a lock's address, or the folio
        # of a page (page_folio(p)) is followed: anything else (a call,
        # arithmetic) may name a different object.
        if name in params or name not in local_types or len(values) != 1:
            continue
        value = values[0]
        if value is None:
            continue
        same = isinstance(value, Call) and value.callee in tables().same_page
        if same or isinstance(value, Name) or (isinstance(value, Unary) and value.op == "&"):
            single[name] = value
    return TypeEnv(types, local_types, single)

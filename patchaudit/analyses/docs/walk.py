"""Walks over the IR: every statement of a body, every expression inside, depth first."""

from __future__ import annotations

from collections.abc import Iterator

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
    If,
    Index,
    InitList,
    Loop,
    Opaque,
    Return,
    Scoped,
    Stmt,
    StmtExpr,
    Switch,
    Unary,
    Unknown,
)


def statements(stmt: Stmt) -> Iterator[Stmt]:
    """``stmt`` and every statement nested in it."""
    stack = [stmt]
    while stack:
        current = stack.pop()
        yield current
        children: list[Stmt] = []
        if isinstance(current, Block):
            children.extend(current.body)
        elif isinstance(current, If):
            children.append(current.then)
            if current.other is not None:
                children.append(current.other)
        elif isinstance(current, Loop):
            children.extend(current.init)
            children.append(current.body)
        elif isinstance(current, (Switch, Scoped)):
            children.append(current.body)
        stack.extend(reversed(children))


def _own_exprs(stmt: Stmt) -> Iterator[Expr]:
    """The expressions a statement holds directly (not those of nested statements)."""
    if isinstance(stmt, ExprStmt):
        yield stmt.expr
    elif isinstance(stmt, Decl) and stmt.init is not None:
        yield stmt.init
    elif isinstance(stmt, If):
        yield stmt.cond
    elif isinstance(stmt, Loop):
        if stmt.cond is not None:
            yield stmt.cond
        if stmt.step is not None:
            yield stmt.step
        yield from stmt.args
    elif isinstance(stmt, Switch):
        yield stmt.cond
    elif isinstance(stmt, (Case, Return)) and stmt.value is not None:
        yield stmt.value
    elif isinstance(stmt, Scoped):
        yield from stmt.args
    elif isinstance(stmt, Opaque):
        yield from stmt.calls


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Call):
        return (expr.callee_expr, *expr.args)
    if isinstance(expr, Field):
        return (expr.base,)
    if isinstance(expr, (Unary, Cast)):
        return (expr.operand,)
    if isinstance(expr, (Binary,)):
        return (expr.left, expr.right)
    if isinstance(expr, Assign):
        return (expr.target, expr.value)
    if isinstance(expr, Conditional):
        parts = [expr.cond, expr.other]
        if expr.then is not None:
            parts.insert(1, expr.then)
        return tuple(parts)
    if isinstance(expr, Index):
        return (expr.base, expr.index)
    if isinstance(expr, InitList):
        return tuple(value for _, value in expr.items)
    if isinstance(expr, Unknown):
        return expr.children
    return ()


def expressions(stmt: Stmt) -> Iterator[Expr]:
    """Every expression in ``stmt`` and its nested statements, including sub-expressions.

    Statement expressions ``({ ... })`` are entered too: their statements
    run where they appear.
    """
    for current in statements(stmt):
        stack = list(_own_exprs(current))
        while stack:
            expr = stack.pop()
            yield expr
            if isinstance(expr, StmtExpr):
                yield from expressions(expr.body)
                continue
            stack.extend(children(expr))

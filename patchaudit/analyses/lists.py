"""Which list an entry variable sits on: iterator cursors, first-entry reads, owner look-ups."""

from __future__ import annotations

from dataclasses import dataclass

from patchaudit.analyses.lockclass import Resolver
from patchaudit.analyses.tables import tables
from patchaudit.analyses.types import function_exprs, walk_stmts
from patchaudit.cfront.ir import Assign, Call, Decl, Expr, Field, Function, Loop, Name, Unary


@dataclass(frozen=True)
class Membership:
    """``var`` is an entry of the list ``list_class`` between two lines, and why we think so."""

    var: str
    list_class: str  # struct.member of the list head: balloon_dev_info.pages
    first_line: int
    last_line: int
    line: int  # where it was learnt
    reason: str


def entry_var(expr: Expr) -> tuple[str, str] | None:
    """``&page->lru`` -> (``page``, ``lru``): the entry variable and its list member."""
    if isinstance(expr, Unary) and expr.op == "&" and isinstance(expr.operand, Field):
        base = expr.operand.base
        if isinstance(base, Name):
            return base.name, expr.operand.member
    return None


def memberships(fn: Function, resolver: Resolver) -> list[Membership]:
    """What the function's code says about the lists its entry variables are on."""
    ops = tables().lists
    found: list[Membership] = []
    for stmt in walk_stmts(fn.body):
        if isinstance(stmt, Loop) and stmt.macro in ops.iterators:
            cursor, head = ops.iterators[stmt.macro]
            if max(cursor, head) < len(stmt.args) and isinstance(stmt.args[cursor], Name):
                cls = resolver.object_class(stmt.args[head])
                found.append(
                    Membership(
                        stmt.args[cursor].text,
                        cls,
                        stmt.body.pos.line,
                        stmt.body.end.line,
                        stmt.pos.line,
                        f"'{stmt.args[cursor].text}' walks {cls} ({stmt.macro}({stmt.args[head].text}, ...))",
                    )
                )
        elif isinstance(stmt, Decl) and stmt.init is not None:
            found.extend(_from_value(stmt.name, stmt.init, stmt.pos.line, fn, resolver))
    for expr in function_exprs(fn):
        if isinstance(expr, Assign) and expr.op == "=" and isinstance(expr.target, Name):
            found.extend(_from_value(expr.target.name, expr.value, expr.pos.line, fn, resolver))
        if isinstance(expr, Call) and expr.callee in ops.owners:
            index, list_class, citation = ops.owners[expr.callee]
            if index < len(expr.args) and isinstance(expr.args[index], Name):
                var = expr.args[index].text
                found.append(
                    Membership(
                        var,
                        list_class,
                        fn.start_line,
                        fn.end_line,
                        expr.pos.line,
                        f"'{var}' is an entry of {list_class}: {expr.text} ({citation})",
                    )
                )
    return found


def _from_value(var: str, value: Expr, line: int, fn: Function, resolver: Resolver) -> list[Membership]:
    ops = tables().lists
    if isinstance(value, Call) and value.callee in ops.first_entry:
        index = ops.first_entry[value.callee]
        if index < len(value.args):
            cls = resolver.object_class(value.args[index])
            return [Membership(var, cls, line, fn.end_line, line, f"'{var}' = {value.text}: an entry of {cls}")]
    return []


def list_of(entries: list[Membership], var: str, line: int) -> Membership | None:
    """The innermost (latest learnt) membership of ``var`` that covers ``line``."""
    covering = [m for m in entries if m.var == var and m.first_line <= line <= m.last_line]
    return max(covering, key=lambda m: m.line) if covering else None

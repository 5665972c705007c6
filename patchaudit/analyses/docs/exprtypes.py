"""The declared type of an expression inside one function, from the IR's declarations alone.

Only what the file declares is known: parameters, locals, globals, the
members of structs defined in the file and the return types of its
functions. Anything else is unknown (None), and callers treat unknown as
"cannot tell", never as a mismatch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from patchaudit.analyses.docs.walk import statements
from patchaudit.cfront.ir import (
    Call,
    Cast,
    Conditional,
    Decl,
    Expr,
    Field,
    FileIR,
    Function,
    Index,
    Literal,
    Name,
    Unary,
)

# Qualifiers and sparse annotations do not change what a value refers to.
_QUALIFIER_RE = re.compile(
    r"\b(?:const|volatile|restrict|register|static|extern|__rcu|__iomem|__user|__percpu|__force)\b"
)
_TAG_RE = re.compile(r"^(?:struct|union)\s+(\w+)")
_NULLS = frozenset({"0", "NULL", "0UL", "0L", "0U"})


def normalise(type_text: str) -> str:
    """``const struct page*`` -> ``struct page *``: comparable spellings of a type."""
    text = _QUALIFIER_RE.sub(" ", type_text)
    text = re.sub(r"\s*\*\s*", " *", text)
    text = " ".join(text.split())
    return text.replace("* *", "**").replace("* *", "**")


def struct_tag(type_text: str) -> str | None:
    """The struct a pointer or value type names: ``struct page *`` -> page."""
    match = _TAG_RE.match(normalise(type_text))
    return match.group(1) if match else None


def is_null(expr: Expr) -> bool:
    """``0`` or ``NULL``, through casts: the value that clears a field."""
    while isinstance(expr, Cast):
        expr = expr.operand
    if isinstance(expr, Literal):
        return expr.text in _NULLS
    return isinstance(expr, Name) and expr.name == "NULL"


def strip_casts(expr: Expr) -> Expr:
    """The value under its casts: ``(unsigned long)balloon`` stores ``balloon``."""
    while isinstance(expr, Cast):
        expr = expr.operand
    return expr


@dataclass(frozen=True, eq=False)
class TypeScope:
    variables: Mapping[str, str]  # name -> normalised type ("" when declared twice differently)
    fields: Mapping[tuple[str, str], str]  # (struct tag, member) -> normalised type
    returns: Mapping[str, str]  # function name -> normalised return type

    def type_of(self, expr: Expr) -> str | None:
        if isinstance(expr, Name):
            return self.variables.get(expr.name) or None
        if isinstance(expr, Cast):
            return normalise(expr.type)
        if isinstance(expr, Field):
            base = self.type_of(expr.base)
            if base is None:
                return None
            if expr.arrow:
                if not base.endswith("*"):
                    return None
                base = base[:-1].rstrip()
            tag = struct_tag(base)
            return self.fields.get((tag, expr.member)) if tag is not None else None
        if isinstance(expr, Unary) and expr.op == "&":
            inner = self.type_of(expr.operand)
            return normalise(inner + " *") if inner is not None else None
        if isinstance(expr, Unary) and expr.op == "*" or isinstance(expr, Index):
            operand = expr.operand if isinstance(expr, Unary) else expr.base
            inner = self.type_of(operand)
            return inner[:-1].rstrip() if inner is not None and inner.endswith("*") else None
        if isinstance(expr, Call):
            return self.returns.get(expr.callee) or None
        if isinstance(expr, Conditional) and expr.then is not None:
            then, other = self.type_of(expr.then), self.type_of(expr.other)
            return then if then == other else None
        return None


def _declare(table: dict[str, str], name: str, type_text: str) -> None:
    if not name:
        return
    normal = normalise(type_text)
    # The same name declared with two types (two functions' locals): unknown.
    table[name] = normal if table.get(name, normal) == normal else ""


def file_scope(ir: FileIR) -> TypeScope:
    """What the whole file declares: globals, struct members, function return types."""
    variables: dict[str, str] = {}
    for var in ir.globals:
        _declare(variables, var.name, var.type)
    fields = {
        (struct.name, member.name): normalise(member.type)
        for struct in ir.structs
        for member in struct.fields
    }
    returns = {fn.name: normalise(fn.return_type) for fn in ir.functions}
    return TypeScope(variables, fields, returns)


def function_scope(outer: TypeScope, fn: Function) -> TypeScope:
    """``outer`` with the parameters and locals of ``fn`` (which hide globals of the same name)."""
    local: dict[str, str] = {}
    for param in fn.params:
        _declare(local, param.name, param.type)
    for stmt in statements(fn.body):
        if isinstance(stmt, Decl):
            _declare(local, stmt.name, stmt.type)
    return TypeScope({**outer.variables, **local}, outer.fields, outer.returns)

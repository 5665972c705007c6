"""Structural claims a comment makes about a field: written only through Z, only with values of type T."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from patchaudit.analyses.docs.exprtypes import (
    TypeScope,
    file_scope,
    function_scope,
    is_null,
    normalise,
    strip_casts,
    struct_tag,
)
from patchaudit.analyses.docs.walk import expressions
from patchaudit.cfront.ir import Assign, Call, Expr, Field, FileIR, Unary


@dataclass(frozen=True)
class FieldClaim:
    """``struct_name``'s ``field`` is written only through ``writers``, with ``value_types``."""

    struct_name: str  # "page"
    field: str  # "private"
    writers: tuple[str, ...]  # the only ways to write it: set_page_private
    value_args: tuple[tuple[str, int], ...]  # writer -> 1-based argument holding the value
    value_types: tuple[str, ...]  # what the value may be: "struct balloon_dev_info *"
    allow_null: bool  # whether 0 / NULL (clearing the field) is allowed
    other_writers: tuple[str, ...] = ()  # helpers known to write the field some other way


class ViolationKind(Enum):
    DIRECT_WRITE = "direct-write"  # page->private = x, not through the writer
    OTHER_WRITER = "other-writer"  # attach_page_private(page, x)
    WRONG_VALUE = "wrong-value"  # set_page_private(page, (unsigned long)other)


@dataclass(frozen=True)
class ClaimViolation:
    kind: ViolationKind
    line: int
    column: int
    function: str
    message: str


def _is_field_of(expr: Expr, claim: FieldClaim, scope: TypeScope) -> bool:
    """Whether ``expr`` is ``x->field`` / ``x.field`` with ``x`` known to be the claimed struct."""
    if not isinstance(expr, Field) or expr.member != claim.field:
        return False
    base = scope.type_of(expr.base)
    if base is None:
        return False  # unknown: an untyped ->private is not evidence
    if expr.arrow and not base.endswith("*"):
        return False
    return struct_tag(base) == claim.struct_name


def _value_problem(value: Expr, claim: FieldClaim, scope: TypeScope) -> str | None:
    """What a writer stores that the claim does not allow, described; None if allowed or unknown."""
    if is_null(value):
        return None if claim.allow_null else f"'{value.text}'"
    stored = scope.type_of(strip_casts(value))
    if stored is None:
        return None  # cannot tell: never reported
    allowed = {normalise(t) for t in claim.value_types}
    if stored in allowed:
        return None
    return f"'{strip_casts(value).text}' of type '{stored}'"


def _expected(claim: FieldClaim) -> str:
    kinds = " or ".join(f"'{t}'" for t in claim.value_types)
    return kinds + (" (or 0 to clear it)" if claim.allow_null else "")


def claim_violations(ir: FileIR, claim: FieldClaim) -> Iterator[ClaimViolation]:
    """Every write of the claimed field in ``ir`` that the claim does not allow."""
    outer = file_scope(ir)
    value_arg = dict(claim.value_args)
    target = f"{claim.struct_name}->{claim.field}"
    through = " / ".join(f"{w}()" for w in claim.writers)
    for fn in ir.functions:
        scope = function_scope(outer, fn)
        for expr in expressions(fn.body):
            written: Expr | None = None
            if isinstance(expr, Assign):
                written = expr.target
            elif isinstance(expr, Unary) and expr.op in ("++", "--"):
                written = expr.operand
            if written is not None and _is_field_of(written, claim, scope):
                yield ClaimViolation(
                    ViolationKind.DIRECT_WRITE,
                    expr.pos.line,
                    expr.pos.column,
                    fn.name,
                    f"'{expr.text}' writes {target} directly; the comment says it is "
                    f"written through {through}",
                )
                continue
            if not isinstance(expr, Call):
                continue
            if expr.callee in claim.other_writers:
                yield ClaimViolation(
                    ViolationKind.OTHER_WRITER,
                    expr.pos.line,
                    expr.pos.column,
                    fn.name,
                    f"{expr.callee}() writes {target}; the comment says it is written "
                    f"through {through}",
                )
                continue
            index = value_arg.get(expr.callee)
            if index is None or not 0 < index <= len(expr.args):
                continue
            problem = _value_problem(expr.args[index - 1], claim, scope)
            if problem is not None:
                yield ClaimViolation(
                    ViolationKind.WRONG_VALUE,
                    expr.pos.line,
                    expr.pos.column,
                    fn.name,
                    f"{expr.callee}() stores {problem} in {target}; the comment says it holds "
                    f"{_expected(claim)}",
                )

"""Lock classes named like lockdep's: ``&b->pages_lock`` is ``balloon_dev_info.pages_lock``."""

from __future__ import annotations

import re

from patchaudit.analyses.state import CHAIN_PREFIX, PAGE_CLASS, UNKNOWN_CLASS, LockRef
from patchaudit.analyses.tables import LockObject, tables
from patchaudit.analyses.types import TypeEnv, struct_name
from patchaudit.cfront.ir import Call, Cast, Expr, Field, Index, Name, Pos, Unary

# An annotation argument as written in __must_hold(&x->member.sub): an
# optional '&' and a chain of identifiers joined by '->' or '.'. Anything
# more complex is not resolved (the analysis then assumes nothing).
_LOCK_TEXT_RE = re.compile(r"^\s*(&)?\s*([A-Za-z_]\w*)((?:\s*(?:->|\.)\s*[A-Za-z_]\w*)*)\s*$")
_STEP_RE = re.compile(r"(->|\.)\s*([A-Za-z_]\w*)")
_ANNOTATION_RE = re.compile(r"^(__must_hold|__releases|__acquires)\s*\((.*)\)\s*$", re.DOTALL)


def parse_lock_text(text: str, pos: Pos) -> Expr | None:
    """Build the expression of a lock written in an annotation, e.g. ``&b->pages_lock``."""
    match = _LOCK_TEXT_RE.match(text)
    if match is None:
        return None
    expr: Expr = Name(pos, match.group(2), match.group(2))
    for arrow, member in _STEP_RE.findall(match.group(3)):
        expr = Field(pos, f"{expr.text}{arrow}{member}", expr, member, arrow == "->")
    if match.group(1):
        expr = Unary(pos, f"&{expr.text}", "&", expr)
    return expr


def parse_annotation(text: str) -> tuple[str, str] | None:
    """``__must_hold(&x->l)`` -> (``__must_hold``, ``&x->l``)."""
    match = _ANNOTATION_RE.match(text.strip())
    return (match.group(1), match.group(2)) if match else None


def strip_casts(expr: Expr) -> Expr:
    while isinstance(expr, Cast):
        expr = expr.operand
    return expr


class Resolver:
    """Turns lock and list expressions of one function into classes."""

    def __init__(self, env: TypeEnv) -> None:
        self.env = env

    def object_class(self, expr: Expr) -> str:
        """The class of a lock or list head object: ``&b->pages`` -> ``balloon_dev_info.pages``."""
        expr = strip_casts(expr)
        if isinstance(expr, Unary) and expr.op == "&":
            expr = strip_casts(expr.operand)
        expr = self.env.resolve(expr)
        if isinstance(expr, Unary) and expr.op == "&":
            expr = strip_casts(expr.operand)
        if isinstance(expr, Field):
            tag = struct_name(self.env.of(expr.base))
            if tag:
                return f"{tag}.{expr.member}"
            path = self._path(expr.base, 0)
            if path:
                return f"{CHAIN_PREFIX}{path}.{expr.member}"
            return f"{UNKNOWN_CLASS}.{expr.member}"
        if isinstance(expr, Name) and expr.name not in self.env.locals:
            # A file-scope lock (DEFINE_SPINLOCK(foo_lock)): lockdep names it by variable.
            return expr.name
        return UNKNOWN_CLASS

    def _path(self, expr: Expr, depth: int) -> str | None:
        """How to reach the struct ``expr`` points at from something typed, for a chain class.

        ``vma->vm_mm`` with ``vma`` a ``struct vm_area_struct *`` gives
        ``vm_area_struct.vm_mm``; ``page_zone(page)`` gives ``page_zone()``.
        None when no typed start is in sight (then the class is ``?.member``).
        """
        if depth > 6:
            return None
        expr = strip_casts(expr)
        while isinstance(expr, Unary) and expr.op in ("&", "*"):
            expr = strip_casts(expr.operand)
        tag = struct_name(self.env.of(expr))
        if tag:
            return tag
        if isinstance(expr, Field):
            base = self._path(expr.base, depth + 1)
            return f"{base}.{expr.member}" if base else None
        if isinstance(expr, Index):
            base = self._path(expr.base, depth + 1)
            return f"{base}[]" if base else None
        if isinstance(expr, Call) and expr.callee and isinstance(expr.callee_expr, Name):
            return f"{expr.callee}()"
        return None

    def page_instance(self, expr: Expr) -> str:
        """Which page a page or folio expression names, as text: ``page_folio(p)`` -> ``p``."""
        data = tables()
        for _ in range(8):
            expr = self.env.resolve(strip_casts(expr))
            if isinstance(expr, Call) and expr.callee in data.same_page and expr.args:
                expr = expr.args[0]
            elif (
                isinstance(expr, Unary)
                and expr.op == "&"
                and isinstance(expr.operand, Field)
                and expr.operand.member in data.same_page_members
            ):
                expr = expr.operand.base
            else:
                break
        return " ".join(expr.text.split())

    def lock(self, kind: LockObject, expr: Expr) -> LockRef:
        if kind is LockObject.PAGE:
            return LockRef(PAGE_CLASS, self.page_instance(expr))
        cls = self.object_class(expr)
        # Unknown locks keep their text so that two of them are not one lock.
        return LockRef(cls, " ".join(expr.text.split()) if cls == UNKNOWN_CLASS else "")

    def annotation_lock(self, text: str, pos: Pos) -> LockRef | None:
        expr = parse_lock_text(text, pos)
        if expr is None:
            return None
        ref = self.lock(LockObject.ARG, expr)
        return ref if ref.resolved else None

"""Kind ``companion-call``: a file that calls M(A) must also call M(B) (exports that go together)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses.types import function_exprs
from patchaudit.cfront.ir import Call, FileIR, Name
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import (
    Guarded,
    Hit,
    Scope,
    param_str,
    param_str_list,
    reject_unknown,
)
from patchaudit.ruleset.kinds.lock_params import optional_strs
from patchaudit.ruleset.model import Rule

_WORD_RE = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class CompanionCallParams:
    callee: str  # VMCOREINFO_NUMBER
    present: str  # the argument that shows this is the right place: PAGE_BUDDY_MAPCOUNT_VALUE
    requires: str  # the argument that must be there too: PAGE_OFFLINE_MAPCOUNT_VALUE
    accepted: tuple[str, ...]  # arguments that count instead (a removed name another rule reports)
    only_if_named: tuple[str, ...]  # the file must name one of these (code or comment) to apply


class CompanionCallKind:
    name = "companion-call"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> CompanionCallParams:
        reject_unknown(raw, {"callee", "present", "requires", "accepted", "only_if_named"}, where)
        return CompanionCallParams(
            callee=param_str(raw, "callee", where),
            present=param_str(raw, "present", where),
            requires=param_str(raw, "requires", where),
            accepted=optional_strs(raw, "accepted", where),
            only_if_named=param_str_list(raw, "only_if_named", where) if "only_if_named" in raw else (),
        )

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # Only calls of the callee are reported.
        params: CompanionCallParams = rule.params
        return (params.callee,)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: CompanionCallParams = rule.params
        if not any(ident.name == params.callee for ident in ir.identifiers):
            return
        if params.only_if_named and not _names_any(ir, params.only_if_named):
            return
        exported = _exports(ir, params.callee)
        if any(name in exported for name in (params.requires, *params.accepted)):
            return
        for _, call in exported.get(params.present, []):
            yield Hit(
                call.pos.line,
                call.pos.column,
                f"{params.callee}({params.present}) is exported but "
                f"{params.callee}({params.requires}) is not",
                (TraceStep(ir.path, call.pos.line,
                           f"the companion export {params.callee}({params.requires}) belongs next to this one"),),
            )


    # ------------------------------------------------------------ removals

    def guarded(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        """The companion export itself (or a name accepted for it)."""
        params: CompanionCallParams = rule.params
        if params.only_if_named and not _names_any(ir, params.only_if_named):
            return
        yield from self.equivalents(rule, ir)

    def equivalents(self, rule: Rule, ir: FileIR) -> Iterator[Guarded]:
        params: CompanionCallParams = rule.params
        key = f"{params.callee}({params.requires})"
        for name, calls in _exports(ir, params.callee).items():
            if name in (params.requires, *params.accepted):
                for function, call in calls:
                    yield Guarded(function, key, call.pos.line, call.pos.column,
                                  " ".join(call.text.split()))

    def removal_hit(self, rule: Rule, removed: Guarded, line: int, ir: FileIR) -> Hit | None:
        """Only while the file still exports the value the companion belongs next to."""
        params: CompanionCallParams = rule.params
        exports = _exports(ir, params.callee)
        if any(name in exports for name in (params.requires, *params.accepted)):
            return None  # exported elsewhere in the file: moved, not removed
        if params.only_if_named and not _names_any(ir, params.only_if_named):
            return None
        present = exports.get(params.present, [])
        if not present:
            return None
        trace = (
            TraceStep(ir.path, line, f"{removed.text} was here, in {removed.function}()"),
            *(TraceStep(ir.path, call.pos.line,
                        f"{params.callee}({params.present}) is still exported here, in {function}()")
              for function, call in present),
        )
        return Hit(
            line,
            0,
            f"the patch removes {removed.text}: {params.callee}({params.present}) is still "
            f"exported but {params.callee}({params.requires}) no longer is",
            tuple(sorted(trace)),
            removed.function,
        )


def _exports(ir: FileIR, callee: str) -> dict[str, list[tuple[str, Call]]]:
    """Each name passed to ``callee``, with the function and the call that pass it."""
    exported: dict[str, list[tuple[str, Call]]] = {}
    for fn in ir.functions:
        for expr in function_exprs(fn):
            if isinstance(expr, Call) and expr.callee == callee and expr.args:
                arg = expr.args[0]
                if isinstance(arg, Name):
                    exported.setdefault(arg.name, []).append((fn.name, expr))
    return exported


def _names_any(ir: FileIR, names: tuple[str, ...]) -> bool:
    wanted = set(names)
    if any(ident.name in wanted for ident in ir.identifiers):
        return True
    # Comments count: a file whose comments speak of PageOffline() knows the type.
    return any(wanted.intersection(_WORD_RE.findall(comment.text)) for comment in ir.comments)

"""Kind ``paired-state``: a driver that sets a page state must also clear it somewhere."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses.types import function_exprs
from patchaudit.cfront.ir import Call, FileIR
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import Hit, Scope, param_str_list, reject_unknown
from patchaudit.ruleset.kinds.lock_params import optional_strs
from patchaudit.ruleset.model import Rule

_MAX_RELEASES_SHOWN = 5


@dataclass(frozen=True)
class PairedStateParams:
    set: tuple[str, ...]  # calls that set the state: __SetPageOffline
    clear: tuple[str, ...]  # calls that clear it: __ClearPageOffline
    clear_via: tuple[str, ...]  # library calls that clear it for the caller: balloon_page_finalize
    release: tuple[str, ...]  # calls that hand pages back (shown in the trace): __free_page
    exclude_paths: tuple[str, ...]  # tree prefixes where the state has other owners: mm/


class PairedStateKind:
    name = "paired-state"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> PairedStateParams:
        reject_unknown(raw, {"set", "clear", "clear_via", "release", "exclude_paths"}, where)
        return PairedStateParams(
            set=param_str_list(raw, "set", where),
            clear=param_str_list(raw, "clear", where),
            clear_via=optional_strs(raw, "clear_via", where),
            release=optional_strs(raw, "release", where),
            exclude_paths=optional_strs(raw, "exclude_paths", where),
        )

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # Only a call of a setter is reported; check() also filters on these names.
        params: PairedStateParams = rule.params
        return params.set

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: PairedStateParams = rule.params
        if ir.path.startswith(params.exclude_paths):
            return
        wanted = set(params.set) | set(params.clear) | set(params.clear_via)
        if not any(ident.name in wanted for ident in ir.identifiers):
            return
        calls = [
            (fn.name, expr)
            for fn in ir.functions
            for expr in function_exprs(fn)
            if isinstance(expr, Call)
        ]
        clearing = set(params.clear) | set(params.clear_via)
        if any(call.callee in clearing for _, call in calls):
            return
        # A function with a parse error may hide the clearing call: stay quiet.
        if any(fn.has_error for fn in ir.functions):
            return
        releases = [
            TraceStep(ir.path, call.pos.line,
                      f"{fn}() hands a page back with {call.text} without {params.clear[0]}()")
            for fn, call in calls
            if call.callee in params.release
        ][:_MAX_RELEASES_SHOWN]
        for fn, call in calls:
            if call.callee not in params.set:
                continue
            trace = [
                TraceStep(ir.path, call.pos.line, f"{fn}() sets the state: {call.text}"),
                *releases,
            ]
            if not releases:
                trace.append(TraceStep(ir.path, call.pos.line,
                                       f"no call in this file clears it ({', '.join(sorted(clearing))})"))
            yield Hit(
                call.pos.line,
                call.pos.column,
                f"{call.callee}() marks pages here, but nothing in this file undoes it with "
                f"{' or '.join(params.clear)}() (nor through {', '.join(params.clear_via) or 'a helper'})"
                " before the pages go back",
                tuple(sorted(trace)),
            )

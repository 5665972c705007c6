"""Kind ``caller-contract``: a call to a function requires given locks held at the call site."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses import lock_analysis
from patchaudit.analyses.explain import class_holding, lock_trace, missing_text, page_holding
from patchaudit.analyses.state import PAGE_CLASS, Holding
from patchaudit.cfront.ir import FileIR
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import Hit, Scope, param_str, reject_unknown
from patchaudit.ruleset.kinds.lock_params import Requirement, requirements
from patchaudit.ruleset.model import Rule


@dataclass(frozen=True)
class CallerContractParams:
    function: str
    requires: tuple[Requirement, ...]


class CallerContractKind:
    name = "caller-contract"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> CallerContractParams:
        reject_unknown(raw, {"function", "requires"}, where)
        return CallerContractParams(param_str(raw, "function", where), requirements(raw, where))

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # Only calls of the function are judged.
        params: CallerContractParams = rule.params
        return (params.function,)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: CallerContractParams = rule.params
        # Cheap filter: no call of the function, no analysis.
        if not any(ident.name == params.function for ident in ir.identifiers):
            return
        for fl in lock_analysis(ir).functions:
            if not fl.trusted_for_absence or fl.function.name == params.function:
                continue
            for site in fl.flow.calls:
                if site.call.callee != params.function:
                    continue
                args = tuple(" ".join(arg.text.split()) for arg in site.call.args)
                missing: list[str] = []
                trace: list[TraceStep] = []
                for req in params.requires:
                    if req.lock == PAGE_CLASS and req.arg is not None:
                        if req.arg >= len(site.call.args):
                            continue
                        inst = fl.resolver.page_instance(site.call.args[req.arg])
                        holding, locks = page_holding(site.state, inst)
                    else:
                        holding, locks = class_holding(site.state, req.lock)
                    if holding is Holding.HELD:
                        # What is held is part of the explanation too (a callback context).
                        trace += lock_trace(ir.path, site.state, locks, fl.function.pos.line)
                    elif holding in (Holding.NOT_HELD, Holding.PARTIAL):
                        missing.append(f"{req.describe(args)} {missing_text(holding)}")
                        if locks:
                            trace += lock_trace(ir.path, site.state, locks, fl.function.pos.line)
                        else:
                            trace.append(
                                TraceStep(ir.path, fl.function.pos.line,
                                          f"{req.describe(args)} is not taken on any path to here")
                            )
                if not missing:
                    continue
                line = site.call.pos.line
                trace.append(TraceStep(ir.path, line, f"{params.function}() is called here"))
                yield Hit(
                    line,
                    site.call.pos.column,
                    f"{params.function}() requires its caller to hold "
                    f"{' and '.join(req.describe(args) for req in params.requires)}, but "
                    f"{'; '.join(missing)}",
                    tuple(sorted(set(trace))),
                )

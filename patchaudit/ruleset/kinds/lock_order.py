"""Kind ``lock-order``: class A is taken before class B; waiting for A while B is held inverts it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from patchaudit.analyses import lock_analysis
from patchaudit.analyses.explain import class_holding, lock_trace
from patchaudit.analyses.state import PAGE_CLASS, Holding
from patchaudit.cfront.ir import FileIR
from patchaudit.model import TraceStep
from patchaudit.ruleset.kinds.base import Hit, Scope, reject_unknown
from patchaudit.ruleset.kinds.lock_params import lock_class
from patchaudit.ruleset.model import Rule


@dataclass(frozen=True)
class LockOrderParams:
    first: str  # taken first (outer)
    then: str  # taken second (inner)


def _name(cls: str) -> str:
    return "the page lock" if cls == PAGE_CLASS else cls


class LockOrderKind:
    name = "lock-order"
    scope = Scope.FILE
    # Its tokens are names it compares whole (ident.name == token): scan wants them whole too.
    whole_identifiers = True

    def parse_params(self, raw: Mapping[str, Any], where: str) -> LockOrderParams:
        reject_unknown(raw, {"first", "then"}, where)
        return LockOrderParams(lock_class(raw, "first", where), lock_class(raw, "then", where))

    def required_tokens(self, rule: Rule) -> tuple[str, ...]:
        # The cheap filter in check(): the inner lock's member is named.
        params: LockOrderParams = rule.params
        return (params.then.rsplit(".", 1)[-1],)

    def check(self, rule: Rule, ir: FileIR) -> Iterator[Hit]:
        params: LockOrderParams = rule.params
        # Cheap filter: the inner lock's member must be named in the file.
        member = params.then.rsplit(".", 1)[-1]
        if not any(ident.name == member for ident in ir.identifiers):
            return
        for fl in lock_analysis(ir).functions:
            if not fl.reliable:
                continue
            for site in fl.flow.acquires:
                take = site.take
                # A trylock gives up instead of waiting: it cannot close a cycle.
                if take.lock.cls != params.first or not take.blocking:
                    continue
                if take.via and params.then in take.released | take.held_inside:
                    # Dropped inside the helper before the wait (no cycle), or
                    # held there on every path: the helper itself is reported.
                    continue
                holding, locks = class_holding(site.state, params.then)
                if holding is not Holding.HELD:
                    continue
                held = [lock for lock in locks if site.state.holding(lock) is Holding.HELD]
                trace = lock_trace(ir.path, site.state, held, fl.function.pos.line)
                where = f" inside {' -> '.join(take.via)}(): {take.inner}" if take.via else ""
                trace.append(TraceStep(ir.path, take.line, f"waits for {_name(params.first)} here{where}"))
                trace.append(TraceStep(
                    ir.path, take.line,
                    f"possible deadlock: CPU0 holds {_name(params.first)} and waits for "
                    f"{_name(params.then)}, as the documented order allows; CPU1 holds "
                    f"{_name(params.then)} and waits for {_name(params.first)} here",
                ))
                yield Hit(
                    take.line,
                    site.column or 1,
                    f"{take.text} waits for {_name(params.first)} while {_name(params.then)} "
                    f"is held; the documented order is {_name(params.first)} first, then "
                    f"{_name(params.then)} (a trylock would not wait)",
                    tuple(trace),
                )

"""A patch that adds or tightens a contract, judged against the callers the tree already has.

"Must be called with X held", a new ``lockdep_assert_held(X)`` or a new
``might_sleep()`` binds every existing caller, most of them in files the
patch never touches. The contracts the after-state of a file states and its
before-state does not are judged, through the tree index, at every call site
(in the file and outside it); the violations are reported on the line that
adds the contract, naming each caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from patchaudit.cfront.ir import FileIR
from patchaudit.contracts.model import Context, Contract, ContractKind, Verdict
from patchaudit.index.view import TreeView
from patchaudit.interproc.judge import Judge, Judgement
from patchaudit.interproc.session import session
from patchaudit.interproc.sleep import Sleepers
from patchaudit.model import TraceStep

_SHOWN = 5  # callers named in the message; all are in the trace


@dataclass(frozen=True)
class Broken:
    """A contract the patch adds and the existing calls that break it."""

    contract: Contract
    callers: tuple[Judgement, ...]


def _key(contract: Contract) -> tuple[object, ...]:
    return (contract.kind, contract.subject, contract.lock, contract.arg, contract.context)


def _tightening(contract: Contract) -> bool:
    if not contract.checkable:
        return False
    if contract.kind in (ContractKind.MUST_HOLD, ContractKind.MUST_NOT_HOLD):
        return contract.lock != "page"
    return contract.kind is ContractKind.CONTEXT and contract.context is Context.MAY_SLEEP


def added_contracts(path: str, before: bytes, before_ir: FileIR, after: bytes, after_ir: FileIR,
                    index: str | None) -> Iterator[Broken]:
    """Contracts of ``path`` after the patch that it did not state before, with their breakers."""
    current = session()
    current.open(index)
    old = current.summary(path, before, before_ir)
    new = current.summary(path, after, after_ir)
    view = current.view([new], index)
    stated_before = {_key(c) for c in current.view([old], index).contracts_of_file(path)}
    judge = Judge(view)
    sleepers = Sleepers(view)
    for contract in view.contracts_of_file(path):
        if not _tightening(contract) or _key(contract) in stated_before:
            continue
        if contract.kind is ContractKind.CONTEXT:
            breakers = tuple(_atomic_callers(view, sleepers, contract, path))
        else:
            breakers = tuple(j for j in judge.compliance(contract)
                             if j.verdict is Verdict.VIOLATED)
        if breakers:
            yield Broken(contract, breakers)


def _atomic_callers(view: TreeView, sleepers: Sleepers, contract: Contract,
                    path: str) -> Iterator[Judgement]:
    for caller, call in view.calls_to(contract.subject):
        if not caller.reliable or caller.name == contract.subject:
            continue
        atomic = sleepers.call_atomic(call, caller)
        if atomic is None or atomic.derived:
            continue
        yield Judgement("sleep-in-atomic", Verdict.VIOLATED, caller.file, call.line, call.column,
                        caller.name, message=atomic.steps[0], contract=contract)


def describe(broken: Broken) -> tuple[str, tuple[TraceStep, ...]]:
    """The message and trace of one finding on the line that adds the contract."""
    contract = broken.contract
    callers = broken.callers
    if contract.kind is ContractKind.CONTEXT:
        need = "may sleep now"
        how = "in atomic context"
    elif contract.kind is ContractKind.MUST_HOLD:
        need = f"now requires {contract.describe_lock()} held"
        how = "without it"
    else:
        need = f"now forbids {contract.describe_lock()} held"
        how = "with it held"
    named = ", ".join(f"{j.function}() at {j.file}:{j.line}" for j in callers[:_SHOWN])
    more = f" and {len(callers) - _SHOWN} more" if len(callers) > _SHOWN else ""
    count = f"{len(callers)} existing call{'s' if len(callers) != 1 else ''}"
    message = (f"{contract.subject}() {need} (\"{contract.text}\"), but {count} in the tree "
               f"{'call' if len(callers) != 1 else 'calls'} it {how}: {named}{more}")
    trace = tuple(TraceStep(j.file, j.line, f"{j.function}() calls {contract.subject}() {how}")
                  for j in callers)
    return message, (TraceStep(contract.file, contract.line, "the patch states this"), *trace)

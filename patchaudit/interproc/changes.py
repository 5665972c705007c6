"""A patch that changes a function's contract or locking, judged against the tree as it is.

"Must be called with X held", a new ``lockdep_assert_held(X)`` or a new
``might_sleep()`` binds every existing caller, most of them in files the
patch never touches. The contracts the after-state of a file states and its
before-state does not are judged, through the tree index, at every call site
(in the file and outside it); the violations are reported on the line that
adds the contract, naming each caller.

A function the patch makes wait for a lock X it did not take before is a
new "callers must not hold X": callers that hold X now deadlock. And the
function's own unchanged text can go stale: "Caller must hold X" above a
function that now takes X itself, "Takes X" above one that no longer
does. That finding is on the stale text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from patchaudit.cfront.cache import ParseCache
from patchaudit.cfront.ir import FileIR
from patchaudit.contracts.model import Context, Contract, ContractKind, Origin, Verdict
from patchaudit.index.summary import FileSummary, TakeFact
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
    take: TakeFact | None = None  # the new acquisition the contract stands for, if it is one


@dataclass(frozen=True)
class Stale:
    """A function's unchanged text that its patched code contradicts."""

    contract: Contract
    message: str
    trace: tuple[TraceStep, ...]


def _key(contract: Contract) -> tuple[object, ...]:
    return (contract.kind, contract.subject, contract.lock, contract.arg, contract.context)


def _tightening(contract: Contract) -> bool:
    if not contract.checkable:
        return False
    if contract.kind in (ContractKind.MUST_HOLD, ContractKind.MUST_NOT_HOLD):
        return contract.lock != "page"
    return contract.kind is ContractKind.CONTEXT and contract.context is Context.MAY_SLEEP


def added_contracts(path: str, before: bytes, before_ir: FileIR, after: bytes, after_ir: FileIR,
                    index: str | None, cache: ParseCache | None = None) -> Iterator[Broken | Stale]:
    """Contracts of ``path`` after the patch that it did not state before, with their breakers;
    then the acquisitions the patch adds that callers break, and the text they make stale."""
    current = session()
    current.open(index)
    old = current.summary(path, before, before_ir, cache)
    new = current.summary(path, after, after_ir, cache)
    view = current.view([new], index)
    stated_before = {_key(c) for c in current.view([old], index).contracts_of_file(path)}
    judge = Judge(view, {path: after})
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
    took_before = _all_takes(old)
    taken = _new_takes(took_before, new)
    # The callers as the tree has them: with the file's own callers judged in the
    # patched flow, a caller that holds the lock while the callee now takes it
    # again is the very self-deadlock whose analysis cannot settle.
    existing = Judge(current.view([old], index), {path: before})
    for name, takes in sorted(taken.items()):
        for cls, take in sorted(takes.items()):
            waits = Contract(kind=ContractKind.MUST_NOT_HOLD, origin=Origin.ACQUISITION,
                             subject=name, file=path, line=take.line, text=take.text,
                             lock_text=cls, lock=cls)
            breakers = tuple(moved for j in existing.compliance(waits)
                             if j.verdict is Verdict.VIOLATED
                             and (moved := _after_patch(j, path, name, old, new)) is not None)
            if breakers:
                yield Broken(waits, breakers, take)
    yield from _stale(path, view.contracts_of_file(path), stated_before, took_before,
                      _all_takes(new), taken)


def _after_patch(judgement: Judgement, path: str, callee: str, old: FileSummary,
                 new: FileSummary) -> Judgement | None:
    """A caller judged before the patch, at its line after it (None: the patch changed its calls)."""
    if judgement.file != path:
        return judgement

    def sites(summary: FileSummary) -> list[tuple[int, int]]:
        return sorted((c.line, c.column) for fn in summary.functions
                      if fn.name == judgement.function for c in fn.calls if c.callee == callee)

    before, after = sites(old), sites(new)
    index = next((i for i, (line, column) in enumerate(before)
                  if (line, column) == (judgement.line, judgement.column)), None)
    if index is None or len(before) != len(after):
        return None
    line, column = after[index]
    return replace(judgement, line=line, column=column)


def _own_takes(summary: FileSummary) -> dict[str, dict[str, TakeFact]]:
    """Per function: the classes it waits for itself, on its straight line, where nothing held
    them (its callers cannot hold them, or it deadlocks), first acquisition of each."""
    found: dict[str, dict[str, TakeFact]] = {}
    for fn in summary.functions:
        # On the function's straight line only: "if (!locked) mutex_lock(x)" is
        # taken where the caller does not hold it.
        top = {(c.line, c.column) for c in fn.calls if c.top}
        for take in fn.takes:
            if (take.lock.startswith(("@", "?", "~")) or take.lock == "page" or not take.blocking
                    or take.nested or take.shared or take.via or not take.first
                    or (take.line, take.column) not in top):
                continue
            found.setdefault(fn.name, {}).setdefault(take.lock, take)
    return found


def _all_takes(summary: FileSummary) -> dict[str, set[str]]:
    return {fn.name: {t.lock for t in fn.takes} for fn in summary.functions}


def _new_takes(before: dict[str, set[str]],
               new: FileSummary) -> dict[str, dict[str, TakeFact]]:
    """Classes a function waits for after the patch and did not take at all before."""
    return {name: fresh for name, takes in _own_takes(new).items() if name in before
            and (fresh := {cls: t for cls, t in takes.items() if cls not in before[name]})}


_STATED = (Origin.PROSE, Origin.KERNEL_DOC, Origin.ANNOTATION)


def _stale(path: str, contracts: list[Contract], stated_before: set[tuple[object, ...]],
           before: dict[str, set[str]], after: dict[str, set[str]],
           taken: dict[str, dict[str, TakeFact]]) -> Iterator[Stale]:
    for contract in contracts:
        if (contract.origin not in _STATED or not contract.checkable or contract.file != path
                or _key(contract) not in stated_before):
            continue  # only text the patch left as it was
        name, cls = contract.subject, contract.lock
        lock = contract.describe_lock()
        if contract.kind is ContractKind.MUST_HOLD and cls in taken.get(name, {}):
            take = taken[name][cls]
            yield Stale(contract, (
                f"{name}()'s {contract.origin.value} says its callers hold {lock} "
                f"(\"{contract.text}\"), but after the patch {name}() takes {lock} itself "
                f"(line {take.line}): the text is stale, or callers that follow it deadlock"),
                (TraceStep(path, contract.line, "the text, unchanged by the patch"),
                 TraceStep(path, take.line, f"{name}() now takes {cls} here ({take.text})")))
        elif (contract.kind in (ContractKind.TAKES, ContractKind.ACQUIRES)
              and cls in before.get(name, set()) and name in after
              and cls not in after[name]):
            yield Stale(contract, (
                f"{name}()'s {contract.origin.value} says it takes {lock} "
                f"(\"{contract.text}\"), but after the patch {name}() no longer takes it: "
                f"the text is stale"),
                (TraceStep(path, contract.line, "the text, unchanged by the patch"),))


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
    if broken.take is not None:
        need = f"now takes {contract.describe_lock()} itself"
        how = "with it held, and would deadlock"
    elif contract.kind is ContractKind.CONTEXT:
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

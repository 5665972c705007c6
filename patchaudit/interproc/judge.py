"""Judging code against the tree's contracts: each call, write and acquisition of a function.

Every judgement is one of followed / violated / unknown (LockDoc's
compliance), with the reason for unknown: the rule kinds report violations
only, and the run counts the rest so that silence is measurable. A state
"held on some paths only" is a violation of nothing we can prove (the other
paths may be impossible): it is counted as ``partial`` and never reported.

Judgements read a tree view (the index with the checked files laid over
it): the contracts of the callee, the entry state of the caller (its own
text, its callers), and for sleeping, the chain of calls to the stated or
primitive sleep.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from patchaudit.contracts.model import PSEUDO_PREFIX, Contract, ContractKind, Origin, Verdict
from patchaudit.index.summary import (
    HELD,
    NOT_HELD,
    PARTIAL,
    UNKNOWN,
    CallFact,
    Codes,
    WriteFact,
    code_of,
    combine,
)
from patchaudit.index.view import FunctionRef, TreeView, orders_before
from patchaudit.interproc.doubt import Doubts
from patchaudit.interproc.entry import Entry, EntryState, EntryStates
from patchaudit.interproc.sleep import Sleepers
from patchaudit.interproc.tables import judge_tables, releases
from patchaudit.model import TraceStep

PARTIAL_VERDICT = "partial"
_ALIAS = "the lock may be held under another expression"
_HELPER = "a locking helper the analysis does not model"
_FLAG = "made under a flag callers set when they hold the lock"
_WAIVED = "the function says it goes without the lock"
_TAKES_IT = "the callee itself returns holding the lock its text names"
_OTHER_LOCK = "the text says only \"the lock\" and the callee retakes another one"
_HELPER_DROPS = "the helper that takes it releases the held lock itself"
_OTHER_HELD = "the text says only \"the lock\" and the caller holds another one"
_GENERIC_LOCK = re.compile(r"(?:(?:the|this|that|its|a)\s+)?(?:lock|spinlock|mutex|semaphore)",
                           re.IGNORECASE)
_SETUP_DEPTH = 3
_RELEASES_IT = "the callee states it releases the lock that makes the call atomic"
_MOUNTING = "called only while its file system is mounted (fill_super)"
_CONTRADICTED = "its stated atomic context contradicted by its own sleeping code"
_ENTRY_CODE = {Entry.HELD: HELD, Entry.NOT_HELD: NOT_HELD, Entry.PARTIAL: PARTIAL,
               Entry.UNKNOWN: UNKNOWN}
_ORIGIN_RANK = {Origin.KERNEL_DOC: 0, Origin.PROSE: 1, Origin.ANNOTATION: 2, Origin.ASSERT: 3}


@dataclass(frozen=True)
class Judgement:
    """One call, write or acquisition against one contract."""

    check: str  # "must-hold", "must-not-hold", "sleep-in-atomic", "member-unprotected", "lock-order"
    verdict: Verdict
    file: str
    line: int
    column: int
    function: str
    message: str = ""
    trace: tuple[TraceStep, ...] = ()
    contract: Contract | None = None
    reason: str = ""  # unknown or not reported: why (counted in the run summary)


def _step(where: str, text: str) -> TraceStep:
    """A trace step from "file:line" and a text."""
    file, _, line = where.rpartition(":")
    return TraceStep(file, int(line) if line.isdigit() else 0, text)


def _why_steps(fn: FunctionRef, state: EntryState) -> tuple[TraceStep, ...]:
    return tuple(TraceStep(fn.file, fn.line, why) for why in state.why)


class Judge:
    """Judges the functions of files in a tree view against the view's contracts."""

    def __init__(self, view: TreeView, sources: Mapping[str, bytes] | None = None) -> None:
        self.view = view
        self.doubts = Doubts(view, sources)
        self.entries = EntryStates(view, self.doubts)
        self.sleepers = Sleepers(view)
        self.tables = judge_tables()
        self._order: dict[tuple[str, str], Contract] | None = None

    # ------------------------------------------------------------ helpers

    def functions_of(self, path: str) -> list[FunctionRef]:
        summary = self.view.memory.files.get(path)
        if summary is None:
            return []
        return [self.view._memory_ref(path, fn) for fn in summary.functions]

    def held(self, fn: FunctionRef, code: str | None, cls: str) -> tuple[str, EntryState | None]:
        """The state of ``cls`` at a point (its code there, None untouched), given fn's entry."""
        if code in (HELD, NOT_HELD, PARTIAL, UNKNOWN):
            return code, None
        entry = self.entries.state(fn, cls)
        if code is None:  # untouched: the entry state itself
            return _ENTRY_CODE[entry.holding], entry
        return combine(code, {Entry.HELD: True, Entry.NOT_HELD: False}.get(entry.holding)), entry

    def held_at(self, fn: FunctionRef, codes: Codes, line: int,
                cls: str) -> tuple[str, EntryState | None, str]:
        """The state of ``cls`` at ``line`` of ``fn`` (its codes there), with the doubt that
        makes "not held" unknown: the same lock under another expression, or a locking
        helper before the point that the analysis does not model."""
        plain = code_of(codes, cls)
        code = self.doubts.code(codes, cls)
        if code == UNKNOWN and plain != UNKNOWN:
            return UNKNOWN, None, _ALIAS
        state, entry = self.held(fn, code, cls)
        if state == NOT_HELD and self.doubts.helper(fn, line, cls):
            return UNKNOWN, entry, _HELPER
        if state == NOT_HELD and self.doubts.flag(fn, line):
            return UNKNOWN, entry, _FLAG
        if state == NOT_HELD and self.doubts.waived(fn, cls):
            return UNKNOWN, entry, _WAIVED
        return state, entry, ""

    def _bound(self, contract: Contract, definitions: list[FunctionRef]) -> bool:
        """Whether ``contract`` (about a name) binds every definition a call may reach."""
        if not definitions:
            # Only a prototype is in view (a header's kernel-doc): the name is the function.
            return contract.file.endswith(".h")
        return all(contract.file == d.file or (d.visible_everywhere and
                                               (contract.file.endswith(".h") or not d.static))
                   for d in definitions)

    def callee_contracts(self, call: CallFact, caller: FunctionRef) -> list[Contract]:
        if not call.callee:
            return []  # a call through a pointer: no name to look contracts up by
        stated = [c for c in self.view.contracts(call.callee, (ContractKind.MUST_HOLD,
                                                               ContractKind.MUST_NOT_HOLD))
                  if c.checkable]
        if not stated:
            return []  # most callees: no need to look their definitions up
        definitions = self.view.callees_for(call.callee, caller.file)
        found = [c for c in stated if self._bound(c, definitions)]
        # The kernel's words first: a finding quotes "Caller must hold X" rather
        # than the lockdep_assert_held() that says the same.
        found.sort(key=lambda c: (_ORIGIN_RANK.get(c.origin, len(_ORIGIN_RANK)), c.file, c.line))
        return found

    def _takes_it(self, call: CallFact, caller: FunctionRef, cls: str) -> bool:
        """Whether every definition the call may reach returns holding ``cls``: a must-hold
        text about such a function describes the lock it takes, not a precondition."""
        definitions = self.view.callees_for(call.callee, caller.file)
        return bool(definitions) and all(
            any(acquired == cls for acquired, *_ in d.effect.acquires) for d in definitions)

    def _other_lock(self, call: CallFact, caller: FunctionRef, contract: Contract) -> bool:
        """Whether a contract that says only "the lock" may mean another lock than the one
        it was resolved to: every definition takes a lock again (dropped to wait, as
        csio_scsi_abort_io_q() drops and retakes hw->lock, "Should be entered with lock
        held") and none takes the resolved one."""
        if not _generic(contract):
            return False
        definitions = self.view.callees_for(call.callee, caller.file)
        if not definitions:
            return False
        for definition in definitions:
            taken = {take.lock for take in self.view.takes_of(definition) if not take.via}
            if not taken or contract.lock in taken:
                return False
        return True

    def pointer_lock(self, cls: str) -> bool:
        """Whether a class is a member that points to a lock (``spinlock_t *lock``): which lock
        it points to is set at run time (dma_fence.lock is its timeline's lock), so the class
        names no lock the caller can be seen to hold."""
        tag, dot, member = cls.rpartition(".")
        if not dot or not tag or tag.startswith(("@", "?", "~")):
            return False
        members = self.view.members(tag)
        kind = (members or {}).get(member, "")
        return kind.replace(" ", "").endswith("*")

    # ------------------------------------------------------------ must hold / must not hold

    def calls(self, fn: FunctionRef) -> Iterator[Judgement]:
        for call in self.view.calls_of(fn):
            if call.callee == fn.name:
                continue  # recursion: the contract is the function's own
            judged: set[tuple[str, str, int | None]] = set()
            for contract in self.callee_contracts(call, fn):
                # One judgement per lock: a kernel-doc line and an assertion of the
                # same lock are one contract stated twice.
                key = (contract.kind.value, contract.lock, contract.arg)
                if key not in judged:
                    judged.add(key)
                    yield self._call(fn, call, contract)

    def _call(self, fn: FunctionRef, call: CallFact, contract: Contract) -> Judgement:
        cls = contract.lock
        base = dict(file=fn.file, line=call.line, column=call.column, function=fn.name,
                    contract=contract)
        check = "must-hold" if contract.kind is ContractKind.MUST_HOLD else "must-not-hold"
        if cls == "page":
            code: str | None = dict(call.pages).get(contract.arg) if contract.arg is not None \
                else None
            if code is None or code not in (HELD, NOT_HELD):
                return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                                 reason="page argument not followed")
            state, entry = code, None
        elif self.pointer_lock(cls):
            return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason="the lock is reached through a pointer")
        elif (check == "must-hold" and contract.origin in (Origin.PROSE, Origin.KERNEL_DOC)
              and self._takes_it(call, fn, cls)):
            # "This lock must be held for any state transitions" above the function
            # that takes it (ssam_controller_lock()): the text describes the lock.
            return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=_TAKES_IT)
        elif check == "must-hold" and self._other_lock(call, fn, contract):
            return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=_OTHER_LOCK)
        elif check == "must-hold" and _generic(contract) and any(
                other != cls and code == HELD and not other.startswith("@")
                for other, code in call.locks):
            # "Should be called with lock held" while the caller holds hw->lock.
            return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=_OTHER_HELD)
        else:
            state, entry, doubt = self.held_at(fn, call.locks, call.line, cls)
            if doubt and check == "must-hold":
                return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                                 reason=doubt)
        lock = contract.describe_lock()
        wanted = HELD if check == "must-hold" else NOT_HELD
        if state == wanted:
            return Judgement(check, Verdict.FOLLOWED, **base)  # type: ignore[arg-type]
        if (check == "must-hold" and state == NOT_HELD
                and contract.origin in (Origin.PROSE, Origin.KERNEL_DOC)
                and (self._mounting(fn) or self._setup_only(fn, 0, self._mounting))):
            # btrfs_read_qgroup_config(), from open_ctree() alone: the file system is
            # being mounted, nothing else can reach what the text's lock protects yet.
            # (An assertion is another matter: lockdep checks it there too.)
            return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=_MOUNTING)
        if state == PARTIAL:
            return Judgement(check, Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=PARTIAL_VERDICT)
        if state == UNKNOWN:
            why = "caller's entry state unknown" if entry is not None else "lock state unknown"
            return Judgement(check, Verdict.UNKNOWN, **base, reason=why)  # type: ignore[arg-type]
        trace: list[TraceStep] = []
        if entry is not None:
            trace.extend(_why_steps(fn, entry))
        if check == "must-hold":
            for take in self.view.takes_of(fn):
                if take.lock == cls and take.line < call.line:
                    trace.append(TraceStep(fn.file, take.line,
                                           f"{cls} taken here ({take.text}), released before "
                                           f"the call"))
        source = f"{contract.file}:{contract.line}"
        trace.append(_step(source, f"{call.callee}() states: \"{contract.text}\""))
        trace.append(TraceStep(fn.file, call.line, f"{call.callee}() is called here"))
        if check == "must-hold":
            message = (f"{call.callee}() must be called with {lock} held, but {fn.name}() "
                       f"calls it without {lock} on every path")
        else:
            message = (f"{call.callee}() must not be called with {lock} held, but {fn.name}() "
                       f"holds it here")
        return Judgement(check, Verdict.VIOLATED, **base,  # type: ignore[arg-type]
                         message=message, trace=tuple(trace))

    # ------------------------------------------------------------ sleeping in atomic context

    def sleeps(self, fn: FunctionRef) -> Iterator[Judgement]:
        for call in self.view.calls_of(fn):
            if call.callee == fn.name or not call.callee:
                continue
            atomic = self.sleepers.call_atomic(call, fn)
            if atomic is None:
                if ((fn.file, fn.key) in self.sleepers.contradicted
                        and self.sleepers.call_sleeps(call, fn) is not None):
                    yield Judgement("sleep-in-atomic", Verdict.UNKNOWN, fn.file, call.line,
                                    call.column, fn.name, reason=_CONTRADICTED)
                continue
            if atomic.derived:
                # Atomic only because every caller is: the bug, if any, is at the call
                # in the caller, where that caller's own judgement reports it.
                continue
            if not call.atomic and call.callee in self.tables.interrupt_safe:
                continue  # interrupt context, no lock: it defers what would sleep (vfree())
            if call.callee in self.tables.fault_only and self._faults_disabled(fn, call.line):
                # A fault fails instead of sleeping: the call keeps the atomic context.
                yield Judgement("sleep-in-atomic", Verdict.FOLLOWED, fn.file, call.line,
                                call.column, fn.name)
                continue
            chain = self.sleepers.call_sleeps(call, fn)
            base = dict(file=fn.file, line=call.line, column=call.column, function=fn.name)
            if chain is None:
                yield Judgement("sleep-in-atomic", Verdict.FOLLOWED, **base)  # type: ignore[arg-type]
                continue
            if call.atomic and self._releases_atomic(call, fn):
                # do_wp_page() is __releases(vmf->ptl): it drops the lock that makes
                # the call atomic, and whether it sleeps before or after is its own affair.
                yield Judgement("sleep-in-atomic", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                                reason=_RELEASES_IT)
                continue
            if call.atomic and self.doubts.released_alias(call.locks, call.atomic):
                # The lock it holds may be one it dropped under another expression.
                yield Judgement("sleep-in-atomic", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                                reason=_ALIAS)
                continue
            trace = [_step_of(fn, s) for s in atomic.steps]
            trace += [_step_of(fn, s) for s in chain.steps]
            trace.append(TraceStep(fn.file, call.line, f"{call.callee}() is called here"))
            yield Judgement(
                "sleep-in-atomic", Verdict.VIOLATED, **base,  # type: ignore[arg-type]
                message=(f"{call.callee}() may sleep, but {fn.name}() calls it in atomic "
                         f"context ({atomic.steps[0]})"),
                trace=tuple(trace), contract=chain.source or atomic.source)

    def _releases_atomic(self, call: CallFact, fn: FunctionRef) -> bool:
        """Whether the callee states it releases the lock that makes the call atomic, and
        that lock is the only spinning lock or context held there."""
        held = {cls for cls, code in call.locks if code == HELD
                and (cls.startswith("@") or cls in fn.atomic)} | {call.atomic}
        if len(held) != 1:
            return False
        files = {d.file for d in self.view.callees_for(call.callee, fn.file)} | {fn.file}
        return any(c.checkable and c.lock == call.atomic
                   and (c.file in files or not c.file.endswith(".c"))
                   for c in self.view.contracts(call.callee, (ContractKind.RELEASES,)))

    def _faults_disabled(self, fn: FunctionRef, line: int) -> bool:
        """Whether page faults are disabled at ``line``: the function's name says its callers
        disable them ("_inatomic"), or it calls pagefault_disable() before with no enable
        between."""
        t = self.tables
        if any(part in t.fault_name_parts for part in fn.name.split("_")):
            return True
        state = False
        for call in sorted(self.view.calls_of(fn), key=lambda c: c.line):
            if call.line >= line:
                break
            if call.callee == t.fault_disable and call.top:
                state = True
            elif call.callee == t.fault_enable:
                state = False
        return state

    # ------------------------------------------------------------ protected members

    def writes(self, fn: FunctionRef) -> Iterator[Judgement]:
        summary = self.view.memory.by_key.get(fn.key) if fn.key < 0 else None
        if summary is None:
            return
        for write in summary.writes:
            contracts = self._member_contracts(write.member)
            if contracts:
                yield self.write_any(fn, write, contracts)

    def _member_contracts(self, member: str) -> list[Contract]:
        return [c for c in self.view.contracts(member, (ContractKind.PROTECTED_BY,))
                if c.checkable and not c.lock.startswith(PSEUDO_PREFIX)]

    def write_any(self, fn: FunctionRef, write: WriteFact,
                  contracts: list[Contract]) -> Judgement:
        """A write to a member that names several locks ("protected by fw_mutex and
        tx_lock"): followed with any of them held, a violation only with none; an unknown
        state of any of them makes the write unknown. A text that needs each of them for a
        change ("Must hold termios_rwsem, port mutex and port lock to change",
        judge.toml [member_all_locks]) is a violation when any is not held."""
        first: dict[str, Contract] = {}
        for contract in contracts:
            first.setdefault(contract.lock, contract)
        judged = [self.write(fn, write, c) for c in first.values()]
        every = all(self.tables.needs_all(c.text) for c in first.values())
        order = (Verdict.VIOLATED, Verdict.UNKNOWN) if every else (Verdict.FOLLOWED, Verdict.UNKNOWN)
        for verdict in order:
            for judgement in judged:
                if judgement.verdict is verdict:
                    return judgement
        return judged[0]

    def write(self, fn: FunctionRef, write: WriteFact, contract: Contract) -> Judgement:
        """One write to a protected member against the member's contract."""
        base = dict(file=fn.file, line=write.line, column=write.column, function=fn.name,
                    contract=contract)
        if self.pointer_lock(contract.lock):
            return Judgement("member-unprotected", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason="the lock is reached through a pointer")
        state, entry, doubt = self.held_at(fn, write.locks, write.line, contract.lock)
        if doubt:
            return Judgement("member-unprotected", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=doubt)
        if state == HELD:
            return Judgement("member-unprotected", Verdict.FOLLOWED, **base)  # type: ignore[arg-type]
        if (write.fresh or self.tables.exempt(fn.name) or "init" in fn.roots
                or self._setup_only(fn, 0)):
            reason = "fresh object" if write.fresh else "initialisation or teardown function"
            return Judgement("member-unprotected", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=reason)
        if state != NOT_HELD:
            reason = PARTIAL_VERDICT if state == PARTIAL else "lock state unknown"
            return Judgement("member-unprotected", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                             reason=reason)
        trace: list[TraceStep] = []
        if entry is not None:
            trace.extend(_why_steps(fn, entry))
        trace.append(_step(f"{contract.file}:{contract.line}",
                           f"{contract.subject} is documented: \"{contract.text}\""))
        trace.append(TraceStep(fn.file, write.line, f"{write.member} is written here"))
        return Judgement(
            "member-unprotected", Verdict.VIOLATED, **base,  # type: ignore[arg-type]
            message=(f"{write.member} is protected by {contract.describe_lock()}, but "
                     f"{fn.name}() writes it without holding it"),
            trace=tuple(trace))

    def _mounting(self, fn: FunctionRef) -> bool:
        """Whether ``fn`` runs while its object is set up and unseen: a mount callback
        (``_fill_super``). Not an ``__init`` function: initcalls run with the other CPUs up,
        and what they lock is often global (kcov_init() and kcov_remote_lock)."""
        return fn.name.endswith(self.tables.exempt_suffixes)

    def _setup_function(self, fn: FunctionRef) -> bool:
        return self.tables.exempt(fn.name) or "init" in fn.roots

    def _setup_only(self, fn: FunctionRef, depth: int,
                    setup: Callable[[FunctionRef], bool] | None = None) -> bool:
        """Whether a function is called only from functions that build or tear down an
        object (nilfs_load_super_block() from init_nilfs() alone), a few levels up (``setup``
        says which functions do: by default their names). A static
        function's callers are its file's; another's are the tree's, so it needs the index
        and must be neither exported nor called through a pointer (load_nilfs() from
        nilfs_fill_super() alone)."""
        setup = setup or self._setup_function
        if fn.header or fn.address_taken or depth >= _SETUP_DEPTH:
            return False
        if fn.static:
            callers = [c for c, _ in self.view.calls_to(fn.name) if c.file == fn.file]
        elif fn.exported or self.view.store is None:
            return False
        else:
            callers = [c for c, _ in self.view.calls_to(fn.name)
                       if any(d.file == fn.file and d.line == fn.line
                              for d in self.view.callees_for(fn.name, c.file))]
        return bool(callers) and all(
            c.key != fn.key and (setup(c) or self._setup_only(c, depth + 1, setup))
            for c in callers)

    def compliance(self, contract: Contract) -> Iterator[Judgement]:
        """Every call site or write of the tree judged against one contract (LockDoc's question)."""
        if not contract.checkable:
            return
        if contract.kind in (ContractKind.MUST_HOLD, ContractKind.MUST_NOT_HOLD):
            for caller, call in self.view.calls_to(contract.subject):
                if caller.name == contract.subject or not caller.reliable:
                    continue
                definitions = self.view.callees_for(call.callee, caller.file)
                if self._bound(contract, definitions):
                    yield self._call(caller, call, contract)
        elif contract.kind is ContractKind.PROTECTED_BY and not contract.lock.startswith(
                PSEUDO_PREFIX):
            others = [c for c in self._member_contracts(contract.subject) if c != contract]
            for writer, write in self.view.writes_to(contract.subject):
                if writer.reliable:
                    yield self.write_any(writer, write, [contract, *others])

    # ------------------------------------------------------------ documented lock order

    def order(self) -> dict[tuple[str, str], Contract]:
        """Documented (outer, inner) pairs, closed transitively within each document."""
        if self._order is None:
            direct: dict[str, list[Contract]] = {}
            for contract in self.view.contracts(None, (ContractKind.LOCK_ORDER,)):
                if contract.checkable and contract.lock != contract.inner:
                    direct.setdefault(contract.file, []).append(contract)
            pairs: dict[tuple[str, str], Contract] = {}
            for contracts in direct.values():
                edges = {(c.lock, c.inner): c for c in contracts}
                changed = True
                while changed:
                    changed = False
                    for (a, b), first in list(edges.items()):
                        for (c, d), _ in list(edges.items()):
                            if b == c and a != d and (a, d) not in edges:
                                edges[(a, d)] = first
                                changed = True
                for pair, contract in edges.items():
                    pairs.setdefault(pair, contract)
            # A pair documented both ways is a document we cannot read: drop both.
            self._order = {p: c for p, c in pairs.items() if (p[1], p[0]) not in pairs}
        return self._order

    def takes(self, fn: FunctionRef) -> Iterator[Judgement]:
        order = self.order()
        if not order:
            return
        for take in self.view.takes_of(fn):
            if take.nested:
                continue
            for held_cls, code in take.held:
                kept = order.get((held_cls, take.lock))
                if kept is not None and code == HELD:
                    # The documented order, kept: counted as followed.
                    yield Judgement("lock-order", Verdict.FOLLOWED, fn.file, take.line,
                                    take.column, fn.name, contract=kept)
                contract = order.get((take.lock, held_cls))
                if contract is None:
                    continue
                base = dict(file=fn.file, line=take.line, column=take.column, function=fn.name,
                            contract=contract)
                state, _ = self.held(fn, code, held_cls)
                if state == NOT_HELD:
                    continue  # released before: nothing to judge
                if take.via and self._drops(fn, take.via[0], held_cls):
                    # __wait_on_freeing_inode() unlocks i_lock before it takes
                    # inode_hash_lock: the helper may have dropped it first.
                    yield Judgement("lock-order", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                                    reason=_HELPER_DROPS)
                    continue
                if state != HELD:
                    yield Judgement("lock-order", Verdict.UNKNOWN, **base,  # type: ignore[arg-type]
                                    reason=PARTIAL_VERDICT if state == PARTIAL else "lock state")
                    continue
                trace = (
                    _step(f"{contract.file}:{contract.line}",
                          f"documented order: {contract.lock_text} before {contract.inner_text}: "
                          f"\"{contract.text}\""),
                    TraceStep(fn.file, take.line, f"{take.lock} is taken here with "
                                                  f"{held_cls} held"),
                )
                yield Judgement(
                    "lock-order", Verdict.VIOLATED, **base,  # type: ignore[arg-type]
                    message=(f"{fn.name}() takes {take.lock} while holding {held_cls}, but the "
                             f"documented order takes {take.lock} first"),
                    trace=trace)

    def _drops(self, caller: FunctionRef, helper: str, cls: str) -> bool:
        """Whether a helper's own code releases ``cls`` (so that what it takes may come after)."""
        return any(releases(call.callee) and any(arg == cls for _, arg in call.arg_classes)
                   for definition in self.view.callees_for(helper, caller.file)
                   for call in self.view.calls_of(definition))

    def called_takes(self, fn: FunctionRef) -> Iterator[Judgement]:
        """A call made with A held, of a function that takes B itself, where B comes before A."""
        order = self.order()
        if not order:
            return
        outers = {a for a, _ in order}
        for call in self.view.calls_of(fn):
            held = [cls for cls, code in call.locks if code == HELD]
            if not held or not call.callee or call.callee == fn.name:
                continue
            definitions = self.view.callees_for(call.callee, fn.file)
            if len(definitions) != 1:
                continue  # config variants or none: which one runs is not known
            callee = definitions[0]
            for take in self.view.takes_of(callee):
                if take.lock not in outers or take.nested or not take.blocking:
                    continue
                for cls in held:
                    contract = order.get((take.lock, cls))
                    if contract is None or code_of(take.held, cls) is not None:
                        continue  # the callee itself changes cls before: judged there
                    trace = (
                        _step(f"{contract.file}:{contract.line}",
                              f"documented order: {contract.lock_text} before "
                              f"{contract.inner_text}: \"{contract.text}\""),
                        TraceStep(fn.file, call.line, f"{call.callee}() is called here with "
                                                      f"{cls} held"),
                        TraceStep(callee.file, take.line, f"{call.callee}() takes {take.lock} "
                                                          f"here ({take.text})"),
                    )
                    yield Judgement(
                        "lock-order", Verdict.VIOLATED, fn.file, call.line, call.column, fn.name,
                        message=(f"{fn.name}() calls {call.callee}(), which takes {take.lock}, "
                                 f"while holding {cls}; the documented order takes "
                                 f"{take.lock} first"),
                        trace=trace, contract=contract)

    # ------------------------------------------------------------ a lock-order cycle closed

    def cycles(self, fn: FunctionRef) -> Iterator[Judgement]:
        """An acquisition of B with A held, new to the index, where the tree takes A with B held.

        The static lockdep of the issue: the orders the code itself establishes
        (every acquisition that waits, with the classes held on every path
        there) form a graph; an edge this function adds that the index does
        not hold for it (a patch's new code; never a scanned file as indexed)
        and that closes a cycle is reported, with the tree's edges that make
        the rest of the cycle. Nesting annotations, read locks, trylocks and
        two locks of one class do not order. Needs the index: without it there
        is no tree to close a cycle with.
        """
        if self.view.store is None:
            return  # the tree's orders and what it already does are in its index
        takes = [t for t in self.view.takes_of(fn) if t.blocking and not t.nested and not t.shared]
        new = [(held_cls, take) for take in takes for held_cls, code in take.held
               if orders_before(held_cls, code, take.lock)]
        if not new:
            return
        # What the index holds for this function is the tree as it was: only edges
        # beyond those close a cycle now (a scan over a current index finds none).
        indexed = self.view.indexed_edges(fn.file, fn.name)
        new = [(held_cls, take) for held_cls, take in new if (held_cls, take.lock) not in indexed]
        if not new:
            return
        edges = self.view.order_edges()
        documented = self.order()
        for held_cls, take in new:
            if (held_cls, take.lock) in documented or (take.lock, held_cls) in documented:
                continue  # a documented order decides which side is wrong (takes())
            path = _path(edges, take.lock, held_cls)
            if path is None:
                continue
            trace = [TraceStep(file, line, f"{name}() takes {b} with {a} held ({text})")
                     for (a, b), (file, name, line, text) in path]
            trace.append(TraceStep(fn.file, take.line, f"{fn.name}() takes {take.lock} with "
                                                        f"{held_cls} held ({take.text})"))
            chain = " -> ".join([take.lock, *(b for (_, b), _ in path)])
            yield Judgement(
                "lock-order", Verdict.VIOLATED, fn.file, take.line, take.column, fn.name,
                message=(f"{fn.name}() takes {take.lock} while holding {held_cls}, but the "
                         f"tree takes them the other way round ({chain}): a lock-order "
                         f"cycle, lockdep's possible deadlock"),
                trace=tuple(trace))

    # ------------------------------------------------------------ everything

    def judge_file(self, path: str) -> Iterator[Judgement]:
        for fn in self.functions_of(path):
            if not fn.reliable:
                continue
            yield from self.calls(fn)
            yield from self.sleeps(fn)
            yield from self.writes(fn)
            yield from self.takes(fn)
            yield from self.called_takes(fn)
            yield from self.cycles(fn)


_CYCLE_DEPTH = 4
Edge = tuple[tuple[str, str], tuple[str, str, int, str]]


def _path(edges: dict[tuple[str, str], tuple[str, str, int, str]], start: str,
          goal: str) -> list[Edge] | None:
    """The shortest chain of edges from ``start`` to ``goal`` (at most _CYCLE_DEPTH), or None."""
    following: dict[str, list[str]] = {}
    for a, b in edges:
        following.setdefault(a, []).append(b)
    frontier: list[tuple[str, list[Edge]]] = [(start, [])]
    seen = {start}
    for _ in range(_CYCLE_DEPTH):
        step: list[tuple[str, list[Edge]]] = []
        for node, path in frontier:
            for nxt in sorted(following.get(node, ())):
                chain = [*path, ((node, nxt), edges[(node, nxt)])]
                if nxt == goal:
                    return chain
                if nxt not in seen:
                    seen.add(nxt)
                    step.append((nxt, chain))
        frontier = step
    return None


_WHERE = re.compile(r"\b([\w./-]+\.[ch]):(\d+)\b")


def _step_of(fn: FunctionRef, text: str) -> TraceStep:
    """A chain step as a trace step, at the place it names (or the function's own line)."""
    found = _WHERE.search(text)
    if found is None:
        return TraceStep(fn.file, fn.line, text)
    return TraceStep(found.group(1), int(found.group(2)), text)


def _generic(contract: Contract) -> bool:
    """Whether the contract's words name no particular lock ("with lock held", "the mutex")."""
    return _GENERIC_LOCK.fullmatch(contract.lock_text.strip()) is not None

"""What a function holds on entry, for one lock class, from what the tree says and does.

In order, the first that answers wins:
1. what the function's own file says: a callback context (callbacks.toml),
   ``__must_hold()``, a context root (an IRQ handler, a timer, a work item);
2. the function's own stated contracts: "must be called with X held",
   ``lockdep_assert_held(X)`` at its top level, or their negations;
3. the function takes X itself, waiting for it, where nothing held it yet
   (not a trylock, not a nesting annotation, not a read lock), or calls,
   before touching X, a function that does: its callers cannot hold X, or
   it would deadlock on itself;
4. a function only called directly (static, or not exported and its address
   never taken): the join of what its callers hold at every call, in turn
   from their own entry when they leave X untouched (a few levels deep);
5. anything else (exported, address taken into an unknown callback, no
   caller in the tree): unknown, never "not held".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from patchaudit.contracts.model import ContractKind
from patchaudit.index.summary import HELD, NOT_HELD, TakeFact, code_of, combine
from patchaudit.index.view import FunctionRef, TreeView, reaches
from patchaudit.interproc.doubt import Doubts

_DEPTH = 5
_SHOWN_CALLERS = 3
# Entered with nothing of ours held: the function is the start of a path.
_ROOTS = frozenset({"no-locks", "hardirq", "softirq"})


class Entry(Enum):
    HELD = "held"
    NOT_HELD = "not held"
    PARTIAL = "held by some callers only"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class EntryState:
    holding: Entry
    why: tuple[str, ...] = ()  # one line per reason, for traces


_UNKNOWN = EntryState(Entry.UNKNOWN)


def from_code(code: str) -> Entry:
    if code == HELD:
        return Entry.HELD
    if code == NOT_HELD:
        return Entry.NOT_HELD
    if code == "U":
        return Entry.UNKNOWN
    return Entry.PARTIAL


def join(states: list[EntryState]) -> EntryState:
    if not states:
        return _UNKNOWN
    kinds = {s.holding for s in states}
    why = tuple(dict.fromkeys(w for s in states for w in s.why))[: 2 * _SHOWN_CALLERS]
    if Entry.UNKNOWN in kinds:
        return EntryState(Entry.UNKNOWN, why)
    if kinds == {Entry.HELD}:
        return EntryState(Entry.HELD, why)
    if kinds == {Entry.NOT_HELD}:
        return EntryState(Entry.NOT_HELD, why)
    return EntryState(Entry.PARTIAL, why)


class EntryStates:
    """Entry states of the functions of one tree view, memoised per (function, class)."""

    def __init__(self, view: TreeView, doubts: Doubts | None = None) -> None:
        self.view = view
        self.doubts = doubts or Doubts(view)
        self.memo: dict[tuple[int, str, str], EntryState] = {}

    def state(self, fn: FunctionRef, cls: str, depth: int = 0,
              active: frozenset[tuple[str, int]] = frozenset()) -> EntryState:
        key = (fn.key, fn.file, cls)
        found = self.memo.get(key)
        if found is None:
            found = self._state(fn, cls, depth, active | {(fn.file, fn.key)})
            if depth == 0 or found.holding is not Entry.UNKNOWN:
                self.memo[key] = found
        return found

    def _state(self, fn: FunctionRef, cls: str, depth: int,
               active: frozenset[tuple[str, int]]) -> EntryState:
        stated = code_of(fn.entry, cls)
        if stated == HELD:
            return EntryState(Entry.HELD, (f"{fn.name}() is entered with {cls} held "
                                           f"(its callback context or annotation)",))
        if cls.startswith("page:"):
            return self._page(fn, cls[5:])
        for contract in self.view.contracts(fn.name):
            if not contract.checkable or contract.lock != cls:
                continue
            if not self._binds(contract.file, fn):
                continue
            if contract.kind is ContractKind.MUST_HOLD:
                return EntryState(Entry.HELD, (
                    f"{fn.name}() states its callers hold {cls}: {contract.file}:{contract.line}",))
            if contract.kind is ContractKind.MUST_NOT_HOLD:
                return EntryState(Entry.NOT_HELD, (
                    f"{fn.name}() states its callers do not hold {cls}: "
                    f"{contract.file}:{contract.line}",))
        roots = set(fn.roots) & _ROOTS
        if roots and not cls.startswith("@"):
            return EntryState(Entry.NOT_HELD, (
                f"{fn.name}() starts a path: it runs as a {'/'.join(sorted(roots))} callback",))
        own = self._takes_itself(fn, cls)
        if own is not None:
            return own
        if depth >= _DEPTH or fn.exported or fn.address_taken:
            return _UNKNOWN
        return self._from_callers(fn, cls, depth, active)

    def _binds(self, contract_file: str, fn: FunctionRef) -> bool:
        """Whether a contract stated in ``contract_file`` is about this definition of the name."""
        if contract_file == fn.file:
            return True
        return fn.visible_everywhere

    def _takes_itself(self, fn: FunctionRef, cls: str) -> EntryState | None:
        if cls.startswith("@"):
            return None  # contexts nest: taking one proves nothing about the caller
        for take in self.view.takes_of(fn):
            if self._fresh_take(take, cls):
                return EntryState(Entry.NOT_HELD, (
                    f"{fn.name}() takes {cls} itself at {fn.file}:{take.line} ({take.text}), "
                    f"so its callers do not hold it",))
        # The same evidence one call away: it calls, before touching cls, a function
        # (one definition) that waits for cls itself.
        for call in self.view.calls_of(fn):
            if not call.callee or call.callee == fn.name or code_of(call.locks, cls) is not None:
                continue
            if call.unless:
                # Reached only when a parameter is not zero (vmw_cmdbuf_commit() returns
                # early for a NULL header, whose callers hold cur_mutex from the reserve):
                # what it takes says nothing of the calls that take the other way.
                continue
            definitions = self.view.callees_for(call.callee, fn.file)
            if len(definitions) != 1:
                continue
            for take in self.view.takes_of(definitions[0]):
                if self._fresh_take(take, cls):
                    return EntryState(Entry.NOT_HELD, (
                        f"{fn.name}() calls {call.callee}() at {fn.file}:{call.line}, which "
                        f"takes {cls} itself ({take.text}), so {fn.name}()'s callers do not "
                        f"hold it",))
        return None

    @staticmethod
    def _fresh_take(take: TakeFact, cls: str) -> bool:
        """A wait for ``cls`` where nothing held it: whoever holds it would deadlock here."""
        return (take.lock == cls and take.blocking and not take.nested and not take.shared
                and not take.via and code_of(take.held, cls) is None)

    def _page(self, fn: FunctionRef, param: str) -> EntryState:
        names = [name for name, _ in fn.params]
        if param not in names:
            return _UNKNOWN
        index = names.index(param)
        for contract in self.view.contracts(fn.name):
            if (contract.checkable and contract.lock == "page" and contract.arg == index
                    and contract.kind is ContractKind.MUST_HOLD and self._binds(contract.file, fn)):
                return EntryState(Entry.HELD, (
                    f"{fn.name}() states the page '{param}' is locked on entry: "
                    f"{contract.file}:{contract.line}",))
        return _UNKNOWN

    def _from_callers(self, fn: FunctionRef, cls: str, depth: int,
                      active: frozenset[tuple[str, int]]) -> EntryState:
        if not fn.static and not fn.header:
            # Non-static and not exported: its callers are in the tree (built in),
            # unless another definition of the name makes the calls ambiguous.
            if len([r for r in self.view.functions(fn.name) if r.visible_everywhere]) > 1:
                return _UNKNOWN
        states: list[EntryState] = []
        for caller, call in self.view.calls_to(fn.name):
            if not self._reaches(caller, fn):
                continue
            if (caller.file, caller.key) in active:
                return _UNKNOWN  # recursion: no answer from a cycle
            code = self.doubts.code(call.locks, cls)
            where = f"{caller.file}:{call.line}"
            if code is None:
                inner = self.state(caller, cls, depth + 1, active)
                holding = inner.holding
                why = (f"{caller.name}() calls {fn.name}() at {where}, and {cls} is "
                       f"{holding.value} there on entry",) + inner.why
            else:
                entry = None
                if code not in (HELD, NOT_HELD, "P", "U"):
                    inner = self.state(caller, cls, depth + 1, active)
                    entry = {Entry.HELD: True, Entry.NOT_HELD: False}.get(inner.holding)
                holding = from_code(combine(code, entry))
                why = (f"{caller.name}() calls {fn.name}() at {where} with {cls} "
                       f"{holding.value}",)
            if holding is Entry.NOT_HELD:
                doubt = self.doubts.helper(caller, call.line, cls)
                if doubt:
                    holding, why = Entry.UNKNOWN, (doubt,)
            states.append(EntryState(holding, why))
            if holding is Entry.UNKNOWN:
                break
        if not states:
            return _UNKNOWN  # no caller the index knows: called from assembly, a macro, ...
        return join(states)

    def _reaches(self, caller: FunctionRef, fn: FunctionRef) -> bool:
        """Whether a call of fn's name in ``caller`` calls this definition."""
        if fn.static and not fn.header:
            return caller.file == fn.file
        own = [r for r in self.view.functions(fn.name) if r.file == caller.file]
        if own:
            return any(r.key == fn.key for r in own)
        return reaches(fn, caller.file)

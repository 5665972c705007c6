"""May a function sleep, and is a call made in atomic context: chains through the tree index.

A function may sleep when the tree says so (its kernel-doc or comment: "May
sleep.", a top-level ``might_sleep()``), or when it calls, on its straight
line (whatever path it takes), a call that may sleep: a sleeping primitive
or allocation (analyses/data/sleep.toml), or a function that may sleep in
turn. Every definition a call may reach must sleep for the call to count.
A function documented as callable from atomic context is taken at its word
(a contradiction between its text and its code is a finding of its own).

A call is in atomic context when, on every path to it, a spinning lock or
a context (rcu_read_lock(), preemption, interrupts or bottom halves off)
is held, or when the function itself runs in atomic context: its contract
says so, it is registered as an IRQ handler, timer, tasklet or RCU
callback, or every caller calls it in atomic context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from patchaudit.analyses.flow import FALSE_LITERALS
from patchaudit.analyses.tables import tables
from patchaudit.contracts.model import Context, Contract, ContractKind
from patchaudit.index.summary import DROPPED, CallFact, code_of
from patchaudit.index.view import FunctionRef, TreeView
from patchaudit.interproc.tables import releases

_DEPTH = 4
_ATOMIC_CONTEXTS = frozenset({Context.ATOMIC, Context.HARDIRQ, Context.SOFTIRQ})
_NO_SLEEP = _ATOMIC_CONTEXTS | {Context.ANY}
_ROOT_NAMES = {"hardirq": "a hard interrupt handler", "softirq": "a softirq callback (timer, tasklet, RCU)"}


@dataclass(frozen=True)
class Chain:
    """Why something may sleep or is atomic: the steps, outermost first, and the stated source."""

    steps: tuple[str, ...]
    source: Contract | None = None
    derived: bool = False  # atomic only because every caller is (not held, stated or registered)

    def then(self, step: str) -> Chain:
        return Chain((step, *self.steps), self.source, self.derived)


def _context_contracts(view: TreeView, fn: FunctionRef) -> list[Contract]:
    return [c for c in view.contracts(fn.name, (ContractKind.CONTEXT,))
            if c.checkable and (c.file == fn.file or fn.visible_everywhere)]


class Sleepers:
    """May-sleep and atomic-context answers over one tree view, memoised."""

    def __init__(self, view: TreeView) -> None:
        self.view = view
        self.sleeps: dict[tuple[str, int, frozenset[str]], Chain | None] = {}
        self.atomic: dict[tuple[str, int], Chain | None] = {}
        # Functions stated to run in atomic context whose own code sleeps: not taken at
        # their word (counted, not reported).
        self.contradicted: set[tuple[str, int]] = set()

    # ------------------------------------------------------------ may sleep

    def call_sleeps(self, call: CallFact, caller: FunctionRef) -> Chain | None:
        """Why ``call`` may sleep, or None."""
        if call.sleep:
            return Chain((f"{call.callee}() may sleep: {call.sleep}",))
        if _tabled(call.callee) or _asks_atomic(call):
            # The sleep table decides a call it lists (kzalloc(..., GFP_ATOMIC) does not
            # sleep), whatever its definition's body does with flags it is passed; and a
            # call handed GFP_ATOMIC asks its callee for the path that does not sleep.
            return None
        definitions = self.view.callees_for(call.callee, caller.file)
        if not definitions:
            return None
        chains = [self.function_sleeps(d, 0, frozenset(), zero_params(call, d, frozenset()))
                  for d in definitions]
        if not all(chains):
            return None
        chain = chains[0]
        assert chain is not None
        return chain

    def function_sleeps(self, fn: FunctionRef, depth: int, active: frozenset[tuple[str, int]],
                        zero: frozenset[str] = frozenset()) -> Chain | None:
        """Why ``fn`` may sleep, or None; ``zero``: its parameters the call passes as 0."""
        key = (fn.file, fn.key, zero)
        if key in self.sleeps:
            return self.sleeps[key]
        if (fn.file, fn.key) in active or depth > _DEPTH:
            return None
        found = self._sleeps(fn, depth, active | {(fn.file, fn.key)}, zero)
        self.sleeps[key] = found
        return found

    def _sleeps(self, fn: FunctionRef, depth: int, active: frozenset[tuple[str, int]],
                zero: frozenset[str]) -> Chain | None:
        contracts = _context_contracts(self.view, fn)
        if any(c.context in _NO_SLEEP for c in contracts):
            return None
        stated = next((c for c in contracts if c.context is Context.MAY_SLEEP), None)
        if stated is not None:
            return Chain((f"{fn.name}() may sleep: {stated.file}:{stated.line} \"{stated.text}\"",),
                         stated)
        return self._straight_line(fn, depth, active, zero)

    def _straight_line(self, fn: FunctionRef, depth: int, active: frozenset[tuple[str, int]],
                       zero: frozenset[str] = frozenset()) -> Chain | None:
        """Why ``fn``'s own code may sleep: a call on its straight line that may (after no
        return taken when a parameter the caller passes as 0 is zero)."""
        dropped = False
        for call in sorted(self.view.calls_of(fn), key=lambda c: (c.line, c.column)):
            if not call.top or zero.intersection(call.unless):
                continue
            if dropped or any(code in DROPPED for _, code in call.locks):
                # The function dropped a lock or context before this call (rcu_read_unlock()
                # around a folio_lock()): its caller's atomic context may be what it dropped.
                continue
            if releases(call.callee):
                # A lock the analysis cannot name: the one it was handed (xlog_wait(wq,
                # lock) unlocks its argument, then schedules).
                dropped = True
                continue
            if call.sleep:
                return Chain((f"{fn.name}() calls {call.callee}() at {fn.file}:{call.line}, "
                              f"which may sleep: {call.sleep}",))
            if _tabled(call.callee) or _asks_atomic(call):
                continue
            definitions = self.view.callees_for(call.callee, fn.file)
            if not definitions or any(d.key == fn.key for d in definitions):
                continue
            chains = [self.function_sleeps(d, depth + 1, active, zero_params(call, d, zero))
                      for d in definitions]
            if all(chains):
                inner = chains[0]
                assert inner is not None
                return inner.then(f"{fn.name}() calls {call.callee}() at {fn.file}:{call.line}")
        return None

    # ------------------------------------------------------------ atomic context

    def call_atomic(self, call: CallFact, caller: FunctionRef) -> Chain | None:
        """Why ``call`` runs in atomic context, or None."""
        if call.atomic:
            return Chain((f"{_held_name(call.atomic)} {caller.file}:{call.line}",))
        entry = self.entry_atomic(caller, 0, frozenset())
        if entry is None:
            return None
        # The function may have left the atomic context itself before the call.
        for cls, code in call.locks:
            if cls.startswith("@") and code not in ("H", "h"):
                return None
        return entry

    def entry_atomic(self, fn: FunctionRef, depth: int,
                     active: frozenset[tuple[str, int]]) -> Chain | None:
        key = (fn.file, fn.key)
        if key in self.atomic:
            return self.atomic[key]
        if key in active or depth > _DEPTH:
            return None
        found = self._entry_atomic(fn, depth, active | {key})
        if depth == 0 or found is not None:
            self.atomic[key] = found
        return found

    def _entry_atomic(self, fn: FunctionRef, depth: int,
                      active: frozenset[tuple[str, int]]) -> Chain | None:
        for root in ("hardirq", "softirq"):
            if root in fn.roots:
                return Chain((f"{fn.name}() runs as {_ROOT_NAMES[root]}: it is registered so in "
                              f"{fn.file}",))
        contracts = _context_contracts(self.view, fn)
        stated = next((c for c in contracts if c.context in _ATOMIC_CONTEXTS), None)
        # A function whose own straight line sleeps is not in atomic context, whatever a
        # text says: the text is about something else (the callback it is handed: "@func is
        # called from atomic context") or loose ("called from the irq handler" of a threaded
        # handler).
        if stated is not None and self._straight_line(fn, 0, frozenset({(fn.file, fn.key)})):
            self.contradicted.add((fn.file, fn.key))
        elif stated is not None:
            return Chain((f"{fn.name}() runs in {stated.context.value if stated.context else ''} "
                          f"context: {stated.file}:{stated.line} \"{stated.text}\"",), stated)
        if fn.exported or fn.address_taken or depth >= _DEPTH:
            return None
        callers = [(c, call) for c, call in self.view.calls_to(fn.name)
                   if (not fn.static or fn.header or c.file == fn.file)]
        if not callers:
            return None
        first: Chain | None = None
        for caller, call in callers:
            if (caller.file, caller.key) in active:
                return None
            chain = self.call_atomic(call, caller) if call.atomic else self.entry_atomic(
                caller, depth + 1, active)
            if chain is None:
                return None
            if first is None:
                first = replace(chain.then(f"{caller.name}() calls {fn.name}() at "
                                           f"{caller.file}:{call.line}"), derived=True)
        return first



def zero_params(call: CallFact, callee: FunctionRef, zero: frozenset[str]) -> frozenset[str]:
    """The parameters of ``callee`` that ``call`` passes as 0: a literal 0, false or NULL,
    or a parameter of the caller that is itself 0 (``zero``)."""
    return frozenset(name for (name, _), arg in zip(callee.params, call_args(call.text))
                     if arg in FALSE_LITERALS or arg in zero)


def call_args(text: str) -> list[str]:
    """The argument texts of a call's text, as far as the text is whole (it may be cut short)."""
    start = text.find("(")
    if start < 0:
        return []
    args: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text[start + 1:]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                args.append("".join(current).strip())
                return args
            depth -= 1
        elif ch == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    return args  # cut short: the last argument is not whole


def _tabled(callee: str) -> bool:
    """Whether the sleep table (analyses/data/sleep.toml) decides calls of ``callee``."""
    table = tables().sleep
    return callee in table.always or callee in table.gfp


_WORD_RE = re.compile(r"\w+")


def _asks_atomic(call: CallFact) -> bool:
    """Whether a call passes a gfp flag that never sleeps (GFP_ATOMIC, GFP_NOWAIT): its callee
    is asked for the path that does not sleep (rtllib_alloc_txb(..., GFP_ATOMIC))."""
    return bool(set(_WORD_RE.findall(call.text)) & tables().sleep.atomic_gfp)


def _held_name(cls: str) -> str:
    from patchaudit.contracts.model import pseudo_name

    if cls == "@rcu":
        return "the RCU read lock held on every path to"
    if cls.startswith("@"):
        return f"{pseudo_name(cls)} on every path to"
    return f"spinning lock {cls} held on every path to"


def held_code(call: CallFact, cls: str) -> str | None:
    return code_of(call.locks, cls)

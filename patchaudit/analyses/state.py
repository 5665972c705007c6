"""The lock state at one program point: the last lock events on every path that reaches it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

PAGE_CLASS = "page"
UNKNOWN_CLASS = "?"
# A class the file cannot name because a struct on the way is defined
# elsewhere: "~vm_area_struct.vm_mm.mmap_lock" is the mmap_lock of the
# vm_mm member of a vm_area_struct, "~page_zone().lock" the lock of what
# page_zone() returns. The tree index resolves such chains with the
# definitions of the whole tree (mm_struct.mmap_lock, zone.lock).
CHAIN_PREFIX = "~"


@dataclass(frozen=True, order=True)
class LockRef:
    """A lock as the rules name it: a lockdep-style class, plus the page for page locks.

    ``cls`` is ``struct.member`` (``balloon_dev_info.pages_lock``), a global
    lock's name, ``page`` for the page lock, ``@rcu``-style pseudo-locks for
    contexts, a ``~`` chain (CHAIN_PREFIX) when a struct on the way is
    defined in another file, ``?.member`` when the struct could not be told,
    or ``?`` when nothing could. ``inst`` tells page locks
    apart (the page variable); it is empty for every other class, so all
    instances of a class are one lock, as for lockdep.
    """

    cls: str
    inst: str = ""

    @property
    def resolved(self) -> bool:
        return not self.cls.startswith(UNKNOWN_CLASS)

    @property
    def member(self) -> str:
        return self.cls.rsplit(".", 1)[-1]

    def describe(self) -> str:
        if self.cls == PAGE_CLASS:
            return f"the page lock of '{self.inst}'"
        if self.cls == UNKNOWN_CLASS:
            return f"the lock '{self.inst}'"
        return self.cls


class EventKind(Enum):
    INITIAL = "not taken"  # the path has not touched the lock since the function began
    ENTRY = "held on entry"  # callback context, __must_hold, or every caller holds it
    ACQUIRE = "taken"
    TRYLOCK = "taken (trylock succeeded)"
    GUARD = "taken by a guard"
    ASSERT = "asserted held"
    RELEASE = "released"
    SCOPE_END = "released at the end of the guard's scope"
    UNKNOWN = "in an unknown state"  # a helper that cannot be analysed may take or drop it

    @property
    def holds(self) -> bool:
        return self in _HOLDING


_HOLDING = frozenset(
    {EventKind.ENTRY, EventKind.ACQUIRE, EventKind.TRYLOCK, EventKind.GUARD, EventKind.ASSERT}
)


@dataclass(frozen=True)
class Event:
    """Where a lock last changed state on some path: line, what happened, and the code."""

    line: int
    kind: EventKind
    lock: LockRef
    text: str = ""  # the call, or an explanation (entry contexts cite their source)
    atomic: bool = False  # taken by a spinning primitive or a context: sleeping here is a bug
    # Taken while another lock of the class was held on this path (lock(a);
    # lock_nested(b)): the event it nests in, which its release gives back.
    outer: Event | None = None

    @property
    def depth(self) -> int:
        return 0 if self.outer is None else 1 + self.outer.depth

    def sort_key(self) -> tuple[int, str, str, str, str, int, int]:
        outer = self.outer.line if self.outer is not None else 0
        return (self.line, self.kind.value, self.lock.cls, self.lock.inst, self.text, self.depth, outer)

    def describe(self) -> str:
        if self.kind is EventKind.INITIAL:
            return f"{self.lock.describe()} is not taken on this path"
        where = f": {self.text}" if self.text else ""
        return f"{self.lock.describe()} {self.kind.value}{where}"


class Holding(Enum):
    HELD = "held on every path"
    PARTIAL = "held on some paths only"
    NOT_HELD = "not held"
    UNKNOWN = "unknown"


# How deep push() nests acquisitions of one lock class (the outer ones kept
# under an inner one's event).
_NEST_DEPTH = 3


@dataclass(frozen=True)
class LockState:
    """The last events of each lock on the paths reaching a point, and pending trylock results.

    A lock absent from ``facts`` is untouched on every path. ``bindings``
    remembers variables that hold a trylock's result (``ok = spin_trylock(l)``):
    name, lock, the event to record when it is known taken, and whether a
    true (nonzero) value means taken.
    """

    facts: frozenset[tuple[LockRef, Event]] = frozenset()
    bindings: frozenset[tuple[str, LockRef, Event, bool]] = frozenset()

    def locks(self) -> set[LockRef]:
        return {lock for lock, _ in self.facts}

    def events(self, lock: LockRef) -> list[Event]:
        return sorted((event for held, event in self.facts if held == lock), key=Event.sort_key)

    def set(self, lock: LockRef, event: Event) -> LockState:
        kept = frozenset(fact for fact in self.facts if fact[0] != lock)
        return LockState(kept | {(lock, event)}, self.bindings)

    def push(self, lock: LockRef, event: Event) -> LockState:
        """``lock`` taken by ``event``, nested in what holds it already.

        All instances of a class are one lock, so a second instance taken while
        the first is held on every path (mutex_lock_nested(&child->lock) under
        the parent's, a helper's lock under the caller's) nests: releasing it
        leaves the first held. The same call again (a path the analysis cannot
        tell apart) replaces, as ``set`` does; so does nesting deeper than
        _NEST_DEPTH, which only ever makes a release drop more, and so do
        contexts ("@irq": one local_irq_enable() ends any number of disables).
        """
        events = self.events(lock) if not lock.cls.startswith("@") else []
        if not events or not all(e.kind.holds and e.text != event.text
                                 and e.depth < _NEST_DEPTH for e in events):
            return self.set(lock, event)
        kept = frozenset(fact for fact in self.facts if fact[0] != lock)
        return LockState(kept | {(lock, replace(event, outer=e)) for e in events}, self.bindings)

    def pop(self, lock: LockRef, event: Event) -> LockState:
        """``lock`` released by ``event``: a nested acquisition gives back the one it nests in."""
        events = self.events(lock)
        if all(e.outer is None for e in events):
            return self.set(lock, event)
        kept = frozenset(fact for fact in self.facts if fact[0] != lock)
        back = {(lock, e.outer if e.outer is not None else event) for e in events}
        return LockState(kept | back, self.bindings)

    def drop(self, lock: LockRef, event: Event) -> LockState:
        """Without one event of ``lock``: the path where it did not happen."""
        facts = self.facts - {(lock, event)}
        left = [e for held, e in facts if held == lock]
        if left and all(e.kind is EventKind.INITIAL for e in left):
            facts = frozenset(fact for fact in facts if fact[0] != lock)  # untouched, as on entry
        return LockState(facts, self.bindings)

    def bind(self, name: str, lock: LockRef, event: Event, nonzero: bool) -> LockState:
        return LockState(self.facts, self.unbind(name).bindings | {(name, lock, event, nonzero)})

    def binding(self, name: str) -> tuple[LockRef, Event, bool] | None:
        found = sorted(((lock, event, nonzero) for bound, lock, event, nonzero in self.bindings
                        if bound == name), key=lambda item: item[1].sort_key())
        # One result from several branches (err = mutex_lock_interruptible_nested()
        # in one, mutex_lock_interruptible() in another): the same lock either way.
        if found and len({(lock, nonzero) for lock, _, nonzero in found}) == 1:
            return found[0]
        return None

    def unbind(self, name: str) -> LockState:
        kept = frozenset(b for b in self.bindings if b[0] != name)
        return self if kept == self.bindings else LockState(self.facts, kept)

    def holding(self, lock: LockRef) -> Holding:
        events = self.events(lock)
        if not events:
            return Holding.NOT_HELD
        if any(event.kind is EventKind.UNKNOWN for event in events):
            return Holding.UNKNOWN
        holds = [event.kind.holds for event in events]
        if all(holds):
            return Holding.HELD
        return Holding.PARTIAL if any(holds) else Holding.NOT_HELD

    def held(self) -> list[LockRef]:
        """Locks held on every path."""
        return sorted(lock for lock in self.locks() if self.holding(lock) is Holding.HELD)


def initial(lock: LockRef) -> Event:
    return Event(0, EventKind.INITIAL, lock)


def join(states: Iterable[LockState]) -> LockState:
    """Merge the states of paths meeting at one point; a lock untouched on a path gets INITIAL."""
    states = list(states)
    if not states:
        return LockState()
    if len(states) == 1:
        return states[0]
    locks = set().union(*(state.locks() for state in states))
    facts: set[tuple[LockRef, Event]] = set()
    for state in states:
        facts |= state.facts
        for lock in locks - state.locks():
            facts.add((lock, initial(lock)))
    bindings: frozenset[tuple[str, LockRef, Event, bool]] = frozenset()
    for state in states:
        bindings |= state.bindings
    return LockState(frozenset(facts), bindings)

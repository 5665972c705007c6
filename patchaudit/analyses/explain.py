"""Questions the rule kinds ask of a lock state, and traces that explain the answers."""

from __future__ import annotations

import re
from collections.abc import Iterable

from patchaudit.analyses.state import (
    CHAIN_PREFIX,
    PAGE_CLASS,
    UNKNOWN_CLASS,
    EventKind,
    Holding,
    LockRef,
    LockState,
)
from patchaudit.model import TraceStep

_PLAIN_NAME_RE = re.compile(r"^[A-Za-z_]\w*$")


def class_holding(state: LockState, cls: str) -> tuple[Holding, list[LockRef]]:
    """Whether any lock of class ``cls`` is held; unresolved locks that could be it make it UNKNOWN."""
    member = cls.rsplit(".", 1)[-1]
    mine = sorted(lock for lock in state.locks() if lock.cls == cls)
    holdings = [state.holding(lock) for lock in mine]
    if Holding.HELD in holdings:
        return Holding.HELD, mine
    # A lock whose struct could not be told (?.pages_lock), or one we could
    # not name at all, may be this one: held or half-held, it makes us unsure.
    maybe = [
        lock for lock in state.locks()
        if (lock.cls in (f"{UNKNOWN_CLASS}.{member}", UNKNOWN_CLASS)
            or (lock.cls.startswith(CHAIN_PREFIX) and lock.cls.endswith(f".{member}")))
        and state.holding(lock) is not Holding.NOT_HELD
    ]
    if Holding.UNKNOWN in holdings or maybe:
        return Holding.UNKNOWN, mine
    if Holding.PARTIAL in holdings:
        return Holding.PARTIAL, mine
    return Holding.NOT_HELD, mine


def page_holding(state: LockState, inst: str) -> tuple[Holding, list[LockRef]]:
    """Whether the page lock of the page named ``inst`` is held."""
    lock = LockRef(PAGE_CLASS, inst)
    holding = state.holding(lock)
    if holding is not Holding.NOT_HELD:
        return holding, [lock]
    others = [
        other for other in state.locks()
        if other.cls == PAGE_CLASS and state.holding(other) is not Holding.NOT_HELD
    ]
    # An expression we cannot compare by name (pages[i], pfn_to_page(pfn))
    # may be the same page as a locked one: do not claim it is unlocked.
    if others and (not _PLAIN_NAME_RE.match(inst) or any(
            not _PLAIN_NAME_RE.match(other.inst) for other in others)):
        return Holding.UNKNOWN, [lock]
    return Holding.NOT_HELD, [lock]


def lock_trace(path: str, state: LockState, locks: Iterable[LockRef], start_line: int) -> list[TraceStep]:
    """Where each lock was last taken or released on the paths that reach a point."""
    steps: list[TraceStep] = []
    for lock in locks:
        events = state.events(lock)
        if not events:
            steps.append(TraceStep(path, start_line, f"{lock.describe()} is not taken on any path to here"))
        for event in events:
            if event.kind is EventKind.INITIAL:
                steps.append(TraceStep(path, start_line, f"on some path {lock.describe()} is never taken"))
            else:
                steps.append(TraceStep(path, event.line, event.describe()))
    return sorted(set(steps))


def missing_text(holding: Holding) -> str:
    return "is held on some paths only" if holding is Holding.PARTIAL else "is not held"

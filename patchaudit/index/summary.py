"""Per-file function summaries: what each function needs, takes, calls and writes, with lock states.

A summary is computed from one file (its IR and lock flow) and the
cross-file wrappers it calls; the tree index stores one per file. Lock
states at a point are coded per class, relative to the function's entry,
so that a caller's state can be composed later:

    H  held on every path, whatever the entry state
    N  not held on any path (released, or never taken where the path touched it)
    P  held on some paths, not on others, whatever the entry state
    h  held, or untouched on some path (held exactly when held on entry)
    n  not held, or untouched on some path (not held exactly when not held on entry)
    m  held on some paths, released on others, untouched on others
    U  unknown (an unanalysable helper may have taken or dropped it)

A class absent from a state is untouched on every path: its state is the
entry state.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchaudit.contracts.model import Contract

HELD, NOT_HELD, PARTIAL = "H", "N", "P"
HELD_OR_ENTRY, NOT_HELD_OR_ENTRY, MIXED, UNKNOWN = "h", "n", "m", "U"
# Codes of a class released, or maybe released, at a point.
DROPPED = frozenset({NOT_HELD, NOT_HELD_OR_ENTRY, MIXED, PARTIAL, UNKNOWN})

Codes = tuple[tuple[str, str], ...]  # (lock class, code), sorted by class


@dataclass(frozen=True, slots=True)
class CallFact:
    """One call and the lock state just before it."""

    callee: str
    line: int
    column: int
    locks: Codes
    pages: tuple[tuple[int, str], ...] = ()  # (argument index, code) of page-lock arguments
    arg_classes: tuple[tuple[int, str], ...] = ()  # (argument index, class) of lock arguments
    sleep: str = ""  # why the call itself may sleep (a primitive, a GFP_KERNEL allocation)
    top: bool = False  # on the body's straight line: made whenever the function runs
    text: str = ""
    atomic: str = ""  # a class held on every path by a spinning primitive or a context, if any
    # On the straight line, but after a return taken when one of these parameters
    # is zero (if (!may_sleep) return;): a caller passing 0 there never gets here.
    unless: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TakeFact:
    """One acquisition inside a function (directly or through a helper of the same file)."""

    lock: str
    line: int
    column: int
    blocking: bool
    nested: bool
    atomic: bool
    held: Codes  # the state just before (the class itself absent: untouched until here)
    text: str = ""
    via: tuple[str, ...] = ()
    shared: bool = False  # a read acquisition (read_lock, down_read)
    # The function's first event on the class on every path here: nothing it did
    # before took or dropped it (what callers hold on entry does not count).
    first: bool = False


@dataclass(frozen=True, slots=True)
class WriteFact:
    """A write to a struct member and the lock state at it."""

    member: str  # the member's class, "tag.member" (or a chain / "?.member")
    line: int
    column: int
    locks: Codes
    fresh: bool  # the object was allocated here or lives on the stack: not yet shared
    base: str = ""


@dataclass(frozen=True, slots=True)
class Effect:
    """What a call of the function does to its caller's locks (page locks by parameter name)."""

    acquires: tuple[tuple[str, str, bool], ...] = ()  # (class, page parameter or "", atomic)
    releases: tuple[tuple[str, str], ...] = ()  # (class, page parameter or "")
    unsure: tuple[tuple[str, str], ...] = ()
    # Held after a call that succeeds: (class, page parameter or "", atomic,
    # whether a nonzero result - or a pointer that is no error - means held).
    cond: tuple[tuple[str, str, bool, bool], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.acquires or self.releases or self.unsure or self.cond)


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    name: str
    line: int
    end_line: int
    static: bool
    params: tuple[tuple[str, str], ...]  # (name, type)
    reliable: bool  # parsed cleanly and its lock flow converged
    effect: Effect
    calls: tuple[CallFact, ...]
    takes: tuple[TakeFact, ...]
    writes: tuple[WriteFact, ...]
    returns: str = ""  # the return type
    entry: Codes = ()  # what the file itself says is held on entry (callbacks, annotations);
    # page locks of parameters appear as "page:<parameter>"
    atomic: tuple[str, ...] = ()  # classes taken by spinning primitives in this function
    roots: tuple[str, ...] = ()  # how the function is entered: "no-locks", "hardirq", "softirq", ...


@dataclass(frozen=True, slots=True)
class StructFacts:
    tag: str
    line: int
    members: tuple[tuple[str, str], ...]  # (name, type)


@dataclass(frozen=True, slots=True)
class LockVar:
    name: str
    type: str
    static: bool
    line: int


@dataclass(frozen=True, slots=True)
class FileSummary:
    path: str
    digest: str
    functions: tuple[FunctionSummary, ...]
    contracts: tuple[Contract, ...]
    structs: tuple[StructFacts, ...]
    lock_vars: tuple[LockVar, ...]
    macro_paths: tuple[tuple[str, str], ...]  # object-like macros that stand for a member path
    exports: tuple[str, ...]  # EXPORT_SYMBOL*() names
    address_taken: tuple[str, ...]  # functions of the file used as values
    wrappers_used: tuple[str, ...] = ()  # cross-file wrappers this summary was computed with
    issues: tuple[str, ...] = ()

    def function(self, name: str) -> FunctionSummary | None:
        return next((f for f in self.functions if f.name == name), None)


def combine(code: str, entry_held: bool | None) -> str:
    """The state at a point given the entry state (True held, False not, None unknown)."""
    if code in (HELD, NOT_HELD, PARTIAL, UNKNOWN):
        return code
    if entry_held is None:
        return UNKNOWN
    if code == HELD_OR_ENTRY:
        return HELD if entry_held else PARTIAL
    if code == NOT_HELD_OR_ENTRY:
        return PARTIAL if entry_held else NOT_HELD
    return PARTIAL  # MIXED


def code_of(codes: Codes, cls: str) -> str | None:
    """The code of ``cls`` in a state, or None when the state leaves it untouched."""
    for name, code in codes:
        if name == cls:
            return code
    return None

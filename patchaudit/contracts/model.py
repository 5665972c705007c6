"""Contracts: what the kernel's own text and code state about locks and contexts, as typed values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import Enum


class ContractKind(Enum):
    """What a contract states."""

    MUST_HOLD = "must-hold"  # a function's callers must hold a lock (or be in a lock-like context)
    MUST_NOT_HOLD = "must-not-hold"  # ... must not hold a lock
    ACQUIRES = "acquires"  # the function returns with a lock held
    RELEASES = "releases"  # the function returns with a lock released that was held on entry
    TAKES = "takes"  # the function takes and releases a lock inside
    CONTEXT = "context"  # the context a function runs in or needs (may sleep, atomic, IRQ ...)
    PROTECTED_BY = "protected-by"  # a struct member is protected by a lock
    LOCK_ORDER = "lock-order"  # one lock is taken before (outside) another


class Origin(Enum):
    """Where a contract was read."""

    KERNEL_DOC = "kernel-doc"  # a "Context:" section of a kernel-doc comment
    PROSE = "comment"  # a sentence of the comment above a function or at the top of its body
    ASSERT = "assertion"  # lockdep_assert_held(), WARN_ON(!spin_is_locked()), VM_BUG_ON(!PageLocked)
    ANNOTATION = "annotation"  # __must_hold(), __acquires(), __releases(), __guarded_by()
    MIGHT_SLEEP = "might_sleep"  # might_sleep() and its relatives in the body
    MEMBER = "member comment"  # the comment of a struct member, or kernel-doc @member text
    HIERARCHY = "lock hierarchy"  # a documented lock order: a diagram or an "A -> B" list
    # A function waits for a lock itself: its callers must not hold it. Only
    # contract-changed states these, for acquisitions a patch adds; never catalogued.
    ACQUISITION = "acquisition"


class Context(Enum):
    """Context classes: what a function needs from, or promises to, its callers."""

    MAY_SLEEP = "may sleep"  # the function may block: never call it in atomic context
    ATOMIC = "atomic"  # runs (or must run) where it cannot sleep
    HARDIRQ = "hard IRQ"  # runs in hard interrupt context
    SOFTIRQ = "softirq"  # runs in softirq / bottom-half context
    RCU = "RCU read side"  # must be inside an RCU read-side critical section
    IRQS_DISABLED = "interrupts disabled"  # local interrupts must be disabled
    PREEMPT_DISABLED = "preemption disabled"
    PROCESS = "process context"  # task context; says nothing about sleeping by itself
    ANY = "any context"  # callable from anywhere


# Context classes that are checked as pseudo-locks by the lock analysis
# (analyses/data/locks.toml names their primitives): "must hold @rcu" is
# "must be inside rcu_read_lock()".
CONTEXT_LOCKS = {
    Context.RCU: "@rcu",
    Context.IRQS_DISABLED: "@irq",
    Context.PREEMPT_DISABLED: "@preempt",
}

# A lock class that is a context, not a lock object.
PSEUDO_PREFIX = "@"


class Verdict(Enum):
    """How a call site or access stands against a contract (LockDoc-style compliance)."""

    FOLLOWED = "followed"
    VIOLATED = "violated"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Contract:
    """One statement of the tree, turned into something checkable.

    ``subject`` is what the contract binds: a function name, ``struct.member``
    for PROTECTED_BY, or ``""`` for a LOCK_ORDER edge. ``lock_text`` names
    the lock as written ("zone->lock", "the page lock", "@folio"); ``lock``
    is its resolved class (``zone.lock``, ``rtnl_mutex``, ``page``, ``@rcu``)
    or "" with ``unresolved`` saying why. For LOCK_ORDER, ``lock`` is the
    outer lock (taken first) and ``inner`` the one taken inside it.
    ``conditional`` marks statements that hold on some paths or cases only
    (an assertion inside an if, "called with X held if Y"): catalogued, never
    checked.
    """

    kind: ContractKind
    origin: Origin
    subject: str
    file: str
    line: int
    text: str
    lock_text: str = ""
    lock: str = ""
    arg: int | None = None  # page locks: the index of the argument whose page is locked
    context: Context | None = None
    inner_text: str = ""
    inner: str = ""
    reads: bool = False  # PROTECTED_BY: reads need the lock too, not only writes
    conditional: bool = False
    unresolved: str = ""
    function_line: int = 0  # the line of the function definition it binds, when in the same file

    @property
    def resolved(self) -> bool:
        """Whether the contract names something the checker can compare (a class or context)."""
        if self.kind is ContractKind.CONTEXT:
            return self.context is not None and not self.unresolved
        if self.kind is ContractKind.LOCK_ORDER:
            return bool(self.lock and self.inner)
        return bool(self.lock)

    @property
    def checkable(self) -> bool:
        return self.resolved and not self.conditional

    @property
    def ident(self) -> str:
        """A stable identity: kind, subject, file and the stated text (not its line)."""
        key = "\0".join((self.kind.value, self.origin.value, self.subject, self.file,
                         " ".join(self.text.split()), self.lock_text, self.inner_text))
        return hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()

    def with_resolution(self, lock: str, arg: int | None = None, inner: str = "",
                        unresolved: str = "") -> Contract:
        return replace(self, lock=lock, arg=arg, inner=inner, unresolved=unresolved)

    def describe_lock(self) -> str:
        """The lock as a finding names it: its class and, when it differs, the words used."""
        if self.kind is ContractKind.CONTEXT and self.context is not None:
            return self.context.value
        if self.lock == "page":
            return f"the page lock of argument {self.arg + 1 if self.arg is not None else '?'}"
        if self.lock.startswith(PSEUDO_PREFIX):
            return _PSEUDO_NAMES.get(self.lock, self.lock)
        return self.lock or self.lock_text

    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (self.file, self.line, self.kind.value, self.subject, self.lock_text)


_PSEUDO_NAMES = {
    "@rcu": "the RCU read lock",
    "@irq": "interrupts disabled",
    "@preempt": "preemption disabled",
    "@bh": "bottom halves disabled",
}


def pseudo_name(lock: str) -> str:
    """How a pseudo-lock (a context) reads in a message."""
    return _PSEUDO_NAMES.get(lock, lock)

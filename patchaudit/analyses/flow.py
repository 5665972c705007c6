"""Flow-sensitive lock state through one function: a fixpoint over its control-flow graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from patchaudit.analyses.cfg import Cfg, GuardLock, NodeKind, guard_call
from patchaudit.analyses.lockclass import Resolver
from patchaudit.analyses.state import (
    PAGE_CLASS,
    Event,
    EventKind,
    Holding,
    LockRef,
    LockState,
    join,
)
from patchaudit.analyses.tables import Action, LockObject, Primitive, tables
from patchaudit.cfront.ir import (
    Assign,
    Binary,
    Call,
    Cast,
    Conditional,
    Expr,
    Field,
    Index,
    InitList,
    Literal,
    Name,
    StmtExpr,
    Unary,
    Unknown,
)

# A fixpoint over a finite lattice always ends; this only bounds pathological
# graphs (the function is then reported as not analysed, never guessed at).
_MAX_VISITS_PER_NODE = 60
# The spellings of zero and false a condition or an argument uses.
FALSE_LITERALS = frozenset({"0", "NULL", "false", "0UL", "0L", "0U"})


@dataclass(frozen=True)
class Take:
    """A lock a function takes somewhere inside (itself or through its helpers)."""

    lock: LockRef
    line: int
    text: str
    blocking: bool
    via: tuple[str, ...] = ()  # the helpers the acquisition happens in, outermost first
    inner: str = ""  # for a helper: the acquisition inside it, "lock_page(page) at line 12"
    # Classes released on some path before the acquisition, inside the helper:
    # the caller's view of what is held there may be out of date for those.
    released: frozenset[str] = frozenset()
    held_inside: frozenset[str] = frozenset()  # classes held on every path there, inside the helper
    nested: bool = False  # a lockdep nesting annotation: a second lock of a held class is fine
    atomic: bool = False  # a spinning lock or a context
    shared: bool = False  # a read (shared) acquisition: read_lock(), down_read()


@dataclass(frozen=True)
class Summary:
    """What calling a function of the same file does to its caller's locks (in callee terms)."""

    params: tuple[str, ...]
    acquires: tuple[Event, ...] = ()  # held at every return, not held on entry
    releases: tuple[LockRef, ...] = ()  # held on entry, released at every return
    unsure: tuple[LockRef, ...] = ()  # may or may not be held afterwards
    takes: tuple[Take, ...] = ()
    # Held afterwards when the call succeeds: (the acquisition, whether a
    # nonzero result means held). A nonzero result is also "not an error
    # pointer": "if (IS_ERR(tl)) return" leaves it held on the path that goes on.
    cond: tuple[tuple[Event, bool], ...] = ()


@dataclass(frozen=True)
class CallSite:
    call: Call
    state: LockState  # after the arguments were evaluated, before the call itself


@dataclass(frozen=True)
class AcquireSite:
    take: Take  # where (the call site, for helpers) and what
    column: int
    state: LockState  # the locks held just before


@dataclass(frozen=True)
class FlowResult:
    calls: tuple[CallSite, ...]
    acquires: tuple[AcquireSite, ...]
    writes: tuple[tuple[Field, LockState], ...]
    unheld_releases: tuple[LockRef, ...]  # released where not held: taken where we cannot see
    exit_state: LockState | None
    converged: bool
    # Each path's return value (None: none, or not known) and the state it returns with.
    returns: tuple[tuple[Expr | None, LockState], ...] = ()


def is_false_literal(expr: Expr) -> bool:
    return isinstance(expr, (Literal, Name)) and expr.text.strip() in FALSE_LITERALS


class _Transfer:
    def __init__(self, resolver: Resolver, summaries: Mapping[str, Summary], name: str) -> None:
        self.resolver = resolver
        self.summaries = summaries
        self.name = name
        self.data = tables()
        self.record = False
        self.calls: list[CallSite] = []
        self.acquires: list[AcquireSite] = []
        self.writes: list[tuple[Field, LockState]] = []
        self.unheld: list[LockRef] = []

    # ------------------------------------------------------------ helpers

    def strip(self, expr: Expr) -> Expr:
        """Drop casts and value-preserving wrappers: unlikely(x), WARN_ON(x)."""
        while True:
            if isinstance(expr, Cast):
                expr = expr.operand
            elif isinstance(expr, Call) and expr.callee in self.data.transparent and expr.args:
                expr = expr.args[0]
            else:
                return expr

    def primitive(self, call: Call) -> tuple[Primitive, LockRef] | None:
        prim = self.data.primitives.get(call.callee)
        if prim is None:
            return None
        if prim.object is LockObject.CONTEXT:
            return prim, LockRef(prim.context.lstrip("~"))
        if prim.arg >= len(call.args):
            return None
        return prim, self.resolver.lock(prim.object, call.args[prim.arg])

    def guard_lock(self, guard: GuardLock) -> LockRef | None:
        context = self.data.guards.contexts.get(guard.kind)
        if context is not None:
            return LockRef(context)
        kinds = self.data.guards.kinds
        base = guard.kind
        for suffix in self.data.guards.try_suffixes + self.data.guards.waiting_suffixes:
            if base.endswith(suffix) and base[: -len(suffix)] in kinds:
                base = base[: -len(suffix)]
        if base not in kinds:
            return None
        return self.resolver.lock(LockObject.ARG, guard.lock)

    def guard_atomic(self, guard: GuardLock) -> bool:
        guards = self.data.guards
        base = guard.kind
        for suffix in guards.try_suffixes + guards.waiting_suffixes:
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        return guard.kind in guards.contexts or base in guards.atomic

    def contexts(self, prim: Primitive, entering: bool, line: int, text: str,
                 st: LockState) -> LockState:
        """The contexts a primitive enters or leaves besides its lock (spin_lock_irq: "@irq")."""
        for name in prim.also:
            lock = LockRef(name.lstrip("~"))
            if entering:
                st = st.set(lock, Event(line, EventKind.ACQUIRE, lock, text, True))
            elif name.startswith("~"):
                st = st.set(lock, Event(line, EventKind.UNKNOWN, lock,
                                        f"{text} restores a saved state"))
            else:
                st = st.set(lock, Event(line, EventKind.RELEASE, lock, text))
        return st

    def take(self, st: LockState, take: Take, column: int) -> None:
        if not self.record:
            return
        if not take.via:
            dropped = frozenset(
                lock.cls for lock, event in st.facts
                if event.kind in (EventKind.RELEASE, EventKind.SCOPE_END, EventKind.UNKNOWN)
            )
            held = frozenset(lock.cls for lock in st.held())
            take = replace(take, released=dropped, held_inside=held)
        self.acquires.append(AcquireSite(take, column, st))

    # ------------------------------------------------------------ expressions

    def eval(self, expr: Expr, st: LockState) -> LockState:
        if isinstance(expr, Call):
            return self.call(expr, st)
        if isinstance(expr, Assign):
            st = self.eval(expr.value, st)
            st = self.eval(expr.target, st)
            if isinstance(expr.target, Field) and self.record:
                self.writes.append((expr.target, st))
            if isinstance(expr.target, Name):
                st = st.unbind(expr.target.name)
                value = self.strip(expr.value)
                found = self.primitive(value) if isinstance(value, Call) else None
                if found is not None and found[0].action is Action.TRYLOCK and expr.op == "=":
                    prim, lock = found
                    event = Event(expr.pos.line, EventKind.TRYLOCK, lock, value.text, prim.atomic)
                    st = st.bind(expr.target.name, lock, event, prim.success_nonzero)
                elif found is None and isinstance(value, Call) and expr.op == "=":
                    for lock, event, nonzero in self.conditional(value):
                        st = st.bind(expr.target.name, lock, event, nonzero)
            return st
        if (isinstance(expr, Unary) and expr.op in ("++", "--")
                and isinstance(expr.operand, Field) and self.record):
            st = self.eval(expr.operand, st)
            self.writes.append((expr.operand, st))  # x->n++ writes x->n as "x->n = ..." does
            return st
        if isinstance(expr, Binary) and expr.op in ("&&", "||"):
            left = self.eval(expr.left, st)
            want = expr.op == "&&"
            right = self.eval(expr.right, self.refine(expr.left, want, left))
            return join([self.refine(expr.left, not want, left), right])
        if isinstance(expr, Conditional):
            st = self.eval(expr.cond, st)
            then = expr.then if expr.then is not None else expr.cond
            return join(
                [
                    self.eval(then, self.refine(expr.cond, True, st)),
                    self.eval(expr.other, self.refine(expr.cond, False, st)),
                ]
            )
        for child in _children(expr):
            st = self.eval(child, st)
        return st

    def call(self, call: Call, st: LockState) -> LockState:
        line = call.pos.line
        guard = guard_call(call)
        if guard is not None:
            lock = self.guard_lock(guard)
            st = self.eval(guard.lock, st)
            if lock is None:
                return st
            if guard.kind.endswith(self.data.guards.try_suffixes):
                # guard(mutex_try)(&l): held or not, the code that follows decides.
                return st.set(lock, Event(line, EventKind.UNKNOWN, lock, call.text))
            atomic = self.guard_atomic(guard)
            self.take(st, Take(lock, line, call.text, True, atomic=atomic), call.pos.column)
            return st.push(lock, Event(line, EventKind.GUARD, lock, call.text, atomic))
        if not isinstance(call.callee_expr, Name):
            st = self.eval(call.callee_expr, st)
        for arg in call.args:
            st = self.eval(arg, st)
        if self.record:
            self.calls.append(CallSite(call, st))
        found = self.primitive(call)
        if found is not None:
            st = self.effect(call, found[0], found[1], st)
        elif call.callee in self.summaries and call.callee != self.name:
            st = self.apply_summary(call, self.summaries[call.callee], st)
        if call.callee in self.data.assume_false and call.args:
            st = self.refine(call.args[0], False, st)
        return st

    def effect(self, call: Call, prim: Primitive, lock: LockRef, st: LockState) -> LockState:
        line = call.pos.line
        if prim.action is Action.ACQUIRE:
            self.take(st, Take(lock, line, call.text, prim.blocking, nested=prim.nested,
                               atomic=prim.atomic, shared=prim.mode == "read"), call.pos.column)
            st = st.push(lock, Event(line, EventKind.ACQUIRE, lock, call.text, prim.atomic))
            return self.contexts(prim, True, line, call.text, st)
        if prim.action is Action.RELEASE:
            if prim.context.startswith("~"):
                # local_irq_restore(): back to whatever was saved.
                text = f"{call.text} restores a saved state"
                return st.set(lock, Event(line, EventKind.UNKNOWN, lock, text))
            # Released though no path took it: someone we cannot see did (the
            # caller, a helper in another file). Held on some paths only is
            # different: that is what the rules report.
            if st.holding(lock) is Holding.NOT_HELD and self.record:
                self.unheld.append(lock)
            st = st.pop(lock, Event(line, EventKind.RELEASE, lock, call.text))
            return self.contexts(prim, False, line, call.text, st)
        if prim.action is Action.ASSERT:
            return st.set(lock, Event(line, EventKind.ASSERT, lock, call.text))
        if prim.action is Action.TRYLOCK:
            # The result decides; record the attempt for lock order (a
            # trylock never waits, so only waiting forms can deadlock).
            self.take(st, Take(lock, line, call.text, prim.blocking, nested=prim.nested,
                               atomic=prim.atomic, shared=prim.mode == "read"), call.pos.column)
        return st

    def map_lock(self, lock: LockRef, summary: Summary, call: Call) -> LockRef | None:
        """A callee's lock in the caller's terms: page locks follow the argument."""
        if lock.cls != PAGE_CLASS:
            return lock
        if lock.inst in summary.params:
            index = summary.params.index(lock.inst)
            if index < len(call.args):
                return LockRef(PAGE_CLASS, self.resolver.page_instance(call.args[index]))
        return None

    def apply_summary(self, call: Call, summary: Summary, st: LockState) -> LockState:
        line, callee = call.pos.line, call.callee
        for take in summary.takes:
            mapped = self.map_lock(take.lock, summary, call) or LockRef(take.lock.cls, "")
            inner = take.inner or f"{take.text} at line {take.line}"
            via = (callee, *take.via)
            self.take(st, replace(take, lock=mapped, line=line, text=call.text, via=via, inner=inner),
                      call.pos.column)
        for lock in summary.releases:
            target = self.map_lock(lock, summary, call)
            if target is not None:
                text = f"released inside {callee}()"
                st = st.set(target, Event(line, EventKind.RELEASE, target, text))
        for event in summary.acquires:
            target = self.map_lock(event.lock, summary, call)
            if target is not None:
                text = f"taken inside {callee}() at line {event.line}"
                st = st.set(target, Event(line, EventKind.ACQUIRE, target, text))
        for lock in summary.unsure:
            target = self.map_lock(lock, summary, call)
            if target is not None:
                text = f"{callee}() may take or release it"
                st = st.set(target, Event(line, EventKind.UNKNOWN, target, text))
        # Held if it succeeded: until a test of its result says which, held on
        # some paths only (the assignment binds the result to the test).
        for target, event, _ in self.conditional(call):
            st = join([st, st.set(target, event)])
        return st

    def conditional(self, call: Call) -> list[tuple[LockRef, Event, bool]]:
        """The locks a helper returns holding when it succeeds, in the caller's terms."""
        summary = self.summaries.get(call.callee)
        if summary is None or not summary.cond or call.callee == self.name:
            return []
        found = []
        for event, nonzero in summary.cond:
            target = self.map_lock(event.lock, summary, call)
            if target is not None:
                text = f"taken inside {call.callee}() when it succeeds"
                found.append((target, Event(call.pos.line, EventKind.TRYLOCK, target, text,
                                            event.atomic), nonzero))
        return found

    # ------------------------------------------------------------ conditions

    def refine(self, cond: Expr, truth: bool, st: LockState) -> LockState:
        """The state on the path where ``cond`` evaluated to ``truth``."""
        cond = self.strip(cond)
        if isinstance(cond, Unary) and cond.op == "!":
            return self.refine(cond.operand, not truth, st)
        if isinstance(cond, Binary):
            if cond.op in ("==", "!="):
                for side, other in ((cond.left, cond.right), (cond.right, cond.left)):
                    if is_false_literal(other):
                        return self.refine(side, truth if cond.op == "!=" else not truth, st)
                return st
            if cond.op == "&&":
                if truth:
                    return self.refine(cond.right, True, self.refine(cond.left, True, st))
                return join([self.refine(cond.left, False, st),
                             self.refine(cond.right, False, self.refine(cond.left, True, st))])
            if cond.op == "||":
                if not truth:
                    return self.refine(cond.right, False, self.refine(cond.left, False, st))
                return join([self.refine(cond.left, True, st),
                             self.refine(cond.right, True, self.refine(cond.left, False, st))])
            if cond.op == ",":
                return self.refine(cond.right, truth, st)
            return st
        if isinstance(cond, Assign) and cond.op == "=":
            return self.refine(cond.target, truth, st)
        if isinstance(cond, Name):
            return self.decide(st.binding(cond.name), truth, st)
        if isinstance(cond, Call):
            if cond.callee in self.data.error_tests and len(cond.args) == 1:
                # IS_ERR(tl) is false where tl is a valid pointer: a nonzero result.
                inner = self.strip(cond.args[0])
                if isinstance(inner, Name):
                    bound = st.binding(inner.name)
                    if bound is not None and bound[2]:
                        return self.decide(bound, not truth, st)
                return st
            found = self.primitive(cond)
            if found is None:
                for lock, event, nonzero in self.conditional(cond):
                    st = self.decide((lock, event, nonzero), truth, st)
                return st
            prim, lock = found
            line = cond.pos.line
            if prim.action is Action.TRYLOCK and truth == prim.success_nonzero:
                st = st.push(lock, Event(line, EventKind.TRYLOCK, lock, cond.text, prim.atomic))
                return self.contexts(prim, True, line, cond.text, st)
            if prim.action is Action.TEST and truth:
                return st.set(lock, Event(line, EventKind.ASSERT, lock, cond.text))
        return st

    @staticmethod
    def decide(bound: tuple[LockRef, Event, bool] | None, truth: bool,
               st: LockState) -> LockState:
        """A tested result: held where it says so, and where it says not, not taken by
        the helper whose call left the lock held on some paths only."""
        if bound is None:
            return st
        lock, event, nonzero = bound
        if truth == nonzero:
            return st.set(lock, event)
        return st.drop(lock, event)

    # ------------------------------------------------------------ nodes

    def node(self, kind: NodeKind, expr: Expr | None, truth: bool,
             guards: tuple[GuardLock, ...], st: LockState) -> LockState:
        if kind is NodeKind.EVAL and expr is not None:
            return self.eval(expr, st)
        if kind is NodeKind.ASSUME and expr is not None:
            return self.refine(expr, truth, st)
        for guard in guards:
            lock = self.guard_lock(guard)
            if lock is None:
                continue
            text = f"{guard.kind}: {guard.lock.text}"
            if kind is NodeKind.RELEASE:
                st = st.pop(lock, Event(guard.line, EventKind.SCOPE_END, lock, text))
            elif kind in (NodeKind.GUARD, NodeKind.GUARD_TRY):
                blocking = kind is NodeKind.GUARD or not guard.kind.endswith(
                    self.data.guards.try_suffixes)
                atomic = self.guard_atomic(guard)
                self.take(st, Take(lock, guard.line, text, blocking, atomic=atomic), 0)
                event = EventKind.GUARD if kind is NodeKind.GUARD else EventKind.TRYLOCK
                st = st.push(lock, Event(guard.line, event, lock, text, atomic))
        return st


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Cast):
        return (expr.operand,)
    if isinstance(expr, Field):
        return (expr.base,)
    if isinstance(expr, Index):
        return (expr.base, expr.index)
    if isinstance(expr, InitList):
        return tuple(item for _, item in expr.items)
    if isinstance(expr, Unknown):
        return expr.children
    if isinstance(expr, StmtExpr):
        return ()  # its statements are nodes of the graph already
    return ()


def still_flow(cfg: Cfg, entry: LockState, resolver: Resolver, name: str) -> FlowResult:
    """The flow of a function that touches no lock: every point has the entry state.

    One recording pass over the nodes reachable from the entry, as run_flow's
    last pass would make; if a node changes the state after all, the
    fixpoint runs instead.
    """
    transfer = _Transfer(resolver, {}, name)
    transfer.record = True
    seen = {cfg.entry}
    work = [cfg.entry]
    reached: list[int] = []
    while work:
        index = work.pop()
        reached.append(index)
        for succ in cfg.nodes[index].succ:
            if succ not in seen:
                seen.add(succ)
                work.append(succ)
    for index in sorted(reached):
        node = cfg.nodes[index]
        if transfer.node(node.kind, node.expr, node.truth, node.guards, entry) != entry:
            return run_flow(cfg, entry, resolver, {}, name)
    return FlowResult(
        calls=tuple(transfer.calls),
        acquires=tuple(transfer.acquires),
        writes=tuple(transfer.writes),
        unheld_releases=tuple(dict.fromkeys(transfer.unheld)),
        exit_state=entry if cfg.exit in seen else None,
        converged=True,
    )


def run_flow(
    cfg: Cfg, entry: LockState, resolver: Resolver, summaries: Mapping[str, Summary], name: str
) -> FlowResult:
    """Fixpoint of the lock state over ``cfg``, then one recording pass over the reached nodes."""
    transfer = _Transfer(resolver, summaries, name)
    preds: dict[int, list[int]] = {index: [] for index in range(len(cfg.nodes))}
    for index, node in enumerate(cfg.nodes):
        for succ in node.succ:
            preds[succ].append(index)
    outs: dict[int, LockState] = {}
    visits: dict[int, int] = {}
    work = [cfg.entry]
    converged = True
    while work:
        index = work.pop(0)
        if index == cfg.entry:
            state_in = entry
        else:
            state_in = join([outs[p] for p in preds[index] if p in outs])
        node = cfg.nodes[index]
        out = transfer.node(node.kind, node.expr, node.truth, node.guards, state_in)
        if outs.get(index) == out:
            continue
        visits[index] = visits.get(index, 0) + 1
        if visits[index] > _MAX_VISITS_PER_NODE:
            converged = False
            break
        outs[index] = out
        work.extend(succ for succ in node.succ if succ not in work)
    transfer.record = True
    for index, node in enumerate(cfg.nodes):
        if index not in outs:
            continue
        state_in = entry if index == cfg.entry else join(
            [outs[p] for p in preds[index] if p in outs])
        transfer.node(node.kind, node.expr, node.truth, node.guards, state_in)
    exit_preds = [outs[p] for p in preds[cfg.exit] if p in outs]
    returns = tuple(
        (cfg.nodes[p].expr if cfg.nodes[p].returned else None, outs[p])
        for p in preds[cfg.exit] if p in outs)
    return FlowResult(
        calls=tuple(transfer.calls),
        acquires=tuple(transfer.acquires),
        writes=tuple(transfer.writes),
        unheld_releases=tuple(dict.fromkeys(transfer.unheld)),
        exit_state=join(exit_preds) if exit_preds else None,
        converged=converged,
        returns=returns,
    )

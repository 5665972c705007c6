"""Lock analysis of a whole file: entry contexts, helper summaries and per-function flows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from patchaudit.analyses.cfg import Cfg, build_cfg
from patchaudit.analyses.entry import (
    address_taken,
    base_entry,
    caller_entry,
    installed_callbacks,
    merge,
)
from patchaudit.analyses.flow import FlowResult, Summary, is_false_literal, run_flow, still_flow
from patchaudit.analyses.lockclass import Resolver, strip_casts
from patchaudit.analyses.state import Event, EventKind, Holding, LockRef, LockState
from patchaudit.analyses.tables import Action, tables
from patchaudit.analyses.types import TypeEnv, env_for, file_types, function_calls, walk_stmts
from patchaudit.cfront.ir import Call, Expr, FileIR, Function, Name, Opaque, Scoped

# Entry contexts flow from callers to static helpers and summaries from
# helpers to callers; a few rounds settle every call chain seen in practice.
# A function still changing after the last round is treated as unknown.
_ROUNDS = 6


@dataclass(frozen=True)
class FunctionLocks:
    """The lock flow of one function and how far it can be trusted."""

    function: Function
    env: TypeEnv
    resolver: Resolver
    reliable: bool  # parsed cleanly and the fixpoint converged
    entry_known: bool  # its callers are known (not a static function whose address escapes)
    entry: LockState
    flow: FlowResult

    @property
    def trusted_for_absence(self) -> bool:
        """Whether 'not held' here can be reported (a missing lock is a finding)."""
        return self.reliable and self.entry_known


@dataclass(frozen=True)
class FileLocks:
    path: str
    functions: tuple[FunctionLocks, ...]
    escaped: frozenset[str] = frozenset()  # functions of the file used as values (address taken)


@dataclass
class _Fn:
    fn: Function
    env: TypeEnv
    resolver: Resolver
    cfg: Cfg
    clean: bool
    base: LockState
    static_helper: bool  # static, called only directly: entry comes from its callers


def _clean(fn: Function) -> bool:
    return not fn.has_error and not any(isinstance(s, Opaque) for s in walk_stmts(fn.body))


def _summary(item: _Fn, entry: LockState, flow: FlowResult) -> Summary:
    return function_summary(item.fn, item.clean, entry, flow)


def function_summary(fn: Function, clean: bool, entry: LockState, flow: FlowResult) -> Summary:
    """What calling ``fn`` does to its caller's locks, from its flow (see flow.Summary)."""
    params = tuple(param.name for param in fn.params)
    exit_state = flow.exit_state
    if not clean or not flow.converged:
        mentioned = {site.take.lock for site in flow.acquires}
        if exit_state is not None:
            mentioned |= exit_state.locks()
        return Summary(params, unsure=tuple(sorted(mentioned)))
    takes = tuple(dict.fromkeys(site.take for site in flow.acquires))
    if exit_state is None:
        return Summary(params, takes=takes)
    acquires: list[Event] = []
    releases: list[LockRef] = []
    unsure: list[LockRef] = []
    cond: list[tuple[Event, bool]] = []
    for lock in sorted(exit_state.locks()):
        before, after = entry.holding(lock), exit_state.holding(lock)
        if (after is Holding.NOT_HELD and lock.cls in tables().absolute
                and all(e.kind is EventKind.RELEASE for e in exit_state.events(lock))):
            releases.append(lock)  # interrupts on at every return, whatever they were
            continue
        if before == after and not (after is Holding.UNKNOWN and _kept(fn, lock, exit_state, flow)):
            continue
        if after is Holding.HELD:
            last = exit_state.events(lock)[-1]
            if last.kind is EventKind.ASSERT:
                took = next((site.take for site in flow.acquires if site.take.lock == lock), None)
                if took is None:
                    continue  # an assertion states the caller's lock; it takes nothing
                # Taken on some paths and asserted held at the end (io_ring_submit_lock()
                # takes uring_lock unless its caller holds it): held after the call.
                last = Event(last.line, EventKind.ACQUIRE, lock, took.text, took.atomic)
            acquires.append(last)
        elif after is Holding.NOT_HELD and before is not Holding.NOT_HELD:
            releases.append(lock)
        else:
            nonzero = _held_when(lock, flow) if before is Holding.NOT_HELD else None
            taken = [e for e in exit_state.events(lock) if e.kind.holds]
            if nonzero is None or not taken:
                unsure.append(lock)
            else:
                cond.append((taken[-1], nonzero))
    if not cond:
        cond = _returned_trylock(flow)
    return Summary(params, tuple(acquires), tuple(releases), tuple(unsure), takes, tuple(cond))


def _kept(fn: Function, lock: LockRef, exit_state: LockState, flow: FlowResult) -> bool:
    """Whether a return holds ``lock`` by an acquisition of the function's own, in a
    function that never releases it: with the entry state unknown, some returns holding
    it and others not is still a change the caller must see as unsure
    (intel_gvt_workload_req_alloc() keeps the timeline mutex of i915_request_create() on
    one return of three). A lock dropped and taken again (to wait, or around a call) is
    as the function found it, and an acquisition of a caller (a static helper's entry
    state comes from its callers' flow) is not the function's."""
    if not any(e.kind in (EventKind.ACQUIRE, EventKind.TRYLOCK)
               and fn.start_line <= e.line <= fn.end_line for e in exit_state.events(lock)):
        return False
    states = [site.state for site in flow.calls] + [site.state for site in flow.acquires]
    return not any(e.kind is EventKind.RELEASE for state in states for e in state.events(lock))


def _returned_trylock(flow: FlowResult) -> list[tuple[Event, bool]]:
    """A helper that returns a trylock's result: "return mutex_lock_interruptible(&d->lock);"."""
    prims = tables().primitives
    found: set[tuple[LockRef, bool, bool]] = set()
    for value, _ in flow.returns:
        value = strip_casts(value) if value is not None else None
        prim = prims.get(value.callee) if isinstance(value, Call) else None
        if value is None or prim is None or prim.action is not Action.TRYLOCK:
            return []
        site = next((a.take for a in flow.acquires
                     if a.take.line == value.pos.line and a.take.text == value.text), None)
        if site is None:
            return []
        found.add((site.lock, prim.success_nonzero, prim.atomic))
    if len(found) != 1:
        return []
    ((lock, nonzero, atomic),) = found
    line = flow.returns[0][0].pos.line if flow.returns[0][0] is not None else 0
    return [(Event(line, EventKind.TRYLOCK, lock, "", atomic), nonzero)]


def _held_when(lock: LockRef, flow: FlowResult) -> bool | None:
    """Whether a lock held on some returns only is held exactly when the result is nonzero.

    True: the returns without it give 0, NULL or an error pointer and those
    with it something else (a helper that returns the locked object or
    ERR_PTR()); False: those with it return 0 and the others something else
    (0 or -EINTR from a mutex_lock_interruptible() wrapper). None when the
    returns do not show it: the lock stays "maybe held".
    """
    held: list[Expr] = []
    free: list[Expr] = []
    passed: set[bool] = set()  # returns of another helper's untested result, by polarity
    for value, state in flow.returns:
        holding = state.holding(lock)
        value = strip_casts(value) if value is not None else None
        if holding is Holding.PARTIAL and isinstance(value, Name):
            # rq = i915_request_create(ce); ... return rq; (intel_engine_create_kernel_request())
            bound = state.binding(value.name)
            if bound is not None and bound[0] == lock:
                passed.add(bound[2])
                continue
        if value is None or holding not in (Holding.HELD, Holding.NOT_HELD):
            return None
        (held if holding is Holding.HELD else free).append(value)
    if len(passed) > 1:
        return None
    if not held and not free:
        return next(iter(passed), None)
    if not held or not free:
        return None
    found = _polarity(held, free)
    return found if not passed or found in passed else None


def _polarity(held: list[Expr], free: list[Expr]) -> bool | None:
    """Whether the values returned with a lock and without it say "held when nonzero"."""
    errors = tables().error_values

    def zero(expr: Expr) -> bool:
        return is_false_literal(expr)

    def failure(expr: Expr) -> bool:
        return zero(expr) or (isinstance(expr, Call) and expr.callee in errors)

    if all(zero(e) for e in held) and not any(zero(e) for e in free):
        return False
    # A variable may carry the error too (i915_request_create() returns rq
    # after IS_ERR(rq) sent it to its unlock): enough that one return
    # without the lock is plainly a failure and none with it is.
    if (any(failure(e) for e in free) and all(failure(e) or isinstance(e, Name) for e in free)
            and not any(failure(e) for e in held)):
        return True
    return None


def _fixups(flow: FlowResult, fn: Function) -> LockState:
    """A lock released where it was not taken was taken by someone we cannot see: unknown."""
    state = LockState()
    for lock in flow.unheld_releases:
        text = "released here without being taken first: held by the caller or a helper"
        state = state.set(lock, Event(fn.pos.line, EventKind.UNKNOWN, lock, text))
    return state


def analyse_file(ir: FileIR, external: Mapping[str, Summary] | None = None) -> FileLocks:
    """The lock flow of every function of ``ir``.

    ``external`` gives the summaries of functions of other files (lock
    wrappers such as ``inode_lock()`` in a header) for calls this file's own
    functions do not shadow.
    """
    types = file_types(ir)
    names = Counter(fn.name for fn in ir.functions)
    own_envs = [env_for(types, fn) for fn in ir.functions]
    envs = {fn.name: env for fn, env in zip(ir.functions, own_envs)}
    installed = installed_callbacks(ir, envs, types)
    escaped = address_taken(ir)
    items: list[_Fn] = []
    for fn, own_env in zip(ir.functions, own_envs):
        env = own_env if names[fn.name] > 1 else envs[fn.name]
        resolver = Resolver(env)
        mine = [inst for inst in installed if inst.function == fn.name]
        helper = fn.static and fn.name not in escaped and not mine and not fn.annotations
        items.append(
            _Fn(fn, env, resolver, build_cfg(fn), _clean(fn), base_entry(fn, resolver, mine), helper)
        )
    # Which functions of this file each one calls: a flow is re-run only when
    # its entry state or the summary of one of its callees changed.
    called = [function_calls(item.fn) for item in items]
    deps = [frozenset(callees & names.keys()) for callees in called]
    primitives = tables().primitives.keys() | {tables().guards.guard_macro}
    scoped = [_has_scope(item.fn) for item in items]
    summaries: dict[str, Summary] = {}
    from_callers: dict[int, LockState] = {}
    fixups: dict[int, LockState] = {}
    flows: dict[int, FlowResult] = {}
    inputs: dict[int, tuple[LockState, dict[str, Summary | None]]] = {}
    unsettled: set[int] = set()

    outside = {name: summary for name, summary in (external or {}).items() if name not in names}

    def inputs_of(index: int) -> tuple[LockState, dict[str, Summary | None]]:
        entry = merge(items[index].base, from_callers.get(index, LockState()),
                      fixups.get(index, LockState()))
        return entry, {callee: summaries.get(callee) for callee in deps[index]}

    for _ in range(_ROUNDS):
        known = {**outside, **summaries} if outside else summaries
        for index, item in enumerate(items):
            wanted = inputs_of(index)
            if inputs.get(index) != wanted:
                inputs[index] = wanted
                # A function that touches no lock (no primitive, no guard, no
                # helper that takes or drops one) keeps its entry state
                # throughout: one pass records its calls, no fixpoint needed.
                touches = scoped[index] or bool(called[index] & primitives) or any(
                    _touches(known.get(callee)) for callee in called[index])
                if not touches and not wanted[0].facts:
                    flows[index] = still_flow(item.cfg, wanted[0], item.resolver, item.fn.name)
                else:
                    flows[index] = run_flow(item.cfg, wanted[0], item.resolver, known,
                                            item.fn.name)
        summaries = {
            item.fn.name: _summary(item, inputs[index][0], flows[index])
            for index, item in enumerate(items)
            if names[item.fn.name] == 1
        }
        fixups = _grow(fixups, {index: _fixups(flows[index], item.fn) for index, item in enumerate(items)})
        from_callers = _from_callers(items, flows)
        unsettled = {index for index in range(len(items)) if inputs_of(index) != inputs[index]}
        if not unsettled:
            break
    result = []
    header = ir.path.endswith(".h")
    for index, item in enumerate(items):
        flow = flows[index]
        documented = bool(item.fn.annotations) or any(
            inst.function == item.fn.name for inst in installed
        )
        if header:
            # A header's functions are called by every file that includes it,
            # with whatever those callers hold: only a stated context counts.
            entry_known = documented
        else:
            entry_known = documented or not item.fn.static or item.fn.name not in escaped
        result.append(
            FunctionLocks(
                function=item.fn,
                env=item.env,
                resolver=item.resolver,
                reliable=item.clean and flow.converged and index not in unsettled,
                entry_known=entry_known,
                entry=inputs[index][0],
                flow=flow,
            )
        )
    return FileLocks(ir.path, tuple(result), frozenset(escaped))


def _touches(summary: Summary | None) -> bool:
    return summary is not None and bool(
        summary.acquires or summary.releases or summary.unsure or summary.takes or summary.cond)


def _has_scope(fn: Function) -> bool:
    return any(isinstance(stmt, Scoped) for stmt in walk_stmts(fn.body))


def _grow(old: dict[int, LockState], new: dict[int, LockState]) -> dict[int, LockState]:
    """Fixups only ever add unknown locks, so the rounds cannot oscillate."""
    merged = dict(old)
    for index, state in new.items():
        merged[index] = LockState(old.get(index, LockState()).facts | state.facts)
    return merged


def _from_callers(items: list[_Fn], flows: dict[int, FlowResult]) -> dict[int, LockState]:
    by_name: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        by_name.setdefault(item.fn.name, []).append(index)
    sites: dict[str, list[tuple[str, int, LockState, tuple[Expr, ...], Resolver]]] = {}
    for index, item in enumerate(items):
        for site in flows[index].calls:
            callee = site.call.callee
            if callee in by_name and callee != item.fn.name:
                sites.setdefault(callee, []).append(
                    (item.fn.name, site.call.pos.line, site.state, site.call.args, item.resolver)
                )
    found: dict[int, LockState] = {}
    for name, indexes in by_name.items():
        for index in indexes:
            item = items[index]
            if item.static_helper and name in sites:
                found[index] = caller_entry(item.fn, sites[name])
    return found


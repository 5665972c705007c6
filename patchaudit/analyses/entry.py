"""What is held when a function starts: callback contexts (data), annotations, and its callers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from patchaudit.analyses.lockclass import Resolver, parse_annotation
from patchaudit.analyses.state import PAGE_CLASS, Event, EventKind, LockRef, LockState, join
from patchaudit.analyses.tables import Callback, tables
from patchaudit.analyses.types import FileTypes, TypeEnv, function_exprs, struct_name, sub_exprs
from patchaudit.cfront.ir import Assign, Call, Expr, Field, FileIR, Function, InitList, Name


@dataclass(frozen=True)
class Installed:
    """A function stored in a callback field: ``.migrate_page = f`` or ``b->migratepage = f``."""

    function: str
    callback: Callback
    line: int


def _callback_for(struct: str | None, field: str) -> Callback | None:
    candidates = [cb for cb in tables().callbacks if cb.field == field]
    exact = [cb for cb in candidates if cb.struct == struct]
    if exact:
        return exact[0]
    # The struct could not be told (declared in a header we do not see):
    # accept the field name only when every table entry for it agrees.
    if struct is None and candidates and len({cb.locked for cb in candidates}) == 1:
        return candidates[0]
    return None


def _init_items(init: Expr, struct: str | None) -> Iterator[tuple[str | None, str, Expr]]:
    if isinstance(init, InitList):
        for designator, value in init.items:
            if isinstance(value, InitList):
                # A nested initializer names a member struct we cannot type.
                yield from _init_items(value, None)
            else:
                yield struct, designator, value


def installed_callbacks(ir: FileIR, envs: Mapping[str, TypeEnv], types: FileTypes) -> list[Installed]:
    """Every function of this file installed in a callback field of the table."""
    functions = {fn.name for fn in ir.functions}
    found: list[Installed] = []
    for var in ir.globals:
        if var.init is None:
            continue
        for struct, designator, value in _init_items(var.init, struct_name(var.type)):
            callback = _callback_for(struct, designator.lstrip("."))
            if callback and isinstance(value, Name) and value.name in functions:
                found.append(Installed(value.name, callback, value.pos.line))
    for fn in ir.functions:
        env = envs[fn.name]
        for expr in function_exprs(fn):
            if not (isinstance(expr, Assign) and isinstance(expr.target, Field)):
                continue
            value = expr.value
            if not (isinstance(value, Name) and value.name in functions):
                continue
            struct = struct_name(env.of(expr.target.base))
            callback = _callback_for(struct, expr.target.member)
            if callback is not None:
                found.append(Installed(value.name, callback, expr.pos.line))
    return found


def address_taken(ir: FileIR) -> set[str]:
    """Functions of this file used as values (stored, passed) rather than only called.

    Functions handed to work queues, kthreads, timers, initcalls and notifier
    chains (callbacks.toml, ``no_locks``) are not counted: they start with
    nothing held, like an exported function.
    """
    data = tables()
    functions = {fn.name for fn in ir.functions}
    harmless: set[int] = set()
    used: set[str] = set()
    roots: list[Expr] = [var.init for var in ir.globals if var.init is not None]
    for fn in ir.functions:
        roots.extend(function_exprs(fn))
    for root in roots:
        for expr in sub_exprs(root):
            if isinstance(expr, Call):
                harmless.add(id(expr.callee_expr))
                if expr.callee in data.no_lock_calls:
                    harmless.update(id(arg) for arg in expr.args)
            elif isinstance(expr, InitList):
                harmless.update(
                    id(value) for designator, value in expr.items
                    if designator.lstrip(".") in data.no_lock_fields
                )
            elif isinstance(expr, Name) and expr.name in functions and id(expr) not in harmless:
                used.add(expr.name)
    return used


def base_entry(fn: Function, resolver: Resolver, installed: list[Installed]) -> LockState:
    """Locks held on entry by what the file itself says: callback tables and annotations."""
    state = LockState()
    line = fn.pos.line
    params = [param.name for param in fn.params]
    for inst in installed:
        cb = inst.callback
        for index in cb.locked:
            if index < len(params):
                lock = LockRef(PAGE_CLASS, params[index])
                text = (
                    f"{fn.name}() is installed as {cb.struct}.{cb.field} at line {inst.line}; "
                    f"{cb.source} ({cb.version}): \"{cb.quote}\""
                )
                state = state.set(lock, Event(line, EventKind.ENTRY, lock, text))
    for annotation in fn.annotations:
        parsed = parse_annotation(annotation)
        if parsed is None or parsed[0] == "__acquires":
            continue
        ref = resolver.annotation_lock(parsed[1], fn.pos)
        if ref is not None:
            state = state.set(ref, Event(line, EventKind.ENTRY, ref, annotation.strip()))
    return state


def caller_entry(
    fn: Function, sites: list[tuple[str, int, LockState, tuple[Expr, ...], Resolver]]
) -> LockState:
    """The join of the callers' states at every call, in this function's terms.

    A page lock follows the argument it was passed as; other classes are the
    same in caller and callee. Events keep the caller's line for the trace.
    """
    params = [param.name for param in fn.params]
    states: list[LockState] = []
    for caller, call_line, state, args, resolver in sites:
        mapped = LockState()
        for lock, event in state.facts:
            target: LockRef | None = lock
            if lock.cls == PAGE_CLASS:
                target = None
                for index, arg in enumerate(args[: len(params)]):
                    if resolver.page_instance(arg) == lock.inst:
                        target = LockRef(PAGE_CLASS, params[index])
            if target is None:
                continue
            text = f"in {caller}(), which calls {fn.name}() at line {call_line}"
            if event.text:
                text = f"{event.text} ({text})"
            mapped = LockState(mapped.facts | {(target, Event(event.line, event.kind, target, text))})
        states.append(mapped)
    return join(states)


def merge(*states: LockState) -> LockState:
    """Entry facts from several sources; a later source does not override an earlier one."""
    facts: dict[LockRef, set[Event]] = {}
    for state in states:
        seen = {lock for lock, _ in state.facts}
        for lock in seen:
            if lock not in facts:
                facts[lock] = {event for held, event in state.facts if held == lock}
    return LockState(frozenset((lock, event) for lock, events in facts.items() for event in events))

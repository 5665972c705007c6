"""Load the lock-analysis data tables (analyses/data/*.toml) into frozen, typed values."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from patchaudit.errors import InputError

DATA_DIR = Path(__file__).resolve().parent / "data"


class Action(Enum):
    ACQUIRE = "acquire"
    RELEASE = "release"
    TRYLOCK = "trylock"
    ASSERT = "assert"
    TEST = "test"


class LockObject(Enum):
    ARG = "arg"  # the argument is the lock: &b->pages_lock
    PAGE = "page"  # the argument is a page or folio whose page lock is meant
    CONTEXT = "context"  # no object: a context the call enters or leaves (rcu_read_lock())


@dataclass(frozen=True)
class Primitive:
    name: str
    action: Action
    object: LockObject
    arg: int
    blocking: bool
    success_nonzero: bool = True  # trylock: a true result means the lock was taken
    mode: str = ""
    atomic: bool = False  # holding what it takes makes the context atomic (spinning locks)
    nested: bool = False  # a lockdep nesting annotation: may take a second lock of one class
    context: str = ""  # object "context": the pseudo-lock class it takes or drops ("@rcu")
    # Contexts the call enters or leaves besides its lock: spin_lock_irq() also
    # disables interrupts ("@irq"); "~@irq" restores a saved state (unknown).
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Guards:
    kinds: frozenset[str]
    try_suffixes: tuple[str, ...]
    waiting_suffixes: tuple[str, ...]
    scoped: Mapping[str, int]  # scoped macro -> index of its lock argument
    guard_macro: str
    contexts: Mapping[str, str]  # guards without a lock object -> the pseudo-lock they hold
    atomic: frozenset[str]  # guard classes whose lock spins (holding it is atomic context)


@dataclass(frozen=True)
class Callback:
    struct: str
    field: str
    locked: tuple[int, ...]
    source: str
    quote: str
    version: str


@dataclass(frozen=True)
class ContextRoot:
    """Functions registered through these calls or fields run in an atomic context of their own."""

    context: str  # "hardirq" or "softirq"
    calls: Mapping[str, int]  # registration call -> index of the function argument
    fields: tuple[str, ...]  # "struct.field" a function is stored in
    source: str
    quote: str
    version: str


@dataclass(frozen=True)
class ListOps:
    remove_entry: Mapping[str, int]  # call -> index of the entry argument
    remove_all: Mapping[str, int]  # call -> index of the emptied list head
    add_entry: Mapping[str, int]  # call -> index of the list head an entry goes onto
    iterators: Mapping[str, tuple[int, int]]  # macro -> (cursor, head) argument indexes
    first_entry: Mapping[str, int]  # call -> index of the list head
    typed_entry: Mapping[str, int]  # call -> index of its type argument
    owners: Mapping[str, tuple[int, str, str]]  # call -> (entry arg, list class, citation)


@dataclass(frozen=True)
class SleepTable:
    """Calls that may sleep (data/sleep.toml), each with the reason a trace shows."""

    always: Mapping[str, str]  # call -> why it may sleep
    gfp: Mapping[str, int]  # allocation call -> index of its gfp argument
    sleeping_gfp: frozenset[str]  # gfp flags that allow direct reclaim (may sleep)
    atomic_gfp: frozenset[str]  # gfp flags that never sleep


@dataclass(frozen=True)
class Tables:
    primitives: Mapping[str, Primitive]
    guards: Guards
    assume_false: frozenset[str]
    transparent: frozenset[str]
    error_tests: frozenset[str]  # IS_ERR(): true when its argument is an error pointer
    error_values: frozenset[str]  # ERR_PTR(): makes one
    absolute: frozenset[str]  # contexts a release ends whatever the state before ("@irq")
    same_page: frozenset[str]
    same_page_members: frozenset[str]
    callbacks: tuple[Callback, ...]
    no_lock_calls: frozenset[str]  # a function passed to these starts with nothing held
    no_lock_fields: frozenset[str]  # ... and one stored in these fields too
    lists: ListOps
    sleep: SleepTable
    context_roots: tuple[ContextRoot, ...]


def _load(name: str) -> dict[str, Any]:
    path = DATA_DIR / name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(str(path), f"unreadable lock table: {exc}") from None


def _names(entry: Mapping[str, Any], where: str) -> list[str]:
    names = entry.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise InputError(where, "field 'names': must be a list of strings")
    return list(names)


def _int(entry: Mapping[str, Any], key: str, where: str) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(where, f"field '{key}': must be a non-negative integer")
    return value


def _str(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(where, f"field '{key}': must be a non-empty string")
    return value


def _strs(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(where, f"field '{key}': must be a list of strings")
    return tuple(value)


def _primitives(raw: Mapping[str, Any], where: str) -> dict[str, Primitive]:
    table: dict[str, Primitive] = {}
    for entry in raw.get("primitive", []):
        try:
            action = Action(entry.get("action"))
            obj = LockObject(entry.get("object"))
        except ValueError:
            raise InputError(where, "field 'action' or 'object': unknown value") from None
        success = entry.get("success", "nonzero")
        if success not in ("nonzero", "zero"):
            raise InputError(where, "field 'success': must be 'nonzero' or 'zero'")
        context = str(entry.get("class", ""))
        if (obj is LockObject.CONTEXT) != bool(context):
            raise InputError(where, "field 'class': needed exactly for object 'context'")
        for name in _names(entry, where):
            table[name] = Primitive(
                name=name,
                action=action,
                object=obj,
                arg=_int(entry, "arg", where) if obj is not LockObject.CONTEXT else 0,
                blocking=bool(entry.get("blocking", False)),
                success_nonzero=success == "nonzero",
                mode=str(entry.get("mode", "")),
                atomic=bool(entry.get("atomic", False)),
                nested=bool(entry.get("nested", False)),
                context=context,
                also=_strs(entry, "also", where),
            )
    return table


def _guards(raw: Mapping[str, Any], where: str) -> Guards:
    table = raw.get("guards", {})
    scoped = table.get("scoped", {})
    if not isinstance(scoped, dict) or not all(isinstance(v, int) for v in scoped.values()):
        raise InputError(where, "field 'guards.scoped': must map macro names to integers")
    contexts = table.get("contexts", {})
    if not isinstance(contexts, dict) or not all(isinstance(v, str) for v in contexts.values()):
        raise InputError(where, "field 'guards.contexts': must map guard names to classes")
    return Guards(
        kinds=frozenset(_strs(table, "names", where)),
        try_suffixes=_strs(table, "try_suffixes", where),
        waiting_suffixes=_strs(table, "waiting_suffixes", where),
        scoped=dict(scoped),
        guard_macro=str(table.get("guard_macro", "guard")),
        contexts=dict(contexts),
        atomic=frozenset(_strs(table, "atomic", where)),
    )


def _callbacks(raw: Mapping[str, Any], where: str) -> tuple[Callback, ...]:
    found = []
    for entry in raw.get("callback", []):
        locked = entry.get("locked")
        if not isinstance(locked, list) or not all(isinstance(i, int) for i in locked):
            raise InputError(where, "field 'locked': must be a list of integers")
        found.append(
            Callback(
                struct=_str(entry, "struct", where),
                field=_str(entry, "field", where),
                locked=tuple(locked),
                source=_str(entry, "source", where),
                quote=_str(entry, "quote", where),
                version=_str(entry, "version", where),
            )
        )
    return tuple(found)


def _by_name(raw: Mapping[str, Any], section: str, key: str, where: str) -> dict[str, int]:
    table: dict[str, int] = {}
    for entry in raw.get(section, []):
        for name in _names(entry, where):
            table[name] = _int(entry, key, where)
    return table


def _lists(raw: Mapping[str, Any], where: str) -> ListOps:
    iterators: dict[str, tuple[int, int]] = {}
    for entry in raw.get("iterator", []):
        for name in _names(entry, where):
            iterators[name] = (_int(entry, "cursor", where), _int(entry, "head", where))
    owners: dict[str, tuple[int, str, str]] = {}
    for entry in raw.get("owner", []):
        citation = f"{_str(entry, 'source', where)}: \"{_str(entry, 'quote', where)}\""
        for name in _names(entry, where):
            owners[name] = (_int(entry, "entry", where), _str(entry, "list", where), citation)
    return ListOps(
        remove_entry=_by_name(raw, "remove_entry", "entry", where),
        remove_all=_by_name(raw, "remove_all", "head", where),
        add_entry=_by_name(raw, "add_entry", "head", where),
        iterators=iterators,
        first_entry=_by_name(raw, "first_entry", "head", where),
        typed_entry=_by_name(raw, "typed_entry", "type_arg", where),
        owners=owners,
    )


def _context_roots(raw: Mapping[str, Any], where: str) -> tuple[ContextRoot, ...]:
    found = []
    for entry in raw.get("context_root", []):
        context = _str(entry, "context", where)
        if context not in ("hardirq", "softirq"):
            raise InputError(where, "field 'context': must be 'hardirq' or 'softirq'")
        calls = entry.get("calls", {})
        if not isinstance(calls, dict) or not all(isinstance(v, int) for v in calls.values()):
            raise InputError(where, "field 'calls': must map call names to integers")
        found.append(ContextRoot(context, dict(calls), _strs(entry, "fields", where),
                                 _str(entry, "source", where), _str(entry, "quote", where),
                                 _str(entry, "version", where)))
    return tuple(found)


def _sleep(raw: Mapping[str, Any], where: str) -> SleepTable:
    always: dict[str, str] = {}
    for entry in raw.get("sleeps", []):
        reason = _str(entry, "reason", where)
        for name in _names(entry, where):
            always[name] = reason
    gfp = raw.get("gfp", {})
    return SleepTable(
        always=always,
        gfp=_by_name(raw, "allocator", "gfp_arg", where),
        sleeping_gfp=frozenset(_strs(gfp, "sleeping", where)),
        atomic_gfp=frozenset(_strs(gfp, "atomic", where)),
    )


@lru_cache(maxsize=1)
def tables() -> Tables:
    """The shipped tables, loaded once."""
    locks = _load("locks.toml")
    where = str(DATA_DIR / "locks.toml")
    conditions = locks.get("conditions", {})
    pages = locks.get("pages", {})
    callbacks = _load("callbacks.toml")
    callbacks_where = str(DATA_DIR / "callbacks.toml")
    no_locks = callbacks.get("no_locks", {})
    return Tables(
        primitives=_primitives(locks, where),
        guards=_guards(locks, where),
        assume_false=frozenset(_strs(conditions, "assume_false", where)),
        transparent=frozenset(_strs(conditions, "transparent", where)),
        error_tests=frozenset(_strs(conditions, "error_tests", where)),
        error_values=frozenset(_strs(conditions, "error_values", where)),
        absolute=frozenset(_strs(locks.get("absolute", {}), "contexts", where)),
        same_page=frozenset(_strs(pages, "same_page", where)),
        same_page_members=frozenset(_strs(pages, "same_page_members", where)),
        callbacks=_callbacks(callbacks, callbacks_where),
        no_lock_calls=frozenset(_strs(no_locks, "calls", callbacks_where)),
        no_lock_fields=frozenset(_strs(no_locks, "fields", callbacks_where)),
        lists=_lists(_load("lists.toml"), str(DATA_DIR / "lists.toml")),
        sleep=_sleep(_load("sleep.toml"), str(DATA_DIR / "sleep.toml")),
        context_roots=_context_roots(callbacks, callbacks_where),
    )

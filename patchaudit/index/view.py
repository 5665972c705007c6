"""The tree as checks see it: the index's rows, with some files replaced by summaries in memory.

``check`` judges the tree as patched: the files a patch touches are
summarised again and laid over the index of the base tree (their rows in
the index are ignored). Without an index (fixtures, small trees), the view
is the summaries in memory alone.
"""

from __future__ import annotations

import json
import os
from typing import Any
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from patchaudit.analyses.types import struct_name
from patchaudit.cfront.ir import Param
from patchaudit.contracts.model import Contract, ContractKind
from patchaudit.contracts.phrases import lock_names
from patchaudit.contracts.resolve import Resolver
from patchaudit.index.store import (
    CALL_COLUMNS,
    TAKE_COLUMNS,
    WRITE_COLUMNS,
    IndexStore,
    decode_codes,
    decode_effect,
    decode_names,
    row_call,
    row_contract,
    row_take,
    row_write,
)
from patchaudit.index.summary import (
    HELD,
    CallFact,
    Codes,
    Effect,
    FileSummary,
    FunctionSummary,
    TakeFact,
    WriteFact,
)

# A name is a variable's conventional type when this share of the tree's
# parameters of that name point to one struct (mapping -> address_space).
_NAME_TYPE_SHARE = 0.8
_NAME_TYPE_MIN = 5


@dataclass(frozen=True)
class FunctionRef:
    """One function definition of the tree, as the checks need to know it."""

    file: str
    name: str
    line: int
    static: bool
    header: bool
    exported: bool
    address_taken: bool
    reliable: bool
    effect: Effect
    entry: Codes
    atomic: tuple[str, ...]
    roots: tuple[str, ...]
    params: tuple[tuple[str, str], ...]
    returns: str
    key: int  # the function's row, or a negative number for one in memory

    @property
    def visible_everywhere(self) -> bool:
        """Callable from other files: not static, or static in a header (inlined where included)."""
        return not self.static or self.header


_FUNCTION_COLUMNS = ("f.id, fi.path, f.name, f.line, f.static, f.header, f.exported, "
                     "f.address_taken, f.reliable, f.effect, f.entry, f.atomic, f.roots, f.returns")


class _Memory:
    """Summaries held in memory (the files a patch touches, or a fixture's files)."""

    def __init__(self, summaries: Iterable[FileSummary]) -> None:
        self.files: dict[str, FileSummary] = {s.path: s for s in summaries}
        self.functions: dict[str, list[tuple[FunctionRef, FunctionSummary]]] = {}
        self.calls: dict[str, list[tuple[FunctionRef, CallFact]]] = {}
        self.by_key: dict[int, FunctionSummary] = {}
        key = -1
        for summary in self.files.values():
            exported = set(summary.exports)
            taken = set(summary.address_taken)
            for fn in summary.functions:
                ref = FunctionRef(summary.path, fn.name, fn.line, fn.static,
                                  summary.path.endswith(".h"), fn.name in exported,
                                  fn.name in taken, fn.reliable, fn.effect, fn.entry, fn.atomic,
                                  fn.roots, fn.params, fn.returns, key)
                self.by_key[key] = fn
                key -= 1
                self.functions.setdefault(fn.name, []).append((ref, fn))
                for call in fn.calls:
                    self.calls.setdefault(call.callee, []).append((ref, call))


class TreeView:
    """Lookups over the index of a tree, with files in memory laid over it."""

    def __init__(self, store: IndexStore | None = None,
                 summaries: Iterable[FileSummary] = ()) -> None:
        self.store = store
        self.memory = _Memory(summaries)
        self.hidden: tuple[int, ...] = ()
        if store is not None and self.memory.files:
            ids = [store.file_id(path) for path in self.memory.files]
            self.hidden = tuple(i for i in ids if i is not None)
        self._resolver: Resolver | None = None
        self._resolved: list[Contract] | None = None
        self._resolved_by_subject: dict[str, list[Contract]] | None = None
        self._cache: dict[tuple[str, str], object] = {}

    # ------------------------------------------------------------ helpers

    def _not_hidden(self, column: str) -> str:
        if not self.hidden:
            return ""
        return f" AND {column} NOT IN ({','.join(str(i) for i in self.hidden)})"

    def _memo(self, kind: str, key: str, make: object) -> object:
        found = self._cache.get((kind, key))
        if found is None:
            found = make() if callable(make) else make
            self._cache[(kind, key)] = found
        return found

    @staticmethod
    def _ref(row: tuple[Any, ...], params: tuple[tuple[str, str], ...]) -> FunctionRef:
        (key, path, name, line, static, header, exported, taken, reliable, effect, entry, atomic,
         roots, returns) = row
        return FunctionRef(str(path), str(name), int(line), bool(static), bool(header),
                           bool(exported), bool(taken), bool(reliable),
                           decode_effect(str(effect)), decode_codes(str(entry)),
                           decode_names(str(atomic)), decode_names(str(roots)), params, str(returns),
                           int(key))

    def _params(self, function_id: int) -> tuple[tuple[str, str], ...]:
        assert self.store is not None
        return tuple((name, kind) for name, kind in self.store.query(
            "SELECT name, type FROM params WHERE function_id=? ORDER BY idx", (function_id,)))

    # ------------------------------------------------------------ functions

    def functions(self, name: str) -> list[FunctionRef]:
        """Every definition of ``name`` in the tree."""
        def make() -> list[FunctionRef]:
            found = [ref for ref, _ in self.memory.functions.get(name, [])]
            if self.store is not None:
                rows = self.store.query(
                    f"SELECT {_FUNCTION_COLUMNS} FROM functions f JOIN files fi ON f.file_id=fi.id"
                    f" WHERE f.name=?{self._not_hidden('f.file_id')}", (name,))
                found.extend(self._ref(row, self._params(int(row[0]))) for row in rows)
            return sorted(found, key=lambda r: (r.file, r.line))
        return self._memo("functions", name, make)  # type: ignore[return-value]

    def callees_for(self, name: str, caller_file: str) -> list[FunctionRef]:
        """The definitions a call of ``name`` from ``caller_file`` may reach."""
        every = self.functions(name)
        own = [ref for ref in every if ref.file == caller_file]
        if own:
            return own
        return [ref for ref in every if ref.visible_everywhere and reaches(ref, caller_file)]

    def calls_to(self, name: str) -> list[tuple[FunctionRef, CallFact]]:
        """Every call of ``name`` in the tree, with the calling function."""
        def make() -> list[tuple[FunctionRef, CallFact]]:
            found = list(self.memory.calls.get(name, []))
            if self.store is not None:
                columns = ", ".join(f"c.{column}" for column in CALL_COLUMNS.split(", "))
                rows = self.store.query(
                    f"SELECT {_FUNCTION_COLUMNS}, {columns} FROM calls c"
                    " JOIN functions f ON c.function_id=f.id"
                    f" JOIN files fi ON f.file_id=fi.id WHERE c.callee=?"
                    f"{self._not_hidden('f.file_id')}", (name,))
                refs: dict[int, FunctionRef] = {}
                for row in rows:
                    key = int(row[0])
                    ref = refs.get(key)
                    if ref is None:
                        ref = refs[key] = self._ref(row[:14], self._params(key))
                    found.append((ref, row_call(name, row[14:])))
            return found
        return self._memo("calls_to", name, make)  # type: ignore[return-value]

    def calls_of(self, ref: FunctionRef) -> tuple[CallFact, ...]:
        if ref.key < 0:
            return self.memory.by_key[ref.key].calls
        assert self.store is not None
        return tuple(row_call(row[0], row[1:]) for row in self.store.query(
            f"SELECT callee, {CALL_COLUMNS} FROM calls WHERE function_id=?", (ref.key,)))

    def takes_of(self, ref: FunctionRef) -> tuple[TakeFact, ...]:
        if ref.key < 0:
            return self.memory.by_key[ref.key].takes
        assert self.store is not None
        return tuple(row_take(row[0], row[1:]) for row in self.store.query(
            f"SELECT lock, {TAKE_COLUMNS} FROM takes WHERE function_id=?", (ref.key,)))

    def writes_to(self, member: str) -> list[tuple[FunctionRef, WriteFact]]:
        found: list[tuple[FunctionRef, WriteFact]] = []
        for summary in self.memory.files.values():
            for fn in summary.functions:
                for write in fn.writes:
                    if write.member == member:
                        found.append((self._memory_ref(summary.path, fn), write))
        if self.store is not None:
            columns = ", ".join(f"w.{column}" for column in WRITE_COLUMNS.split(", "))
            rows = self.store.query(
                f"SELECT {_FUNCTION_COLUMNS}, {columns} FROM writes w"
                " JOIN functions f ON w.function_id=f.id JOIN files fi ON f.file_id=fi.id"
                f" WHERE w.member=?{self._not_hidden('f.file_id')}", (member,))
            for row in rows:
                found.append((self._ref(row[:14], ()), row_write(member, row[14:])))
        return found

    def _memory_ref(self, path: str, fn: FunctionSummary) -> FunctionRef:
        for ref, summary in self.memory.functions.get(fn.name, []):
            if ref.file == path and summary is fn:
                return ref
        raise KeyError(fn.name)

    # ------------------------------------------------------------ lock order the code establishes

    def order_edges(self) -> dict[tuple[str, str], tuple[str, str, int, str]]:
        """(held, taken) -> one place that takes ``taken`` with ``held`` held on every path:
        (file, function, line, text). The files in memory count as they are in memory."""

        def make() -> dict[tuple[str, str], tuple[str, str, int, str]]:
            found: dict[tuple[str, str], tuple[str, str, int, str]] = {}
            rows: list[tuple[str, Codes, int, str, str, str]] = []
            for path, summary in self.memory.files.items():
                for fn in summary.functions:
                    if fn.reliable:
                        rows.extend((t.lock, t.held, t.line, t.text, fn.name, path)
                                    for t in fn.takes if _orders(t.blocking, t.nested, t.shared))
            if self.store is not None:
                rows.extend(row for row in _indexed_orders(self.store)
                            if row[5] not in self.memory.files)
            for taken, held, line, text, name, path in rows:
                for cls, code in held:
                    if orders_before(cls, code, taken):
                        found.setdefault((cls, taken), (path, name, line, text))
            return found

        return self._memo("order-edges", "", make)  # type: ignore[return-value]

    def indexed_edges(self, path: str, function: str) -> set[tuple[str, str]]:
        """The (held, taken) pairs the index holds for one function of a file (its indexed state)."""
        if self.store is None:
            return set()
        found: set[tuple[str, str]] = set()
        for taken, held in self.store.query(
                "SELECT t.lock, t.held FROM takes t JOIN functions f ON t.function_id=f.id"
                " JOIN files fi ON f.file_id=fi.id WHERE fi.path=? AND f.name=?"
                " AND t.blocking=1 AND t.nested=0 AND t.shared=0", (path, function)):
            found.update((cls, str(taken)) for cls, code in decode_codes(str(held))
                         if code == HELD)
        return found

    # ------------------------------------------------------------ contracts

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(self)
        return self._resolver

    def _memory_contracts(self) -> list[Contract]:
        """The contracts of the files in memory, resolved once per view."""
        if self._resolved is None:
            self._resolved = [self.resolver.resolve(contract)
                              for summary in self.memory.files.values()
                              for contract in summary.contracts]
        return self._resolved

    def _memory_contracts_of(self, subject: str) -> list[Contract]:
        if self._resolved_by_subject is None:
            self._resolved_by_subject = {}
            for contract in self._memory_contracts():
                self._resolved_by_subject.setdefault(contract.subject, []).append(contract)
        return self._resolved_by_subject.get(subject, [])

    def contracts_of_file(self, path: str) -> list[Contract]:
        """The resolved contracts of one of the files laid over the index."""
        return [c for c in self._memory_contracts() if c.file == path]

    def contracts(self, subject: str | None = None,
                  kinds: tuple[ContractKind, ...] = ()) -> list[Contract]:
        """Resolved contracts, of one subject (a function name, ``struct.member``) or all.

        All the tree's contracts of some kinds (``subject`` None: the lock orders
        every judged file needs) are read with those kinds only."""
        wanted = tuple(k.value for k in kinds) if subject is None else ()

        def make() -> list[Contract]:
            found = list(self._memory_contracts() if subject is None
                         else self._memory_contracts_of(subject))
            if self.store is not None:
                where = "WHERE 1=1"
                args: tuple[object, ...] = ()
                if subject is not None:
                    where += " AND c.subject=?"
                    args = (subject,)
                if wanted:
                    where += f" AND c.kind IN ({','.join('?' * len(wanted))})"
                    args = (*args, *wanted)
                rows = self.store.query(
                    "SELECT c.kind, c.origin, c.subject, fi.path, c.line, c.text, c.lock_text,"
                    " c.resolved_lock, c.resolved_arg, c.context, c.inner_text, c.resolved_inner,"
                    " c.reads, c.conditional, c.reason, c.function_line FROM contracts c"
                    f" JOIN files fi ON c.file_id=fi.id {where}{self._not_hidden('c.file_id')}",
                    args)
                found.extend(row_contract(row) for row in rows)
            return found
        key = subject if subject is not None else "\0" + ",".join(wanted)
        everything: list[Contract] = self._memo("contracts", key, make)  # type: ignore[assignment]
        if kinds:
            return [c for c in everything if c.kind in kinds]
        return everything

    # ------------------------------------------------------------ TreeFacts (resolve.py)

    def members(self, tag: str) -> Mapping[str, str] | None:
        def make() -> dict[str, str] | None:
            definitions: list[tuple[tuple[str, str], ...]] = []
            for summary in self.memory.files.values():
                definitions.extend(s.members for s in summary.structs if s.tag == tag)
            if self.store is not None:
                for (members,) in self.store.query(
                        f"SELECT members FROM structs WHERE tag=?{self._not_hidden('file_id')}",
                        (tag,)):
                    definitions.append(tuple((n, t) for n, t in json.loads(members)))
            if not definitions:
                return None
            # Struct tags repeat across drivers: keep the members every definition agrees on.
            merged: dict[str, str] = {}
            conflicts: set[str] = set()
            for members in definitions:
                for name, kind in members:
                    if name in merged and merged[name] != kind:
                        conflicts.add(name)
                    merged.setdefault(name, kind)
            return {n: t for n, t in merged.items() if n not in conflicts}
        return self._memo("members", tag, make)  # type: ignore[return-value]

    def lock_owners(self, member: str) -> tuple[str, ...]:
        def make() -> tuple[str, ...]:
            table = lock_names()
            tags = {s.tag for summary in self.memory.files.values() for s in summary.structs
                    if any(n == member and table.lock_type(t.rstrip(" *")) is not None
                           for n, t in s.members)}
            if self.store is not None:
                tags |= {tag for (tag,) in self.store.query(
                    f"SELECT DISTINCT tag FROM lock_members WHERE name=?"
                    f"{self._not_hidden('file_id')}", (member,))}
            return tuple(sorted(tags))
        return self._memo("owners", member, make)  # type: ignore[return-value]

    def global_lock(self, name: str, file: str) -> bool:
        for summary in self.memory.files.values():
            for var in summary.lock_vars:
                if var.name == name and (not var.static or summary.path == file):
                    return True
        if self.store is None:
            return False
        rows = self.store.query(
            "SELECT v.static, fi.path FROM lock_vars v JOIN files fi ON v.file_id=fi.id"
            f" WHERE v.name=?{self._not_hidden('v.file_id')}", (name,))
        return any(not static or path == file for static, path in rows)

    def params(self, function: str, file: str) -> tuple[Param, ...] | None:
        refs = self.functions(function)
        own = [r for r in refs if r.file == file]
        chosen = own or [r for r in refs if r.visible_everywhere] or refs
        shapes = {r.params for r in chosen}
        if len(shapes) != 1:
            names = {tuple(n for n, _ in s) for s in shapes}
            if len(names) != 1:
                return None
        return tuple(Param(n, t) for n, t in chosen[0].params) if chosen else None

    def returns(self, function: str) -> str | None:
        kinds = {r.returns for r in self.functions(function) if r.returns}
        return kinds.pop() if len(kinds) == 1 else None

    def name_type(self, var: str) -> str | None:
        def make() -> str:
            counts: Counter[str] = Counter()
            for refs in self.memory.functions.values():
                for ref, _ in refs:
                    counts.update(struct_name(t) or "" for n, t in ref.params if n == var)
            if self.store is not None:
                for tag, count in self.store.query(
                        "SELECT tag, count(*) FROM params WHERE name=? GROUP BY tag", (var,)):
                    counts[tag] += count
            total = sum(counts.values())
            if not total:
                return ""
            tag, count = counts.most_common(1)[0]
            if tag and count >= _NAME_TYPE_MIN and count >= _NAME_TYPE_SHARE * total:
                return tag
            return ""
        return self._memo("name_type", var, make) or None  # type: ignore[return-value]

    def macro_path(self, name: str) -> str | None:
        paths = {p for summary in self.memory.files.values() for n, p in summary.macro_paths
                 if n == name}
        if self.store is not None:
            paths |= {p for (p,) in self.store.query(
                f"SELECT path FROM macros WHERE name=?{self._not_hidden('file_id')}", (name,))}
        return paths.pop() if len(paths) == 1 else None


def _orders(blocking: bool, nested: bool, shared: bool) -> bool:
    """Whether an acquisition orders locks as lockdep would: it waits, for the lock itself."""
    return blocking and not nested and not shared


def orders_before(held: str, code: str, taken: str) -> bool:
    """Whether ``held``, in state ``code`` where ``taken`` is waited for, is an edge of the order
    graph: held on every path, another class, both of them named locks."""
    return code == HELD and held != taken and ordered_class(held) and ordered_class(taken)


def ordered_class(cls: str) -> bool:
    """A named lock class: not a context, a page lock or a lock of an unknown object."""
    return bool(cls) and not cls.startswith(("@", "?", "~")) and cls != "page"


_ORDERS: dict[tuple[str, int, int], list[tuple[str, Codes, int, str, str, str]]] = {}


def _indexed_orders(store: IndexStore) -> list[tuple[str, Codes, int, str, str, str]]:
    """Every ordering acquisition of the index (read once per process and database state):
    the class taken, the held codes, line, text, function, file."""
    try:
        info = os.stat(store.path)
        key = (str(store.path), info.st_mtime_ns, info.st_size)
    except OSError:
        key = (str(store.path), 0, 0)
    found = _ORDERS.get(key)
    if found is None:
        found = [(str(taken), decode_codes(str(held)), int(line), str(text), str(name), str(path))
                 for taken, held, line, text, name, path in store.query(
            "SELECT t.lock, t.held, t.line, t.text, f.name, fi.path FROM takes t"
            " JOIN functions f ON t.function_id=f.id JOIN files fi ON f.file_id=fi.id"
            " WHERE t.blocking=1 AND t.nested=0 AND t.shared=0 AND f.reliable=1"
            " AND t.held LIKE '%=H%'")]
        _ORDERS.clear()
        _ORDERS[key] = found
    return found


def _directory(path: str) -> str:
    return path.rpartition("/")[0] + "/"


def reaches(ref: FunctionRef, caller_file: str) -> bool:
    """Whether a definition of another file can be the one a call in ``caller_file`` runs.

    A header's functions reach the files that can include it: every file for
    include/ and arch/*/include/, otherwise the files of its own directory and
    below (drivers/.../mt7601u/mt7601u.h defines an mt76_wr() that the mt76
    drivers, which call mt76.h's macro of that name, never see). A driver's or
    a filesystem's function that is not exported reaches only its own module:
    the files of its directory, below it or above it.
    """
    if _host_code(caller_file) and not ref.file.startswith("arch/um/"):
        # User-mode Linux's host side calls the host's libc (its epoll_ctl() and
        # socketpair() are not the kernel's system calls of those names) and, back
        # across the line, only UML's own kernel functions (sigio_lock()).
        return False
    here, there = _directory(caller_file), _directory(ref.file)
    near = here.startswith(there) or there.startswith(here)
    if ref.header:
        return ref.file.startswith("include/") or "/include/" in ref.file or near
    if ref.exported or not ref.file.startswith(_MODULE_ROOTS) or ref.file.count("/") < 2:
        return True
    return near


# Trees whose code is built as modules: a function they do not export is their own.
_MODULE_ROOTS = ("drivers/", "sound/", "fs/")
# User-mode Linux's code built against the host's C library (arch/um/Makefile's
# USER_OBJS: os-Linux/ and the *_user.c files).
_HOST_DIRECTORIES = ("arch/um/os-Linux/",)
_HOST_SUFFIX = "_user.c"


def _host_code(path: str) -> bool:
    return path.startswith(_HOST_DIRECTORIES) or (
        path.startswith("arch/um/") and path.endswith(_HOST_SUFFIX))

"""``index``: build or update a tree's index, in rounds, on an executor.

A file's summary depends on its own text and on the lock wrappers of other
files it calls (``inode_lock()`` in a header takes ``inode.i_rwsem``). A
cold build summarises the headers first, then the .c files with the
headers' wrappers; then, round after round, every file whose wrappers
changed since it was summarised is summarised again, until nothing changes
(or MAX_ROUNDS). An update summarises only new and changed files, then
follows the same rounds. Contracts are resolved against the tree last.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from patchaudit.cfront.cache import HOST_CACHE
from patchaudit.cfront import MAX_FILE_SIZE
from patchaudit.engine.executors import Executor, LocalExecutor, tree_sample
from patchaudit.engine.listing import list_c_files
from patchaudit.index.build import (
    Outcome,
    Round,
    Wrapper,
    resolve_contracts,
    store_wrappers,
    summaries_version,
    summarise_chunk,
    wrapper_table,
)
from patchaudit.index.store import IndexStore
from patchaudit.model import FileIssue
from patchaudit.tree.base import BaseTree

MAX_ROUNDS = 4
CHUNK_FILES = 48
CHUNK_BYTES = 1 << 21
_BATCH = 500  # names per query when looking for the callers of changed wrappers

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IndexReport:
    database: Path
    files: int  # .c/.h files in the index after the update
    summarised: int  # file summaries computed (a file summarised in two rounds counts twice)
    removed: int
    rounds: int
    skipped: tuple[FileIssue, ...]
    contracts: int
    resolved: int
    seconds: float


def _chunks(paths: Sequence[str], sizes: dict[str, int]) -> Iterator[tuple[str, ...]]:
    chunk: list[str] = []
    size = 0
    for path in paths:
        chunk.append(path)
        size += sizes.get(path, 0)
        if len(chunk) >= CHUNK_FILES or size >= CHUNK_BYTES:
            yield tuple(chunk)
            chunk, size = [], 0
    if chunk:
        yield tuple(chunk)


class _Updater:
    def __init__(self, base: BaseTree, store: IndexStore, executor: Executor, cache: str | None,
                 progress: Progress | None) -> None:
        self.root = str(base.root)
        self.store = store
        self.executor = executor
        self.cache = cache
        self.progress = progress
        self.sizes: dict[str, int] = {}
        self.stamps: dict[str, tuple[int, int]] = {}
        self.summarised = 0
        self.done = 0
        self.total = 0
        self.skipped: dict[str, str] = {}
        self.seen: dict[str, int] = {}  # path -> which wrapper table its summary saw
        self.tables: list[dict[str, Wrapper]] = []
        # What resolution must look at again: everything once a file's structs,
        # lock variables or member macros changed; otherwise the contracts of
        # the files summarised and those about the functions they define.
        self.resolve_all = False
        self.resolve_files: set[str] = set()
        self.subjects: set[str] = set()

    def replacing(self, path: str) -> tuple[object, ...] | None:
        """Note what resolution needs before ``path``'s rows change; its tree facts, or None."""
        if self.resolve_all:
            return None
        self.resolve_files.add(path)
        self.subjects |= self.store.function_names(path)
        return self.store.tree_facts(path)

    def replaced(self, path: str, before: tuple[object, ...] | None) -> None:
        if before is None:
            return
        self.subjects |= self.store.function_names(path)
        if self.store.tree_facts(path) != before:
            self.resolve_all = True

    def run(self, paths: Sequence[str], wrappers: dict[str, Wrapper]) -> None:
        """Summarise ``paths`` with ``wrappers`` and store the summaries."""
        if not paths:
            return
        self.tables.append(wrappers)
        table = len(self.tables) - 1
        self.total += len(paths)
        shared = Round(self.root, wrappers, self.cache)

        def failed(chunk: tuple[str, ...], reason: str) -> list[Outcome]:
            # On a cluster, a chunk whose workers kept dying: its files one by
            # one, so that only the culprit is skipped.
            if len(chunk) == 1:
                return [Outcome(chunk[0], (0, 0), None, f"not summarised: {reason}")]
            return [outcome for part in self.executor.run_shared(
                summarise_chunk, shared, ((path,) for path in chunk), failed) for outcome in part]

        self.store.begin()
        try:
            for outcomes in self.executor.run_shared(summarise_chunk, shared,
                                                     _chunks(paths, self.sizes), failed):
                for outcome in outcomes:
                    self.done += 1
                    before = self.replacing(outcome.path)
                    if outcome.summary is None:
                        self.skipped[outcome.path] = outcome.problem
                        self.store.remove(outcome.path)
                    else:
                        self.skipped.pop(outcome.path, None)
                        self.store.put(outcome.summary, outcome.stamp)
                        self.summarised += 1
                    self.replaced(outcome.path, before)
                    self.seen[outcome.path] = table
                if self.progress is not None:
                    self.progress(self.done, self.total)
        finally:
            self.store.commit()

    def affected(self, current: dict[str, Wrapper]) -> list[str]:
        """Files whose summary saw another entry than ``current`` for a wrapper they call."""
        found: set[str] = set()
        by_table: dict[int, list[str]] = {}
        for path, table in self.seen.items():
            by_table.setdefault(table, []).append(path)
        for table, paths in by_table.items():
            seen = self.tables[table]
            delta = sorted(n for n in set(seen) | set(current) if seen.get(n) != current.get(n))
            if not delta:
                continue
            members = set(paths)
            for start in range(0, len(delta), _BATCH):
                batch = delta[start:start + _BATCH]
                rows = self.store.query(
                    "SELECT DISTINCT fi.path FROM calls c JOIN functions f ON c.function_id=f.id"
                    " JOIN files fi ON f.file_id=fi.id WHERE c.callee IN"
                    f" ({','.join('?' * len(batch))})", tuple(batch))
                found.update(path for (path,) in rows if path in members)
        return sorted(found)


def _stat(root: str, paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    found = {}
    for path in paths:
        try:
            info = os.stat(os.path.join(root, path))
        except OSError:
            continue
        found[path] = (info.st_size, info.st_mtime_ns)
    return found


def update_index(base: BaseTree, paths: Sequence[str], database: Path, *, jobs: int = 1,
                 parse_cache: Path | None = None, progress: Progress | None = None,
                 executor: Executor | None = None) -> IndexReport:
    """Build or update the index ``database`` of ``base`` for ``paths`` (the whole tree when empty).

    Summaries are computed on ``executor`` (default: ``jobs`` local
    processes); a remote one must see the tree at the same path (a sample
    is checked first) and parses with its workers' own caches.
    """
    executor = executor if executor is not None else LocalExecutor(jobs)
    cache = None if parse_cache is None else HOST_CACHE if executor.remote else str(parse_cache)
    started = time.monotonic()
    store = IndexStore(database)
    try:
        version = summaries_version()
        if store.meta("summaries") != version:
            store.close()
            database.unlink(missing_ok=True)
            store = IndexStore(database)
            store.set_meta("summaries", version)
        store.set_meta("root", os.path.realpath(base.root))
        listed = list_c_files(base, paths)
        known = store.stamps()
        stamps = _stat(str(base.root), listed)
        if executor.remote:
            executor.check_tree(str(base.root), tree_sample(listed))
        updater = _Updater(base, store, executor, cache, progress)
        updater.sizes = {p: s[0] for p, s in stamps.items()}
        changed = [p for p in listed if p in stamps and (p not in known or known[p][:2] != stamps[p])]
        # A file over the size limit is skipped by its size alone: no worker reads it,
        # and an update with nothing else to do stays an update with nothing to do.
        limit = MAX_FILE_SIZE
        oversize = {p for p in changed if stamps[p][0] > limit}
        for path in sorted(oversize):
            updater.skipped[path] = f"larger than {limit} bytes"
        changed = [p for p in changed if p not in oversize]
        gone = [p for p in known if p not in stamps and (not paths or p in set(listed)
                                                         or _under(p, paths))]
        if known and not changed and not gone:
            if store.meta("wrappers") is None:
                store.begin()
                store_wrappers(store, wrapper_table(store))
                store.commit()
            return _report(store, updater, 0, 1, started)
        updater.resolve_all = not known
        store.begin()
        for path in gone:
            facts = updater.replacing(path)
            store.remove(path)
            updater.replaced(path, facts)
        store.commit()
        before = wrapper_table(store) if known else {}
        # Everything else saw the table the last update ended with.
        for path in known:
            updater.seen[path] = 0
        updater.tables.append(before)
        if not known:
            headers = [p for p in changed if p.endswith(".h")]
            updater.run(headers, {})
            updater.run([p for p in changed if not p.endswith(".h")], wrapper_table(store))
        else:
            updater.run(changed, before)
        rounds = 1
        while rounds < MAX_ROUNDS:
            current = wrapper_table(store)
            again = updater.affected(current)
            if not again:
                break
            updater.run(again, current)
            rounds += 1
        if changed or gone or rounds > 1:
            store.begin()
            store_wrappers(store, wrapper_table(store))
            if updater.resolve_all:
                resolve_contracts(store)
            else:
                ids = [i for i in (store.file_id(p) for p in sorted(updater.resolve_files))
                       if i is not None]
                resolve_contracts(store, ids, updater.subjects)
            store.commit()
        return _report(store, updater, len(gone), rounds, started)
    finally:
        store.close()


def _report(store: IndexStore, updater: _Updater, removed: int, rounds: int,
            started: float) -> IndexReport:
    files = store.query("SELECT count(*) FROM files")[0][0]
    contracts = store.query("SELECT count(*) FROM contracts")[0][0]
    resolved_count = store.query(
        "SELECT count(*) FROM contracts WHERE resolved_lock != '' OR kind='context'")[0][0]
    return IndexReport(
        database=store.path,
        files=int(files),
        summarised=updater.summarised,
        removed=removed,
        rounds=rounds,
        skipped=tuple(FileIssue(p, m) for p, m in sorted(updater.skipped.items())),
        contracts=int(contracts),
        resolved=int(resolved_count),
        seconds=time.monotonic() - started,
    )


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

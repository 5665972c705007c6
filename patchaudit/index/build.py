"""Building blocks of an index update: summarising a chunk of files, the wrapper table, resolution.

The engine (engine/indexing.py) decides which files to summarise in which
round and where the work runs; these functions do the work.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from patchaudit.analyses.flow import Summary
from patchaudit.analyses.tables import tables
from patchaudit.cfront import MAX_FILE_SIZE, parse_c
from patchaudit.cfront.cache import ParseCache, host_cache_dir
from patchaudit.contracts.model import Contract
from patchaudit.contracts.phrases import lock_names
from patchaudit.errors import InputError
from patchaudit.index.store import IndexStore, decode_effect, encode_effect, row_contract
from patchaudit.index.summarise import SUMMARY_VERSION, effect_summary, summarise
from patchaudit.index.summary import Effect, FileSummary
from patchaudit.index.view import TreeView

# One wrapper a file may call: its parameters and what it does to the caller's locks.
Wrapper = tuple[tuple[str, ...], Effect]


@dataclass(frozen=True)
class Unit:
    """A chunk of files to summarise, with the wrappers of other files they may call."""

    root: str
    paths: tuple[str, ...]
    wrappers: dict[str, Wrapper]
    parse_cache: str | None
    max_file_size: int = MAX_FILE_SIZE


@dataclass(frozen=True)
class Outcome:
    path: str
    stamp: tuple[int, int]
    summary: FileSummary | None
    problem: str = ""  # why the file could not be summarised (it is listed as skipped)


def _read(root: str, path: str, limit: int) -> tuple[bytes, tuple[int, int]]:
    full = os.path.join(root, path)
    try:
        # The listing only names symlinks that resolve to regular files inside the tree.
        info = os.stat(full)
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot be read") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "not a regular file")
    if info.st_size > limit:
        raise InputError(path, f"larger than {limit} bytes")
    try:
        with open(full, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot be read") from None
    return data, (info.st_size, info.st_mtime_ns)


def summarise_unit(unit: Unit) -> list[Outcome]:
    """Summarise every file of a chunk; a file that fails is an outcome with its problem."""
    directory = host_cache_dir(unit.parse_cache) if unit.parse_cache else None
    cache = ParseCache(directory) if directory is not None else None
    wrappers = {name: effect_summary(params, effect)
                for name, (params, effect) in unit.wrappers.items()}
    found: list[Outcome] = []
    for path in unit.paths:
        try:
            data, stamp = _read(unit.root, path, unit.max_file_size)
        except InputError as exc:
            found.append(Outcome(path, (0, 0), None, exc.problem))
            continue
        try:
            ir = parse_c(data, path, cache=cache)
            used = _wanted(wrappers, ir.identifiers)
            found.append(Outcome(path, stamp, summarise(path, data, ir, used)))
        except InputError as exc:
            found.append(Outcome(path, stamp, None, exc.problem))
        except RecursionError:
            found.append(Outcome(path, stamp, None, "nesting too deep to analyse"))
        except Exception as exc:  # a bug on one file: it is skipped, the index goes on
            found.append(Outcome(path, stamp, None,
                                 f"internal error: {type(exc).__name__}: {exc} (a bug: please "
                                 "report it)"))
    return found


@dataclass(frozen=True)
class Round:
    """What every chunk of one round shares, sent once to each worker: the wrapper table is large
    (230 KB for mm/ and include/linux/ alone), a chunk's paths are not."""

    root: str
    wrappers: dict[str, Wrapper]
    parse_cache: str | None
    max_file_size: int = MAX_FILE_SIZE


def summarise_chunk(shared: Round, paths: tuple[str, ...]) -> list[Outcome]:
    """Executor entry point: summarise_unit() for one chunk of a round."""
    return summarise_unit(Unit(shared.root, paths, shared.wrappers, shared.parse_cache,
                               shared.max_file_size))


def _wanted(wrappers: dict[str, Summary], identifiers: Iterable[object]) -> dict[str, Summary]:
    if not wrappers:
        return {}
    names = {getattr(i, "name") for i in identifiers}
    return {name: wrappers[name] for name in names & wrappers.keys()}


@lru_cache(maxsize=1)
def summaries_version() -> str:
    """What a stored summary was computed by: the front end, and the code and data of the stages
    that summarise (analyses/, contracts/, index/summarise.py): an index built by other code is
    rebuilt, never read (engine/indexing.py), and its summaries stand for a file's own only
    when they are this code's (interproc/session.py)."""
    from patchaudit.cfront import _frontend_fingerprint

    package = Path(__file__).resolve().parents[1]
    decisive = [package / "index" / "summarise.py", package / "index" / "summary.py"]
    for stage in ("analyses", "contracts"):
        decisive += (p for p in (package / stage).rglob("*")
                     if p.is_file() and p.suffix in (".py", ".toml") and "__pycache__" not in p.parts)
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(decisive):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{SUMMARY_VERSION}:{_frontend_fingerprint().hex()}:{digest.hexdigest()}"


def wrapper_table(store: IndexStore) -> dict[str, Wrapper]:
    """Functions other files can call whose calls change the caller's locks.

    The lock primitives are the tables' (the tree's own mutex_lock() is not a
    wrapper of itself), and userspace code (tools/, samples/) is no callee of
    the kernel's. A name defined more than once counts only when every
    definition does the same (config variants of one helper); otherwise its
    effect is unsure for every class any of them touches, so callers never
    rely on it.
    """
    primitives = tables().primitives.keys() | {tables().guards.guard_macro}
    kernel = lock_names()
    params: dict[int, list[str]] = {}
    for function_id, name in store.iterate(
            "SELECT p.function_id, p.name FROM params p JOIN functions f ON p.function_id=f.id"
            " WHERE f.effect != '' AND (f.static=0 OR f.header=1) ORDER BY p.function_id, p.idx"):
        params.setdefault(function_id, []).append(name)
    effects: dict[str, list[tuple[tuple[str, ...], Effect]]] = {}
    for function_id, name, effect, path in store.iterate(
            "SELECT f.id, f.name, f.effect, fi.path FROM functions f JOIN files fi"
            " ON f.file_id=fi.id WHERE f.effect != '' AND (f.static=0 OR f.header=1)"):
        if name in primitives or not kernel.mined(path):
            continue
        effects.setdefault(name, []).append((tuple(params.get(function_id, ())),
                                             decode_effect(effect)))
    table: dict[str, Wrapper] = {}
    for name, found in sorted(effects.items()):
        if len({e for _, e in found}) == 1:
            table[name] = found[0]
            continue
        touched = sorted({(str(t[0]), str(t[1])) for _, e in found for t in
                          (*e.acquires, *e.releases, *e.unsure, *e.cond)})
        table[name] = (found[0][0], Effect(unsure=tuple(touched)))
    return table


def store_wrappers(store: IndexStore, table: dict[str, Wrapper]) -> None:
    """Keep the wrapper table in the index: every check and scan process reads it at start."""
    store.set_meta("wrappers", json.dumps(
        {name: [list(params), encode_effect(effect)] for name, (params, effect) in table.items()},
        separators=(",", ":"), sort_keys=True))


def stored_wrappers(store: IndexStore) -> dict[str, Wrapper]:
    """The wrapper table the last index update stored (computed when it has none)."""
    text = store.meta("wrappers")
    if text is None:
        return wrapper_table(store)
    return {name: (tuple(params), decode_effect(effect))
            for name, (params, effect) in json.loads(text).items()}


def resolve_contracts(store: IndexStore, files: Iterable[int] | None = None,
                      subjects: Iterable[str] = ()) -> int:
    """Resolve contracts against the tree; how many.

    Every contract when ``files`` is None; otherwise those stated in
    ``files`` and those about a function named in ``subjects`` (a header's
    kernel-doc is resolved through the parameters of the definition).
    """
    view = TreeView(store)
    clauses: list[str] = []
    args: list[object] = []
    if files is not None:
        chosen = tuple(files)
        names = tuple(sorted(set(subjects)))
        if not chosen and not names:
            return 0
        if chosen:
            clauses.append(f"c.file_id IN ({','.join('?' * len(chosen))})")
            args.extend(chosen)
        if names:
            clauses.append(f"c.subject IN ({','.join('?' * len(names))})")
            args.extend(names)
    where = f" WHERE {' OR '.join(clauses)}" if clauses else ""
    rows = store.query(
        "SELECT c.id, c.kind, c.origin, c.subject, fi.path, c.line, c.text, c.lock_text, c.lock,"
        " c.arg, c.context, c.inner_text, c.inner, c.reads, c.conditional, c.unresolved,"
        " c.function_line FROM contracts c JOIN files fi ON c.file_id=fi.id" + where, tuple(args))
    updates = []
    for row in rows:
        contract: Contract = row_contract(row[1:])
        if contract.unresolved:
            resolved = contract
        else:
            resolved = view.resolver.resolve(contract)
        updates.append((resolved.lock, resolved.arg, resolved.inner, resolved.unresolved, row[0]))
    store.db.executemany("UPDATE contracts SET resolved_lock=?, resolved_arg=?, resolved_inner=?,"
                         " reason=? WHERE id=?", updates)
    return len(updates)

"""Per-file analysis results cached on disk, keyed by content, rule pack and what the analysis read."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from patchaudit import __version__
from patchaudit.codeprint import code_fingerprint
from patchaudit.cfront.lower_ctx import paused_gc
from patchaudit import model
from patchaudit.entries import data_classes, inflate, load, read_entry, write_entry
from patchaudit.model import FileIssue, Finding
from patchaudit.ruleset import Rule
from patchaudit.ruleset.anchor import RuleStatus
from patchaudit.textbytes import to_bytes

# Bump when FileResult or the meaning of an entry changes.
RESULTS_VERSION = "2"
# A pack's entry (entries.py): MAGIC, blake2b-16 of the payload, the payload.
# The checksum turns a torn or damaged pack into a miss.
_MAGIC = b"PARP\x02\x00\x00\x00"
ABSENT = "absent"


@dataclass(frozen=True)
class Dependency:
    """A file an analysis read besides the analysed one, and what it found there."""

    path: str
    state: str  # content digest (hex), ABSENT, or "error: <problem>"


@dataclass(frozen=True)
class FileResult:
    findings: tuple[Finding, ...]
    issues: tuple[FileIssue, ...]
    deps: tuple[Dependency, ...]
    # The contract judgements made on the file, counted by outcome and reason
    # (interproc/session.py tally): what the contract kinds did not report, and why.
    judged: tuple[tuple[str, int], ...] = ()


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _rule_bytes(rule: Rule) -> bytes:
    """The rule file as written (comments and all), or nothing for a rule built in memory."""
    try:
        return Path(rule.path).read_bytes()
    except OSError:
        return b""


def pack_key(rules: Iterable[Rule], statuses: Mapping[str, RuleStatus], settings: str) -> str:
    """Everything besides the file that decides its results: code, rules, where they apply, limits."""
    h = hashlib.blake2b(digest_size=16)
    for part in (RESULTS_VERSION, __version__, f"{sys.version_info[:2]}", settings):
        h.update(part.encode())
        h.update(b"\0")
    h.update(code_fingerprint())
    for rule in rules:
        # repr covers the parsed rule (params included); the bytes cover the file itself.
        h.update(repr(rule).encode())
        h.update(_rule_bytes(rule))
        h.update(repr(statuses[rule.id]).encode())
    return h.hexdigest()


def result_key(pack: str, path: str, digest: str) -> str:
    # The path is part of the key: findings name it, and some kinds judge by
    # it (excluded directories, a header's implementation found by name).
    # A path that is not UTF-8 holds surrogate escapes: its own bytes go into the key.
    return hashlib.blake2b(to_bytes(f"{pack}\0{path}\0{digest}"), digest_size=20).hexdigest()


class ResultCache:
    """Results in packs: each pack holds the results of the files one worker analysed in a chunk.

    A whole-tree scan analyses 17,000 files; an entry file each cost an open,
    a write and a rename apiece when cold, and a warm scan read back one file
    per file with findings. A pack is one checked entry (entries.py), a
    pickled dict from key to the zlib'd pickle of a FileResult (empty bytes
    for a result with nothing in it). A process loads every pack on its first
    lookup; past _PACKS packs they are merged, newest first, up to _KEEP_BYTES
    (older results are dropped: the cache's only eviction). Damage makes a
    pack a miss, and an unwritable directory makes writing a no-op.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._known: dict[str, bytes] | None = None  # loaded on the first lookup
        self._unwritten: dict[str, bytes] = {}

    def get(self, key: str) -> FileResult | None:
        payload = self._unwritten.get(key)
        if payload is None:
            payload = self._packed().get(key)
        if payload is None:
            return None
        if not payload:
            return EMPTY
        data = inflate(payload)
        if data is None:
            return None
        try:
            with paused_gc():  # findings form no reference cycles
                value = load(data, _allowed())
        except Exception:  # noqa: BLE001 - any failure to load a checked entry is a miss
            return None
        return value if isinstance(value, FileResult) else None

    def put(self, key: str, result: FileResult) -> None:
        """Keep ``result`` for the next flush (or write a pack once _BATCH are waiting)."""
        empty = not (result.findings or result.issues or result.deps or result.judged)
        self._unwritten[key] = b"" if empty else zlib.compress(pickle.dumps(result, protocol=5), 1)
        if len(self._unwritten) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the results kept since the last flush as one pack."""
        if self._unwritten:
            self._write(self._unwritten)
            if self._known is not None:
                self._known.update(self._unwritten)
            self._unwritten = {}

    def _write(self, entries: dict[str, bytes]) -> Path:
        payload = pickle.dumps(entries, protocol=5)
        path = self.directory / hashlib.blake2b(payload, digest_size=16).hexdigest()
        write_entry(path, _MAGIC, payload)
        return path

    def _packed(self) -> dict[str, bytes]:
        if self._known is None:
            self._known = {}
            packs = _packs(self.directory)
            kept: list[tuple[Path, dict[str, bytes]]] = []
            for path in packs:  # newest first
                entries = _read_pack(path)
                if entries is not None:
                    kept.append((path, entries))
            for _, entries in reversed(kept):  # a newer result of a key wins
                self._known.update(entries)
            if len(packs) > _PACKS:
                self._merge(packs, kept)
        return self._known

    def _merge(self, packs: list[Path], kept: list[tuple[Path, dict[str, bytes]]]) -> None:
        merged: dict[str, bytes] = {}
        size = 0
        for _, entries in kept:
            for key, payload in entries.items():
                cost = len(key) + len(payload)
                if key not in merged and size + cost <= _KEEP_BYTES:
                    merged[key] = payload
                    size += cost
        written = self._write(merged)
        for path in packs:
            if path != written:
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    pass  # a read-only cache is used as it is


def _packs(directory: Path) -> list[Path]:
    """The pack files of ``directory``, newest first (temporary files left out)."""
    found: list[tuple[int, Path]] = []
    try:
        with os.scandir(directory) as listing:
            for item in listing:
                if not item.name.startswith(".") and item.is_file(follow_symlinks=False):
                    found.append((item.stat().st_mtime_ns, Path(item.path)))
    except OSError:
        return []
    found.sort(key=lambda pair: (-pair[0], pair[1]))
    return [path for _, path in found]


def _read_pack(path: Path) -> dict[str, bytes] | None:
    payload = read_entry(path, _MAGIC)
    if payload is None:
        return None
    try:
        value = load(payload)  # a dict of str to bytes: no class needed
    except Exception:  # noqa: BLE001 - a damaged pack is a miss, never an error
        return None
    if not isinstance(value, dict):
        return None
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, bytes)}


@lru_cache(maxsize=1)
def _allowed() -> Mapping[tuple[str, str], type]:
    """What a result may be built of (entries.load): findings and this module's records."""
    return data_classes(model, sys.modules[__name__])


# The result of a file nothing was found in (shared: pickled once per chunk).
EMPTY = FileResult((), (), ())
# Results per pack at most: a worker flushes at the end of each chunk anyway.
_BATCH = 4096
_PACKS = 64  # packs past which they are merged into one
# What a merge keeps, newest first: every pack is loaded on a process's first
# lookup, and the results of a whole kernel tree with every pack take 5 MB.
_KEEP_BYTES = 64 << 20

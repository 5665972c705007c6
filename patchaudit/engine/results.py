"""Per-file analysis results cached on disk, keyed by content, rule pack and what the analysis read."""

from __future__ import annotations

import hashlib
import pickle
import sys
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from patchaudit import __version__
from patchaudit.cfront.lower_ctx import paused_gc
from patchaudit.entries import read_entry, write_entry
from patchaudit.model import FileIssue, Finding
from patchaudit.ruleset import Rule
from patchaudit.ruleset.anchor import RuleStatus

# Bump when FileResult or the meaning of an entry changes.
RESULTS_VERSION = "1"
# Entry layout as in the parse cache: MAGIC, blake2b-16 of the payload, zlib(pickle).
# The checksum turns a torn or damaged entry into a miss.
_MAGIC = b"PARS\x01\x00\x00\x00"
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


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# The parts of patchaudit whose code or data decide a file's findings
# (formatters and the command line do not).
ANALYSIS_CODE = ("analyses", "cfront", "engine", "ruleset", "tree", "model.py", "errors.py")


@lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """Hash of the analysis code and data: an analysis change must not reuse old results.

    Hashing the sources (under 1 MB, a few milliseconds) rather than trusting
    a version number means a forgotten bump cannot serve stale findings.
    """
    package = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(digest_size=16)
    files = sorted(
        p for part in ANALYSIS_CODE for p in [package / part, *(package / part).rglob("*")]
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".toml", ".txt", ".json")
    )  # fmt: skip
    for path in files:
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.digest()


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
    return hashlib.blake2b(f"{pack}\0{path}\0{digest}".encode(), digest_size=20).hexdigest()


class ResultCache:
    """A directory of entries ``ab/abcdef...``; writes are atomic renames, damage is a miss.

    Most analysed files have no findings (12,000 of 17,000 over a kernel tree
    with every pack): their keys are gathered and written a batch at a time
    under ``empty/`` (flush), not one entry each.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._empty: set[str] | None = None  # keys known empty: loaded on the first get
        self._unwritten: set[str] = set()

    def entry_path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def get(self, key: str) -> FileResult | None:
        if key in self._unwritten or key in self._empties():
            return EMPTY
        payload = read_entry(self.entry_path(key), _MAGIC)
        if payload is None:
            return None
        try:
            with paused_gc():  # findings form no reference cycles
                value = pickle.loads(zlib.decompress(payload))
        except Exception:  # noqa: BLE001 - any failure to load a checked entry is a miss
            return None
        return value if isinstance(value, FileResult) else None

    def put(self, key: str, result: FileResult) -> None:
        """Store ``result``; an unwritable directory makes this a no-op (the cache is an optimisation)."""
        if not (result.findings or result.issues or result.deps):
            self._unwritten.add(key)
            if len(self._unwritten) >= _EMPTY_BATCH:
                self.flush()
            return
        payload = zlib.compress(pickle.dumps(result, protocol=5), 1)
        write_entry(self.entry_path(key), _MAGIC, payload)

    def flush(self) -> None:
        """Write the empty results gathered since the last flush, as one entry."""
        if self._unwritten:
            self._write_empty(self._unwritten)
            if self._empty is not None:
                self._empty.update(self._unwritten)
            self._unwritten = set()

    def _write_empty(self, keys: set[str]) -> Path:
        ordered = sorted(keys)
        name = hashlib.blake2b("\0".join(ordered).encode(), digest_size=16).hexdigest()
        path = self.directory / "empty" / name
        write_entry(path, _EMPTY_MAGIC, "\n".join(ordered).encode())
        return path

    def _empties(self) -> set[str]:
        if self._empty is None:
            self._empty = set()
            try:
                batches = [p for p in (self.directory / "empty").iterdir() if not p.name.startswith(".")]
            except OSError:
                batches = []
            for batch in batches:
                payload = read_entry(batch, _EMPTY_MAGIC)
                if payload is not None:
                    self._empty.update(payload.decode("ascii", "replace").split("\n"))
            if len(batches) > _EMPTY_FILES:
                # Every scan adds a few batches: merge them before they cost
                # more to list than to read.
                merged = self._write_empty(self._empty)
                for batch in batches:
                    if batch != merged:
                        try:
                            batch.unlink(missing_ok=True)
                        except OSError:
                            pass  # a read-only cache is used as it is
        return self._empty


# The result of a file nothing was found in (shared: pickled once per chunk).
EMPTY = FileResult((), (), ())
# Keys of empty results per entry: one write stands for this many files.
_EMPTY_BATCH = 4096
_EMPTY_FILES = 64  # batches past which they are merged into one
_EMPTY_MAGIC = b"PAEM\x01\x00\x00\x00"

"""The scan index: what the last scan of a tree saw per file, by stat stamp, so unchanged files are not read.

A warm re-scan of Linux must not read 1.3 GB again. Like git's index, an
entry is trusted while the file's stamp (size, inode, mtime and ctime in
nanoseconds) is unchanged; ctime cannot be set from user space, so any write
changes it. A stamp taken less than RACY_NS after the file's last change is
not recorded: a second write within the same clock tick could keep it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from patchaudit.entries import inflate, load, read_entry, write_entry
from patchaudit.textbytes import to_bytes

RACY_NS = 2_000_000_000
_MAGIC = b"PAIX\x01\x00\x00\x00"


# Plain tuples, not NamedTuples: unpickling 60,000 entries of NamedTuples
# costs half a second of Python-level __new__ calls; plain tuples load in C.
Stamp = tuple[int, int, int, int]  # size, inode, mtime_ns, ctime_ns
DepStamp = tuple[str, "Stamp | None"]  # a file an analysis read, and its stamp; None: it did not exist
# stamp, selected (the rules ran on it), content digest ("" if not selected),
# has_results (findings, issues or contract judgements are in the result cache), dependencies
IndexEntry = tuple[Stamp, bool, str, bool, tuple[DepStamp, ...]]


def stamp_of(info: os.stat_result) -> Stamp:
    return (info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


def trusted(info: os.stat_result, now_ns: int | None = None) -> Stamp | None:
    """The stamp, or None when the file changed too recently for the stamp to be trusted."""
    now = time.time_ns() if now_ns is None else now_ns
    if now - info.st_ctime_ns < RACY_NS or now - info.st_mtime_ns < RACY_NS:
        return None
    return stamp_of(info)


def stat_stamp(path: str) -> Stamp | None:
    """The trusted stamp of an existing file; None if it is missing, unreadable or too fresh."""
    try:
        return trusted(os.stat(path))
    except OSError:
        return None


@dataclass(frozen=True)
class ScanIndex:
    """One index file per tree and rule pack in ``directory``."""

    directory: Path
    tree: str  # the tree's real path
    pack: str  # the pack key (results.pack_key)

    @property
    def path(self) -> Path:
        name = hashlib.blake2b(to_bytes(f"{self.tree}\0{self.pack}"), digest_size=16).hexdigest()
        return self.directory / name

    def load(self) -> dict[str, IndexEntry]:
        """The entries, or none when the index is missing or damaged (a cold scan)."""
        payload = read_entry(self.path, _MAGIC)
        data = inflate(payload) if payload is not None else None
        if data is None:
            return {}
        try:
            value = load(data)  # tuples, dicts, str, int, bool, None: no class needed
        except Exception:  # noqa: BLE001 - a damaged index is a cold scan, never an error
            return {}
        if not isinstance(value, tuple) or len(value) != 2 or value[0] != (self.tree, self.pack):
            return {}
        entries = value[1]
        return entries if isinstance(entries, dict) else {}

    def save(self, entries: dict[str, IndexEntry]) -> None:
        payload = zlib.compress(pickle.dumps(((self.tree, self.pack), entries), protocol=5), 1)
        write_entry(self.path, _MAGIC, payload)

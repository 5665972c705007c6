"""Checked cache entries on disk: magic, checksum, payload; published by atomic rename.

Every cache of patchaudit (parsed C, per-file results, the scan index, small
notes) stores its entries this way, so a reader sees a whole entry or none,
a torn or bit-flipped entry reads as missing, and an unwritable directory
makes writing a no-op: a cache is an optimisation, never an error.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from pathlib import Path

_CHECKSUM = 16


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_CHECKSUM).digest()


def read_entry(path: Path, magic: bytes) -> bytes | None:
    """The payload stored at ``path`` under ``magic``, or None when missing or damaged."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header = len(magic) + _CHECKSUM
    if len(raw) < header or not raw.startswith(magic):
        return None
    payload = raw[header:]
    if _checksum(payload) != raw[len(magic) : header]:
        return None
    return payload


def write_entry(path: Path, magic: bytes, payload: bytes) -> None:
    """Publish ``payload`` at ``path`` with an atomic rename; errors make it a no-op.

    A scan writes one entry per analysed file (17,000 over a kernel tree):
    directories known to exist are not made again, and the temporary name
    is this process's id and a counter (unique without mkstemp's retries).
    """
    directory = path.parent
    temp = directory / f".tmp-{os.getpid()}-{next(_SERIAL)}"
    try:
        if directory not in _MADE:
            directory.mkdir(parents=True, exist_ok=True)
            _MADE.add(directory)
        try:
            fd = os.open(temp, _CREATE, 0o644)
        except FileNotFoundError:  # the directory was removed since (a cleared cache)
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(temp, _CREATE, 0o644)
    except OSError:
        return
    try:
        try:
            view = memoryview(magic + _checksum(payload) + payload)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_SERIAL = itertools.count()
_MADE: set[Path] = set()  # directories this process made or found

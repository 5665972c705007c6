"""Checked cache entries on disk: magic, checksum, payload; published by atomic rename.

Every cache of patchaudit (parsed C, per-file results, the scan index, small
notes) stores its entries this way, so a reader sees a whole entry or none,
a torn or bit-flipped entry reads as missing, and an unwritable directory
makes writing a no-op: a cache is an optimisation, never an error.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
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
    """Publish ``payload`` at ``path`` with an atomic rename; errors make it a no-op."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(magic + _checksum(payload) + payload)
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass

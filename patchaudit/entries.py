"""Checked cache entries on disk: magic, checksum, payload; published by atomic rename.

Every cache of patchaudit (parsed C, per-file results, the scan index, small
notes) stores its entries this way, so a reader sees a whole entry or none,
a torn or bit-flipped entry reads as missing, and an unwritable directory
makes writing a no-op: a cache is an optimisation, never an error.

A cache directory is not trusted further than that (docs/robustness.md): an
entry is read only if it is a regular file (not a link, FIFO or device) of
at most MAX_ENTRY_BYTES, inflates to at most MAX_INFLATED_BYTES, and is
unpickled by ``load`` with a fixed list of patchaudit's own data classes, so
that whoever can write the cache can make an entry a miss or a wrong value
of those classes, but cannot make patchaudit run code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import enum
from typing import Any
import io
import itertools
import os
import pickle
import stat
import zlib
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from types import ModuleType

_CHECKSUM = 16
# The largest entry written is a result pack (up to 64 MB) or the IR of an
# 8 MiB file (tens of MB): anything much larger is no entry of ours.
MAX_ENTRY_BYTES = 256 << 20
# What a compressed entry may inflate to: zlib can expand a thousandfold.
MAX_INFLATED_BYTES = 1 << 30
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_CHECKSUM).digest()


def _read_regular(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file within MAX_ENTRY_BYTES; None otherwise.

    O_NOFOLLOW: a link (to /dev/zero, to someone else's file) is not read;
    O_NONBLOCK: opening a FIFO does not wait for a writer; fstat then turns
    away anything but a regular file of a sane size.
    """
    try:
        fd = os.open(path, _READ)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        chunks = []
        left = info.st_size + 1  # one byte more: an entry that grows is no published entry
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) == info.st_size else None
    except OSError:
        return None
    finally:
        os.close(fd)


def read_entry(path: Path, magic: bytes) -> bytes | None:
    """The payload stored at ``path`` under ``magic``, or None when missing or damaged."""
    raw = _read_regular(path)
    if raw is None:
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


def inflate(payload: bytes) -> bytes | None:
    """zlib-decompress ``payload``; None when damaged or larger than MAX_INFLATED_BYTES."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(payload, MAX_INFLATED_BYTES)
    except zlib.error:
        return None
    if inflater.unconsumed_tail or not inflater.eof:
        return None
    return data


Allowed = Mapping[tuple[str, str], type]


def data_classes(*modules: ModuleType) -> Allowed:
    """The dataclasses and enums defined in ``modules``: what a cache entry may be built of."""
    return {
        (module.__name__, value.__name__): value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and value.__module__ == module.__name__
        and (dataclasses.is_dataclass(value) or issubclass(value, Enum))
    }


class _Restricted(pickle.Unpickler):
    """An unpickler that can build nothing but the classes it is given and builtin containers.

    A pickle names what it builds by module and name; pickle's default looks
    up any (os.system included). Here only ``allowed`` resolves, so an entry
    can hold plain data (str, bytes, numbers, tuples, lists, dicts, sets) and
    instances of patchaudit's own data classes, nothing that runs code.
    """

    def __init__(self, payload: bytes, allowed: Allowed) -> None:
        super().__init__(io.BytesIO(payload))
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("builtins", "getattr"):
            # Pythons before 3.11.5 pickle an enum member as getattr(EnumClass, "NAME"):
            # allowed for a member of an allowed enum, never as getattr itself.
            return self._enum_member
        found = self._allowed.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")
        return found

    def _enum_member(self, owner: object, name: object) -> enum.Enum:
        if (not isinstance(owner, type) or not issubclass(owner, enum.Enum)
                or owner not in self._allowed.values() or not isinstance(name, str)
                or name not in owner.__members__):
            raise pickle.UnpicklingError(f"getattr({owner!r}, {name!r}) is not allowed")
        return owner.__members__[name]

    def persistent_load(self, pid: object) -> object:
        raise pickle.UnpicklingError("persistent ids are not allowed in a cache entry")


def load(payload: bytes, allowed: Allowed = {}) -> object:  # noqa: B006 - read only
    """Unpickle ``payload`` building only ``allowed`` classes; UnpicklingError (and others
    from damaged data) otherwise: callers treat any exception as a miss."""
    return _Restricted(payload, allowed).load()


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_SERIAL = itertools.count()
_MADE: set[Path] = set()  # directories this process made or found

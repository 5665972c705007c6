"""On-disk parse cache: path-independent FileIR pickles keyed by content digest."""

from __future__ import annotations

import copyreg
import dataclasses
import io
import os
import pickle
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from patchaudit.cfront import ir as ir_module
from patchaudit.cfront.ir import FileIR
from patchaudit.cfront.lower_ctx import paused_gc
from patchaudit.entries import Allowed, data_classes, inflate, load, read_entry, write_entry

# Entry payload: zlib(pickle protocol 5), stored by patchaudit.entries (magic,
# checksum: a torn or bit-flipped entry is a miss, not a plausible but wrong
# IR); the magic changes with the layout.
_MAGIC = b"PAIR\x01\x00\x00\x00"
# zlib level 1 shrinks the pickles about 4x (mm/: 32 MB -> 8 MB) for about 5% of a
# cold parse; higher levels cost more time than they save space.
_LEVEL = 1
# What an entry may be built of: the IR's own classes (entries.load).
_ALLOWED = data_classes(ir_module)


def default_cache_dir() -> Path | None:
    """``$PATCHAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/patchaudit/parse``, else
    ``$HOME/.cache/patchaudit/parse``; None when there is no sound place (no cache).

    As the XDG base directory spec says, a relative ``XDG_CACHE_HOME`` is
    ignored; a ``HOME`` that is empty, relative or not an existing directory
    gives no cache rather than one in ``/.cache`` or in directories root
    would create along a made-up path.
    """
    explicit = os.environ.get("PATCHAUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "patchaudit" / "parse"
    home = os.environ.get("HOME", "")
    if not os.path.isabs(home) or not os.path.isdir(home):
        return None
    return Path(home) / ".cache" / "patchaudit" / "parse"


def untrusted(directory: Path) -> str | None:
    """Why ``directory`` may not be used as a cache, or None if it may (or does not exist yet).

    Entries cannot run code (entries.load), but whoever can write them can
    still change what a cached file is reported to hold: a cache must be
    this user's and writable by nobody else.
    """
    try:
        info = os.stat(directory)
    except OSError:
        return None
    if info.st_uid != os.geteuid():
        return f"owned by uid {info.st_uid}, not by this user"
    if info.st_mode & 0o022:
        return "writable by group or others"
    return None


# The cache directory of a unit of work that runs on another host (a Dask
# worker): that host's own default, since the client's path means nothing there.
HOST_CACHE = "<host default>"


def host_cache_dir(spec: str) -> Path | None:
    """The directory ``spec`` names, HOST_CACHE being this host's default_cache_dir().

    None: this host has no default (no HOME) or one it may not trust
    (untrusted()); its units then run without a cache, as ``--no-cache``.
    """
    if spec != HOST_CACHE:
        return Path(spec)
    directory = default_cache_dir()
    return None if directory is None or untrusted(directory) is not None else directory


# Not in typeshed, but what object.__reduce_ex__ itself returns for protocol 2+.
_NEWOBJ: Callable[..., object] = copyreg.__newobj__  # type: ignore[attr-defined]


def _reducer(cls: type) -> Callable[[object], tuple[object, ...]]:
    def reduce(obj: object) -> tuple[object, ...]:
        return (_NEWOBJ, (cls,), obj.__dict__)

    return reduce


# The same reduction pickle's default makes for these classes (so the stream
# and the unpickling are unchanged), without the generic lookups of
# object.__reduce_ex__: pickling mm/'s IR takes 0.6 s instead of 1.0 s.
_DISPATCH: dict[type, Callable[[object], tuple[object, ...]]] = {
    cls: _reducer(cls)
    for cls in vars(ir_module).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls)
}


def _dumps(value: FileIR) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.dispatch_table = _DISPATCH  # type: ignore[assignment]
    pickler.dump(value)
    return out.getvalue()


class ParseCache:
    """A directory of entries ``ab/abcdef...`` shared safely by concurrent processes.

    Writers publish each entry with an atomic rename, so a reader sees a
    whole entry or none; a damaged entry is a miss (and the caller's next
    ``put`` replaces it). The cache is an optimisation: an unwritable
    directory makes every ``put`` a no-op, never an error.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def entry_path(self, digest: str) -> Path:
        return self.directory / digest[:2] / digest

    def get(self, digest: str, *, path: str = "") -> FileIR | None:
        """The cached IR for ``digest`` with its path set to ``path``, or None on a miss."""
        ir = _unpickled(read_entry(self.entry_path(digest), _MAGIC), _ALLOWED)
        if not isinstance(ir, FileIR) or ir.digest != digest:
            return None
        return replace(ir, path=path)

    def put(self, digest: str, ir: FileIR) -> None:
        """Store ``ir`` (without its path) under ``digest``; concurrent writers of one key are fine."""
        try:
            with paused_gc():  # pickling allocates a reduce tuple per IR object
                pickled = _dumps(replace(ir, path=""))
        except (RecursionError, pickle.PicklingError):
            return  # not cacheable; the caller still has its IR
        write_entry(self.entry_path(digest), _MAGIC, zlib.compress(pickled, _LEVEL))

    # Small derived records keyed by the same content digest (a parse-report
    # summary, ...): reading one is far cheaper than rebuilding a whole IR.

    def note_path(self, namespace: str, digest: str) -> Path:
        return self.directory / "notes" / namespace / digest[:2] / digest

    def get_note(self, namespace: str, digest: str) -> bytes | None:
        """The payload stored by ``put_note``, or None when missing or damaged."""
        return read_entry(self.note_path(namespace, digest), _MAGIC)

    def put_note(self, namespace: str, digest: str, payload: bytes) -> None:
        write_entry(self.note_path(namespace, digest), _MAGIC, payload)

    def get_object_note(self, namespace: str, key: str, allowed: Allowed) -> object | None:
        """A note ``put_object_note`` stored, built of ``allowed`` classes only; None when
        missing, damaged or of anything else."""
        return _unpickled(self.get_note(namespace, key), allowed)

    def put_object_note(self, namespace: str, key: str, value: object) -> None:
        out = io.BytesIO()
        try:
            with paused_gc():
                pickle.Pickler(out, protocol=5).dump(value)
        except (RecursionError, pickle.PicklingError):
            return  # not kept; the caller still has its value
        self.put_note(namespace, key, zlib.compress(out.getvalue(), _LEVEL))


def _unpickled(payload: bytes | None, allowed: Allowed) -> object | None:
    """A checked entry's payload inflated and unpickled (entries.load), or None."""
    if payload is None:
        return None
    data = inflate(payload)
    if data is None:
        return None
    try:
        with paused_gc():
            return load(data, allowed)
    except Exception:  # noqa: BLE001 - any unpickling failure of a checked entry is a miss
        return None

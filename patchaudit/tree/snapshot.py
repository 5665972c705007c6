"""Snapshots: immutable views of the base tree plus an in-memory overlay of changed files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from patchaudit.errors import InputError
from patchaudit.tree.base import DEFAULT_SUFFIXES, BaseTree, NotAFileError
from patchaudit.tree.overlay import EMPTY, Overlay


class Snapshot:
    """The tree as a patch sees it: base files, overridden by an overlay (None = deleted).

    Immutable: ``with_changes`` returns a new snapshot sharing the base and, through a
    persistent overlay (overlay.py), every change it does not make itself. The overlay
    holds only real differences: an entry equal to the base is dropped.
    """

    __slots__ = ("_base", "_overlay")

    def __init__(self, base: BaseTree, overlay: Mapping[str, bytes | None] | None = None) -> None:
        self._base = base
        self._overlay = _updated(base, EMPTY, overlay or {})

    def __repr__(self) -> str:
        return f"Snapshot({self._base!r}, {len(self._overlay)} changed)"

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_overlay"):
            raise AttributeError(f"Snapshot is immutable (cannot set {name!r})")
        object.__setattr__(self, name, value)

    @property
    def base(self) -> BaseTree:
        return self._base

    @property
    def overlay(self) -> Mapping[str, bytes | None]:
        """A read-only view: path -> new bytes, or None where the file was deleted."""
        return self._overlay

    def with_changes(self, changes: Mapping[str, bytes | None]) -> Snapshot:
        """A new snapshot with ``changes`` laid over this one; this one is untouched."""
        snapshot = object.__new__(Snapshot)
        object.__setattr__(snapshot, "_base", self._base)
        object.__setattr__(snapshot, "_overlay", _updated(self._base, self._overlay, changes))
        return snapshot

    def read(self, path: str) -> bytes | None:
        """The bytes of a file in this snapshot, or None if it does not exist here."""
        key = self._base.normalize(path)
        if key in self._overlay:
            return self._overlay[key]
        return self._base.read_normalized(key)

    def exists(self, path: str) -> bool:
        key = self._base.normalize(path)
        if key in self._overlay:
            return self._overlay[key] is not None
        return self._base.exists(key)

    def changed_paths(self) -> frozenset[str]:
        """Paths whose content differs from the base tree (added, modified or deleted)."""
        return frozenset(self._overlay)

    def iter_files(
        self, paths: Sequence[str] = (), suffixes: Sequence[str] = DEFAULT_SUFFIXES
    ) -> Iterator[str]:
        """Like BaseTree.iter_files, for this snapshot: base files + added ones - deleted ones.

        A path that names nothing in the base nor among the added files raises InputError.
        """
        starts = [self._base.normalize(p) for p in paths]
        ends = tuple(suffixes)
        added = [path for path, content in self._overlay.items() if content is not None]
        for start in starts:
            on_disk = (self._base.root / start).exists()
            if not on_disk and not any(_under(path, start) for path in added):
                raise InputError(str(self._base.root), f"{start}: no such file or directory")
        listed = set(self._base.iter_files(starts, ends, missing_ok=True))
        for path, content in self._overlay.items():
            if not _selected(path, starts, ends):
                continue
            if content is None:
                listed.discard(path)
            else:
                listed.add(path)
        yield from sorted(listed)


def _under(path: str, start: str) -> bool:
    return path == start or path.startswith(start + "/")


def _selected(path: str, starts: Sequence[str], ends: tuple[str, ...]) -> bool:
    name = path.rsplit("/", 1)[-1]
    if ends and not name.endswith(ends):
        return False
    if ".git" in path.split("/"):
        return False
    return not starts or any(_under(path, start) for start in starts)


def _updated(
    base: BaseTree, overlay: Overlay, changes: Mapping[str, bytes | None]
) -> Overlay:
    """``overlay`` updated with ``changes``, keeping only entries that differ from the base."""
    setting: dict[str, bytes | None] = {}
    back: set[str] = set()
    for path, content in changes.items():
        key = base.normalize(path)
        if content is not None and not isinstance(content, bytes):
            raise TypeError(f"snapshot content for {key!r} must be bytes or None")
        if content == _base_content(base, key):
            setting.pop(key, None)
            back.add(key)
        else:
            setting[key] = content
            back.discard(key)
    return overlay.update(setting, frozenset(back))


def _base_content(base: BaseTree, key: str) -> bytes | None:
    # A directory in the base is "no file" for an overlay that deletes or adds a file there.
    try:
        return base.read_normalized(key)
    except NotAFileError:
        return None

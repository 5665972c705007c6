"""The base tree: a directory read, never written, through paths checked for escapes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from patchaudit.errors import InputError
from patchaudit.tree.paths import check_symlinks, is_inside, normalize_relpath, path_problem

DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024  # the largest 6.12 source file is under 3 MiB
DEFAULT_SUFFIXES = (".c", ".h")


class NotAFileError(InputError):
    """A directory or special file where a regular file was expected."""


class BaseTree:
    """A read-only view of a source tree on disk: files are opened read-only, never created."""

    __slots__ = ("_max_file_size", "_real_root", "_root")

    def __init__(
        self, root: str | os.PathLike[str], *, max_file_size: int = DEFAULT_MAX_FILE_SIZE
    ) -> None:
        given = os.fspath(root)
        if not os.path.exists(given):
            raise InputError(given, "tree does not exist")
        if not os.path.isdir(given):
            raise InputError(given, "tree is not a directory")
        if max_file_size < 0:
            raise InputError(given, f"negative file size limit {max_file_size}")
        self._real_root = os.path.realpath(given)
        self._root = Path(self._real_root)
        self._max_file_size = max_file_size

    def __repr__(self) -> str:
        return f"BaseTree({self._real_root!r})"

    @property
    def root(self) -> Path:
        """The root directory, symlinks resolved."""
        return self._root

    @property
    def max_file_size(self) -> int:
        return self._max_file_size

    def normalize(self, relpath: str, *, source: str | None = None) -> str:
        """Canonical relative path; PathEscapeError (naming ``source``) if it could escape."""
        where = source if source is not None else self._real_root
        canonical = normalize_relpath(relpath, source=where)
        check_symlinks(self._real_root, canonical, source=where)
        return canonical

    def resolve(self, relpath: str) -> Path:
        """The on-disk path of ``relpath``, refused with PathEscapeError if it could escape."""
        return self._root / self.normalize(relpath)

    def exists(self, relpath: str) -> bool:
        """Whether ``relpath`` names a regular file (directories do not count)."""
        try:
            return stat.S_ISREG(os.stat(self.resolve(relpath)).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise InputError(str(self.resolve(relpath)), f"cannot stat: {exc.strerror}") from exc

    def is_dir(self, relpath: str) -> bool:
        """Whether ``relpath`` names a directory of the tree; False for a path it would refuse."""
        try:
            return os.path.isdir(self.resolve(relpath))
        except InputError:
            return False

    def read(self, relpath: str) -> bytes | None:
        """The bytes of a file, or None if it does not exist."""
        return self.read_normalized(self.normalize(relpath))

    def read_normalized(self, key: str) -> bytes | None:
        """``read`` of a path ``normalize`` returned: a snapshot has checked it already."""
        path = os.path.join(self._real_root, key)
        try:
            # stat before open: opening a FIFO or device could block or have side effects.
            self._check_regular(path, os.stat(path))
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as handle:
                self._check_regular(path, os.fstat(handle.fileno()))  # it may have been swapped
                data = handle.read(self._max_file_size + 1)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
        if len(data) > self._max_file_size:
            raise InputError(path, f"file is larger than the {self._max_file_size}-byte limit")
        return data

    def _check_regular(self, path: str, info: os.stat_result) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise NotAFileError(path, "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise NotAFileError(path, "is not a regular file")
        if info.st_size > self._max_file_size:
            raise InputError(
                path,
                f"file is {info.st_size} bytes, over the {self._max_file_size}-byte limit",
            )

    def iter_files(
        self,
        paths: Sequence[str] = (),
        suffixes: Sequence[str] = DEFAULT_SUFFIXES,
        *,
        missing_ok: bool = False,
        skipped: list[tuple[str, str]] | None = None,
    ) -> Iterator[str]:
        """Relative POSIX paths of the regular files under ``paths`` (all if empty), sorted.

        Only names ending in one of ``suffixes`` are listed (every name if it is empty), also
        for a path given explicitly. ``.git`` directories are skipped; symlinked directories
        are not descended (no cycles, no duplicates); a symlinked file is listed only if it
        resolves to a regular file inside the tree. A missing path raises InputError unless
        ``missing_ok``. With ``skipped``, a directory that cannot be listed and a named path
        that is neither a directory nor a regular file (a FIFO, a device) go there as
        (path, problem) instead of raising InputError.
        """
        ends = tuple(suffixes)
        starts = [self.normalize(p) for p in paths] if paths else [""]
        found: set[str] = set()
        for start in starts:
            if ".git" in start.split("/"):
                continue
            full = os.path.join(self._real_root, start) if start else self._real_root
            if os.path.isdir(full):
                found.update(self._walk(start, ends, skipped))
            elif os.path.isfile(full):
                if self._wanted(os.path.basename(start), ends):
                    found.add(start)
            elif os.path.lexists(full):
                problem = f"is not a regular file or directory ({_kind(full)})"
                if skipped is None:
                    raise InputError(self._real_root, f"{start}: {problem}")
                skipped.append((start, problem))
            elif not missing_ok:
                raise InputError(self._real_root, f"{start}: no such file or directory")
        yield from sorted(found)

    @staticmethod
    def _wanted(name: str, ends: tuple[str, ...]) -> bool:
        return not ends or name.endswith(ends)

    def _walk(
        self, top: str, ends: tuple[str, ...], skipped: list[tuple[str, str]] | None
    ) -> Iterator[str]:
        pending = [top]
        while pending:
            rel = pending.pop()
            full = os.path.join(self._real_root, rel) if rel else self._real_root
            try:
                with os.scandir(full) as listing:
                    entries = list(listing)
            except OSError as exc:
                if skipped is None:
                    raise InputError(full, f"cannot list directory: {exc.strerror}") from exc
                skipped.append((rel or ".", f"cannot list directory: {exc.strerror}"))
                continue
            for entry in entries:
                child = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".git":
                        pending.append(child)
                elif (
                    self._wanted(entry.name, ends)
                    and self._listable(entry)
                    # A name read() would refuse (control characters, backslash) is not listed.
                    and path_problem(entry.name) is None
                ):
                    yield child

    def _listable(self, entry: os.DirEntry[str]) -> bool:
        if not entry.is_symlink():
            return entry.is_file(follow_symlinks=False)
        target = os.path.realpath(entry.path)
        return is_inside(self._real_root, target) and os.path.isfile(target)


def _kind(path: str) -> str:
    """What a special file is, for messages."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "a dangling symlink"
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"

"""A base tree read from a git revision (through git itself), for ``check --git A..B``."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from patchaudit.errors import InputError
from patchaudit.gitcmd import run_git
from patchaudit.tree.base import DEFAULT_MAX_FILE_SIZE, DEFAULT_SUFFIXES, BaseTree
from patchaudit.tree.paths import normalize_relpath

_SYMLINK_MODE = "120000"


def is_repository(path: str | os.PathLike[str]) -> bool:
    """Whether git finds a repository at ``path`` (its work tree, a subdirectory or a bare one)."""
    try:
        run_git(os.fspath(path), ["rev-parse", "--git-dir"], os.fspath(path), "git rev-parse")
    except InputError:
        return False
    return True


def range_base(rev_range: str) -> str:
    """The revision a ``git format-patch`` range starts from: A of ``A..B``, or ``A`` alone."""
    if "..." in rev_range:
        raise InputError(rev_range, "symmetric ranges (A...B) are not supported; use A..B")
    base = rev_range.split("..", 1)[0]
    if not base or base.startswith("-"):
        raise InputError(rev_range, "the range must name its start revision (A..B)")
    return base


class GitTree(BaseTree):
    """The files of one commit of a repository; the working tree is never read or written."""

    __slots__ = ("_blobs", "_commit", "_entries", "_repo")

    def __init__(
        self, repo: str | os.PathLike[str], revision: str, *,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        super().__init__(repo, max_file_size=max_file_size)
        self._repo = os.fspath(repo)
        where = f"{self._repo}:{revision}"
        if revision.startswith("-"):
            raise InputError(where, "a revision must not start with '-'")
        self._commit = self._git(where, "rev-parse", "--verify", "--end-of-options",
                                 f"{revision}^{{commit}}").decode().strip()
        listing = self._git(where, "ls-tree", "-r", "-z", "--full-tree", self._commit)
        entries: dict[str, tuple[str, str]] = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, blob = meta.decode().split()
            if kind == "blob":
                entries[name.decode("utf-8", "surrogateescape")] = (mode, blob)
        self._entries = entries
        self._blobs: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"GitTree({self._repo!r}, {self._commit[:12]})"

    @property
    def commit(self) -> str:
        return self._commit

    def _git(self, where: str, *args: str) -> bytes:
        return run_git(self._repo, list(args), where, f"git {args[0]}")

    def normalize(self, relpath: str, *, source: str | None = None) -> str:
        # Paths are looked up in the commit, never on disk: only the lexical
        # checks apply (absolute, '..', NUL, ...); symlinks are refused on read.
        return normalize_relpath(relpath, source=source if source is not None else self._repo)

    def resolve(self, relpath: str) -> Path:
        return Path(self._repo) / self.normalize(relpath)

    def exists(self, relpath: str) -> bool:
        entry = self._entries.get(self.normalize(relpath))
        return entry is not None and entry[0] != _SYMLINK_MODE

    def is_dir(self, relpath: str) -> bool:
        try:
            key = self.normalize(relpath)
        except InputError:
            return False
        return any(name.startswith(key.rstrip("/") + "/") for name in self._entries)

    def read_normalized(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        where = f"{self._commit[:12]}:{key}"
        if entry[0] == _SYMLINK_MODE:
            raise InputError(where, "is a symbolic link in the commit, not a file")
        # A blob never changes and each read costs a git process: a check reads
        # the files its rules quote once per patch, so each blob is fetched once.
        data = self._blobs.get(entry[1])
        if data is None:
            data = self._git(where, "cat-file", "blob", entry[1])
            if len(data) > self.max_file_size:
                raise InputError(where, f"file is larger than the {self.max_file_size}-byte limit")
            self._blobs[entry[1]] = data
        return data

    def iter_files(
        self,
        paths: Sequence[str] = (),
        suffixes: Sequence[str] = DEFAULT_SUFFIXES,
        *,
        missing_ok: bool = False,
        skipped: list[tuple[str, str]] | None = None,  # a commit's tree has nothing unlistable
    ) -> Iterator[str]:
        ends = tuple(suffixes)
        starts = [self.normalize(p) for p in paths] if paths else [""]
        found = set()
        for start in starts:
            matched = [
                name for name, (mode, _) in self._entries.items()
                if mode != _SYMLINK_MODE
                and (not start or name == start or name.startswith(start + "/"))
                and (not ends or name.endswith(ends))
            ]
            if not matched and not missing_ok and start not in self._entries:
                raise InputError(self._commit[:12], f"{start}: no such file or directory")
            found.update(matched)
        yield from sorted(found)

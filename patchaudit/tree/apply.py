"""Applying a patch series in memory, file by file, like ``patch -p1`` / ``git apply``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from patchaudit.errors import InputError
from patchaudit.series.model import FileChange, FileDiff, Patch, Series
from patchaudit.tree.base import BaseTree, NotAFileError
from patchaudit.tree.hunks import apply_hunks, failed_hunks
from patchaudit.tree.paths import PathEscapeError
from patchaudit.tree.results import FileResult, HunkResult, PatchApplication
from patchaudit.tree.snapshot import Snapshot

__all__ = [
    "FileResult", "HunkResult", "PatchApplication", "apply_patch", "apply_series",
    "iter_applications",
]

MISSING = "file does not exist"
EXISTS = "file already exists"
BINARY = "binary diff"
LEFTOVER = "the deleted file has lines the patch does not remove"


@dataclass(frozen=True)
class _Paths:
    """The checked, canonical paths of one FileDiff."""

    old: str | None
    new: str | None


def apply_series(base: BaseTree, series: Series, *, fuzz: int = 0) -> tuple[PatchApplication, ...]:
    """Apply every patch of ``series`` in order, each to the state the previous one left.

    A patch that does not apply (fully or at all) is recorded and the series goes on.
    Each application is indexed by the patch's own index (``[PATCH 3/8]`` -> 3).
    """
    return tuple(iter_applications(base, series, fuzz=fuzz))


def iter_applications(base: BaseTree, series: Series, *, fuzz: int = 0) -> Iterator[PatchApplication]:
    """apply_series one patch at a time: a caller that lets each application go keeps in
    memory only the current tree state, not the file contents of every patch."""
    snapshot = Snapshot(base)
    for patch in series.patches:
        application = apply_patch(snapshot, patch, patch.index, fuzz=fuzz)
        snapshot = application.after
        yield application


def apply_patch(snapshot: Snapshot, patch: Patch, index: int, *, fuzz: int = 0) -> PatchApplication:
    """Apply the files of ``patch`` in order to ``snapshot`` (which stays unchanged).

    Every path is checked before anything is applied: an unsafe one raises PathEscapeError
    naming the patch. Renames and copies read their source as it was before the patch.
    """
    source = patch.source or f"patch {index}"
    if fuzz < 0:
        raise InputError(source, f"fuzz must not be negative (got {fuzz})")
    checked = [_check_paths(snapshot.base, diff, source, index) for diff in patch.files]
    working = snapshot
    results: list[FileResult] = []
    for diff, paths in zip(patch.files, checked):
        result, changes = _apply_file(snapshot, working, diff, paths, fuzz)
        results.append(result)
        if changes:
            working = working.with_changes(changes)
    return PatchApplication(patch, index, snapshot, working, tuple(results))


def _check_paths(base: BaseTree, diff: FileDiff, source: str, index: int) -> _Paths:
    def check(path: str | None) -> str | None:
        if path is None:
            return None
        try:
            return base.normalize(path, source=source)
        except PathEscapeError as exc:
            raise PathEscapeError(source, f"patch {index}: {exc.problem}") from exc

    paths = _Paths(check(diff.old_path), check(diff.new_path))
    needs_old = diff.change in (FileChange.DELETED, FileChange.RENAMED, FileChange.COPIED)
    needs_new = diff.change in (FileChange.ADDED, FileChange.RENAMED, FileChange.COPIED)
    if (
        (needs_old and paths.old is None)
        or (needs_new and paths.new is None)
        or (paths.old is None and paths.new is None)
    ):
        raise InputError(source, f"patch {index}: {diff.change.value} file without its path")
    return paths


def _read(snapshot: Snapshot, path: str) -> tuple[bytes | None, str]:
    """A file's content, or None with the reason it cannot be used as one."""
    try:
        content = snapshot.read(path)
    except NotAFileError as exc:
        return None, exc.problem  # a directory where the patch expects a file
    return content, "" if content is not None else MISSING


def _unchanged(
    diff: FileDiff, path: str, old_path: str | None, content: bytes | None, reason: str
) -> FileResult:
    """The result of a file the patch could not touch: every hunk failed for ``reason``."""
    return FileResult(
        path=path,
        old_path=old_path,
        change=diff.change,
        before=content,
        after=content,
        added_lines=frozenset(),
        removed_lines=frozenset(),
        hunks=failed_hunks(diff.hunks, reason),
        applied=False,
        reason=reason,
    )


def _summary(hunks: tuple[HunkResult, ...]) -> str:
    failed = sum(1 for hunk in hunks if not hunk.applied)
    return f"{failed} of {len(hunks)} hunks failed" if failed else ""


def _apply_file(
    before: Snapshot, working: Snapshot, diff: FileDiff, paths: _Paths, fuzz: int
) -> tuple[FileResult, dict[str, bytes | None]]:
    """One file's result and what it changes in the tree (nothing for a file that failed)."""
    path = paths.new if paths.new is not None else paths.old
    assert path is not None  # _check_paths guarantees one of them
    old_path = None if diff.change is FileChange.ADDED else (paths.old or path)
    if diff.binary:
        current, _ = _read(working, path)
        return _unchanged(diff, path, old_path, current, BINARY), {}

    if diff.change is FileChange.ADDED:
        existing, problem = _read(working, path)
        if existing is not None or problem != MISSING:
            return _unchanged(diff, path, old_path, existing, problem or EXISTS), {}
        content = b""
    elif diff.change in (FileChange.RENAMED, FileChange.COPIED):
        assert old_path is not None
        source_content, problem = _read(before, old_path)  # the preimage, as git does
        if source_content is None:
            return _unchanged(diff, path, old_path, None, problem), {}
        target, target_problem = _read(working, path)
        if path != old_path and (target is not None or target_problem != MISSING):
            reason = target_problem or EXISTS
            return _unchanged(diff, path, old_path, source_content, reason), {}
        content = source_content
    else:
        current, problem = _read(working, path)
        if current is None:
            return _unchanged(diff, path, old_path, None, problem), {}
        content = current

    patched = apply_hunks(content, diff.hunks, fuzz=fuzz)
    result = FileResult(
        path=path,
        old_path=old_path,
        change=diff.change,
        before=None if diff.change is FileChange.ADDED else content,
        after=patched.after,
        added_lines=patched.added_lines,
        removed_lines=patched.removed_lines,
        hunks=patched.hunks,
        applied=patched.complete,
        reason=_summary(patched.hunks),
    )
    if diff.change is FileChange.DELETED:
        # All or nothing: a file is deleted only if the hunks remove every line of it.
        if not patched.complete or patched.after:
            unchanged = replace(
                result, after=content, added_lines=frozenset(), removed_lines=frozenset()
            )
            return replace(unchanged, applied=False, reason=result.reason or LEFTOVER), {}
        return replace(result, after=None), {path: None}
    changes: dict[str, bytes | None] = {path: patched.after}
    if diff.change is FileChange.RENAMED and old_path != path:
        assert old_path is not None
        changes[old_path] = None
    return result, changes

"""What applying a patch did: per hunk, per file and per patch, plus the before-to-after line map."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from patchaudit.series.model import FileChange, Patch
from patchaudit.tree.lines import count_lines
from patchaudit.tree.snapshot import Snapshot


@dataclass(frozen=True)
class HunkResult:
    """One hunk: ``index`` 1-based within its file, ``offset`` in lines from its stated place.

    ``reason`` says why it failed, or how it applied when that is worth knowing ("fuzz 1").
    """

    index: int
    header: str
    applied: bool
    offset: int
    reason: str


@dataclass(frozen=True)
class FileResult:
    """One file of a patch. ``before``/``after`` are None where the file does not exist.

    ``added_lines`` are 1-based lines of ``after`` this patch added, ``removed_lines`` 1-based
    lines of ``before`` it removed. ``applied`` is false if any hunk failed; the hunks that
    did apply are still in ``after`` (like patch(1)), except for a deletion, which is all
    or nothing. A file the patch could not touch at all (missing, binary) has
    ``after == before``.
    """

    path: str
    old_path: str | None  # the path before the patch; None for an added file
    change: FileChange
    before: bytes | None
    after: bytes | None
    added_lines: frozenset[int]
    removed_lines: frozenset[int]
    hunks: tuple[HunkResult, ...]
    applied: bool
    reason: str


@dataclass(frozen=True)
class PatchApplication:
    """One patch applied to ``before``, giving ``after`` (index as given by the caller)."""

    patch: Patch
    index: int
    before: Snapshot
    after: Snapshot
    files: tuple[FileResult, ...]

    @property
    def applies(self) -> bool:
        """Every file applied completely (every hunk; no binary diff, no missing file)."""
        return all(result.applied for result in self.files)

    def file(self, path: str) -> FileResult | None:
        """The result for the file that has ``path`` after the patch (or before, if deleted)."""
        for result in self.files:
            if result.path == path:
                return result
        return None


def line_map(result: FileResult) -> Callable[[int], int | None]:
    """Map a 1-based line of ``result.before`` to its line in ``result.after`` (None if gone).

    Applying keeps the unremoved old lines in order and slots the added lines between them,
    so the k-th kept line of ``before`` is the k-th not-added line of ``after``.
    """
    if result.before is None or result.after is None:
        return _nowhere
    kept_new = (
        line for line in range(1, count_lines(result.after) + 1) if line not in result.added_lines
    )
    mapping: dict[int, int] = {}
    for old in range(1, count_lines(result.before) + 1):
        if old not in result.removed_lines:
            new = next(kept_new, None)
            if new is None:
                break  # an inconsistent hand-built result: map what can be mapped
            mapping[old] = new

    def mapped(line: int) -> int | None:
        return mapping.get(line)

    return mapped


def _nowhere(line: int) -> int | None:
    return None

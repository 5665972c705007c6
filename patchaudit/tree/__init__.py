"""Tree stage: a read-only base tree, immutable snapshots over it, and patches applied in memory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from patchaudit.lazy import attributes_from

if TYPE_CHECKING:
    from patchaudit.tree.apply import apply_patch, apply_series
    from patchaudit.tree.base import BaseTree, NotAFileError
    from patchaudit.tree.paths import PathEscapeError
    from patchaudit.tree.results import FileResult, HunkResult, PatchApplication, line_map
    from patchaudit.tree.snapshot import Snapshot

__all__ = [
    "BaseTree",
    "FileResult",
    "HunkResult",
    "NotAFileError",
    "PatchApplication",
    "PathEscapeError",
    "Snapshot",
    "apply_patch",
    "apply_series",
    "line_map",
]

# Imported on first use: a scan reads the base tree and never applies a patch.
_HOMES = {
    "BaseTree": "base",
    "FileResult": "results",
    "HunkResult": "results",
    "NotAFileError": "base",
    "PatchApplication": "results",
    "PathEscapeError": "paths",
    "Snapshot": "snapshot",
    "apply_patch": "apply",
    "apply_series": "apply",
    "line_map": "results",
}


__getattr__ = attributes_from(__name__, _HOMES)

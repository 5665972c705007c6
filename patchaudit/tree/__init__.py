"""Tree stage: a read-only base tree, immutable snapshots over it, and patches applied in memory."""

from __future__ import annotations

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

"""Run the rules: over each patch of a series applied to a tree (check), or over whole files (scan)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patchaudit.engine.common import Options

if TYPE_CHECKING:
    from patchaudit.engine.check import check_series
    from patchaudit.engine.scan import scan_files, scan_tree

__all__ = ["Options", "check_series", "scan_files", "scan_tree"]


def __getattr__(name: str) -> Any:
    # Each command imports only its own stage: the scan brings multiprocessing
    # and its worker machinery, a check the series reader and the patch
    # applier (a warm whole-tree scan is 2 s, a tenth of which was imports).
    if name in ("scan_files", "scan_tree"):
        from patchaudit.engine import scan

        return getattr(scan, name)
    if name == "check_series":
        from patchaudit.engine import check

        return check.check_series
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

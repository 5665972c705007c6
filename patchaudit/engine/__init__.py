"""Run the rules: over each patch of a series applied to a tree (check), or over whole files (scan)."""

from __future__ import annotations

from typing import Any

from patchaudit.engine.check import check_series
from patchaudit.engine.common import Options

__all__ = ["Options", "check_series", "scan_files", "scan_tree"]


def __getattr__(name: str) -> Any:
    # The scan brings multiprocessing and its worker machinery: a check,
    # which never scans, does not pay for importing them.
    if name in ("scan_files", "scan_tree"):
        from patchaudit.engine import scan

        return getattr(scan, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Run the rules: over each patch of a series applied to a tree (check), or over whole files (scan)."""

from __future__ import annotations

from patchaudit.engine.check import check_series
from patchaudit.engine.common import Options
from patchaudit.engine.scan import scan_files, scan_tree

__all__ = ["Options", "check_series", "scan_files", "scan_tree"]

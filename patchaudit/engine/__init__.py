"""Run the rules: over each patch of a series applied to a tree (check), or over whole files (scan)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from patchaudit.engine.common import Options
from patchaudit.lazy import attributes_from

if TYPE_CHECKING:
    from patchaudit.engine.check import check_series
    from patchaudit.engine.scan import scan_files, scan_tree

__all__ = ["Options", "check_series", "scan_files", "scan_tree"]


# Each command imports only its own stage: the scan brings multiprocessing
# and its worker machinery, a check the series reader and the patch
# applier (a warm whole-tree scan is 2 s, a tenth of which was imports).
__getattr__ = attributes_from(
    __name__, {"scan_files": "scan", "scan_tree": "scan", "check_series": "check"}
)

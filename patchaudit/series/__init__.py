"""Series stage: read patches (mbox, mail, format-patch files, quilt, git range) into a Series."""

from __future__ import annotations

from typing import TYPE_CHECKING

from patchaudit.lazy import attributes_from

if TYPE_CHECKING:
    from patchaudit.series.diff import parse_diff
    from patchaudit.series.git import load_git_range
    from patchaudit.series.loader import load_series
    from patchaudit.series.subject import parse_subject

__all__ = ["load_git_range", "load_series", "parse_diff", "parse_subject"]

# Imported on first use: a scan needs the series model (series.model), not
# the mail reader, unidiff and git behind these.
_HOMES = {
    "load_git_range": "git",
    "load_series": "loader",
    "parse_diff": "diff",
    "parse_subject": "subject",
}


__getattr__ = attributes_from(__name__, _HOMES)

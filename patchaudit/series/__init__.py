"""Series stage: read patches (mbox, mail, format-patch files, quilt, git range) into a Series."""

from __future__ import annotations

from patchaudit.series.diff import parse_diff
from patchaudit.series.git import load_git_range
from patchaudit.series.loader import load_series
from patchaudit.series.subject import parse_subject

__all__ = ["load_git_range", "load_series", "parse_diff", "parse_subject"]

"""Analyses over the parsed C: lock state through each function, lock classes, callback contexts."""

from __future__ import annotations

from patchaudit.analyses.analyse import FileLocks, FunctionLocks, analyse_file
from patchaudit.cfront.ir import FileIR

__all__ = ["FileLocks", "FunctionLocks", "analyse_file", "lock_analysis"]

# Several rules of one run ask for the same file's analysis in a row; keep
# the last few, keyed by content, so each file is analysed once per run.
_MEMO_SIZE = 8
_memo: dict[tuple[str, str], FileLocks] = {}


def lock_analysis(ir: FileIR) -> FileLocks:
    """The lock analysis of ``ir``, memoised by path and content digest."""
    key = (ir.path, ir.digest)
    found = _memo.get(key)
    if found is None:
        found = analyse_file(ir)
        if len(_memo) >= _MEMO_SIZE:
            _memo.pop(next(iter(_memo)))
        _memo[key] = found
    return found

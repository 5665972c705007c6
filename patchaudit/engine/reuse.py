"""Which files a scan can take from the last one unread: stamps unchanged, dependencies unchanged."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from patchaudit.engine.common import C_SUFFIXES
from patchaudit.engine.index import IndexEntry, Stamp, stamp_of
from patchaudit.engine.results import EMPTY, ResultCache, result_key
from patchaudit.engine.work import FileOutcome


@dataclass
class Reuse:
    """Looks files up in the previous scan's index; stats each path at most once."""

    root: str
    pack: str
    previous: dict[str, IndexEntry]
    results: ResultCache
    # Every .c/.h file of the tree when the scan covers all of it: a
    # dependency on a .c/.h file that is not listed is still absent, no
    # stat needed (a header's implementation is looked for in 20 places).
    listing: frozenset[str] | None = None
    stamps: dict[str, Stamp | None] = field(default_factory=dict)

    def stamp(self, path: str) -> Stamp | None:
        """The file's current stamp, None if it does not exist (memoised for this scan)."""
        if path in self.stamps:
            return self.stamps[path]
        found: Stamp | None = None
        if self.listing is None or path in self.listing or not path.endswith(C_SUFFIXES):
            try:
                found = stamp_of(os.stat(self.root + "/" + path))
            except OSError:
                found = None
        self.stamps[path] = found
        return found

    def outcome(self, path: str) -> FileOutcome | None:
        """The file's outcome from the last scan if nothing it depends on changed, else None."""
        entry = self.previous.get(path)
        if entry is None:
            return None
        stamp, selected, digest, has_results, deps = entry
        if self.stamp(path) != stamp:
            return None
        for dep_path, dep_stamp in deps:
            if self.stamp(dep_path) != dep_stamp:
                return None
        result = EMPTY
        if has_results:
            found = self.results.get(result_key(self.pack, path, digest))
            if found is None:
                return None  # evicted or damaged: analyse again
            result = found
        return FileOutcome(path, stamp, selected, digest, result, deps, reused=True)

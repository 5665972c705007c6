"""Judging one file against the tree: its summary laid over the tree index, if there is one.

A process keeps the index it opened and the wrapper table read from it;
the four contract kinds judge the same file one after the other, so the
judgements of the last few files are kept too.
"""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from pathlib import Path

from patchaudit.cfront.cache import ParseCache
from patchaudit.cfront.ir import FileIR
from patchaudit.index.build import Wrapper, stored_wrappers, summaries_version
from patchaudit.index.kept import keep_summary, kept_summary, summary_key
from patchaudit.index.store import IndexStore
from patchaudit.index.summarise import effect_summary, summarise
from patchaudit.index.summary import FileSummary
from patchaudit.index.view import TreeView
from patchaudit.interproc.judge import Judge, Judgement

_KEPT = 4


class _Session:
    def __init__(self) -> None:
        self.index: str | None = None
        self.store: IndexStore | None = None
        self.wrappers: dict[str, Wrapper] = {}
        self.current = False  # the index's summaries are this code's: a file's own may be read
        self.recent: OrderedDict[tuple[str, str, str | None], tuple[Judgement, ...]] = OrderedDict()
        self.summaries: OrderedDict[tuple[str, str, str | None], FileSummary] = OrderedDict()

    def open(self, index: str | None) -> None:
        if index == self.index:
            return
        if self.store is not None:
            self.store.close()
        self.index, self.store, self.wrappers, self.current = index, None, {}, False
        self.recent.clear()
        self.summaries.clear()
        if index is not None and Path(index).is_file():
            self.store = IndexStore(Path(index), readonly=True)
            self.wrappers = stored_wrappers(self.store)
            self.current = self.store.meta("summaries") == summaries_version()

    def summary(self, path: str, data: bytes, ir: FileIR,
                cache: ParseCache | None = None) -> FileSummary:
        """The file's summary with the index's wrappers it calls (open() first).

        check summarises a touched file up to four times (its states before and
        after the patch, for the judge and for contract-changed): the last few
        summaries are kept, by path, content and index; with ``cache``, on disk
        too (index/kept.py), for the next check of the same contents. A file the
        index holds with these contents, summarised by this code, is read from
        it (a check's "before" state, a scan's files)."""
        key = (path, hashlib.blake2b(data, digest_size=16).hexdigest(), self.index)
        found = self.summaries.get(key)
        if found is not None:
            self.summaries.move_to_end(key)
            return found
        names = {ident.name for ident in ir.identifiers}
        wrappers = {name: wrapper for name, wrapper in self.wrappers.items() if name in names}
        note = summary_key(path, ir.digest, wrappers) if cache is not None else ""
        found = kept_summary(cache, note) if cache is not None else None
        if found is None and self.current and self.store is not None:
            found = self.store.file_summary(path, ir.digest)
        if found is None:
            used = {name: effect_summary(params, effect)
                    for name, (params, effect) in wrappers.items()}
            found = summarise(path, data, ir, used)
            if cache is not None:
                keep_summary(cache, note, found)
        self.summaries[key] = found
        while len(self.summaries) > _KEPT:
            self.summaries.popitem(last=False)
        return found

    def view(self, summaries: list[FileSummary], index: str | None) -> TreeView:
        self.open(index)
        return TreeView(self.store, summaries)

    def judge(self, path: str, data: bytes, ir: FileIR, index: str | None,
              cache: ParseCache | None = None) -> tuple[Judgement, ...]:
        key = (path, hashlib.blake2b(data, digest_size=16).hexdigest(), index)
        found = self.recent.get(key)
        if found is not None:
            self.recent.move_to_end(key)
            return found
        self.open(index)
        view = TreeView(self.store, [self.summary(path, data, ir, cache)])
        found = tuple(Judge(view, {path: data}).judge_file(path))
        self.recent[key] = found
        while len(self.recent) > _KEPT:
            self.recent.popitem(last=False)
        return found


    def tally(self, path: str, data: bytes, index: str | None) -> tuple[tuple[str, int], ...]:
        """The judgements made on ``path`` in this process, counted by "check: verdict
        (reason)"; empty when no contract kind judged it."""
        found = self.recent.get((path, hashlib.blake2b(data, digest_size=16).hexdigest(), index))
        if not found:
            return ()
        counts: Counter[str] = Counter()
        for judgement in found:
            reason = f" ({judgement.reason})" if judgement.reason else ""
            counts[f"{judgement.check}: {judgement.verdict.value}{reason}"] += 1
        return tuple(sorted(counts.items()))


_SESSION = _Session()


def judge_file(path: str, data: bytes, ir: FileIR, index: str | None,
               cache: ParseCache | None = None) -> tuple[Judgement, ...]:
    """Every judgement of the functions of ``path`` (followed, violated and unknown);
    ``cache``: where summaries are kept between runs (check)."""
    return _SESSION.judge(path, data, ir, index, cache)


def session() -> _Session:
    """This process's session (the open index and its wrappers)."""
    return _SESSION

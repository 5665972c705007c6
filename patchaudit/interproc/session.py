"""Judging one file against the tree: its summary laid over the tree index, if there is one.

A process keeps the index it opened and the wrapper table read from it;
the four contract kinds judge the same file one after the other, so the
judgements of the last few files are kept too.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from patchaudit.cfront.ir import FileIR
from patchaudit.index.build import Wrapper, wrapper_table
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
        self.recent: OrderedDict[tuple[str, str, str | None], tuple[Judgement, ...]] = OrderedDict()

    def open(self, index: str | None) -> None:
        if index == self.index:
            return
        if self.store is not None:
            self.store.close()
        self.index, self.store, self.wrappers = index, None, {}
        self.recent.clear()
        if index is not None and Path(index).is_file():
            self.store = IndexStore(Path(index), readonly=True)
            self.wrappers = wrapper_table(self.store)

    def summary(self, path: str, data: bytes, ir: FileIR) -> FileSummary:
        """The file's summary with the index's wrappers it calls (open() first)."""
        names = {ident.name for ident in ir.identifiers}
        used = {name: effect_summary(params, effect)
                for name, (params, effect) in self.wrappers.items() if name in names}
        return summarise(path, data, ir, used)

    def view(self, summaries: list[FileSummary], index: str | None) -> TreeView:
        self.open(index)
        return TreeView(self.store, summaries)

    def judge(self, path: str, data: bytes, ir: FileIR, index: str | None) -> tuple[Judgement, ...]:
        key = (path, hashlib.blake2b(data, digest_size=16).hexdigest(), index)
        found = self.recent.get(key)
        if found is not None:
            self.recent.move_to_end(key)
            return found
        self.open(index)
        view = TreeView(self.store, [self.summary(path, data, ir)])
        found = tuple(Judge(view).judge_file(path))
        self.recent[key] = found
        while len(self.recent) > _KEPT:
            self.recent.popitem(last=False)
        return found


_SESSION = _Session()


def judge_file(path: str, data: bytes, ir: FileIR, index: str | None) -> tuple[Judgement, ...]:
    """Every judgement of the functions of ``path`` (followed, violated and unknown)."""
    return _SESSION.judge(path, data, ir, index)


def session() -> _Session:
    """This process's session (the open index and its wrappers)."""
    return _SESSION

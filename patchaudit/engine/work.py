"""One scan worker's job: read a file, prefilter it, then reuse its cached results or analyse it."""

from __future__ import annotations

import gc
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from patchaudit.cfront.cache import HOST_CACHE, ParseCache, host_cache_dir
from patchaudit.engine.common import FileState, Options, file_findings
from patchaudit.engine.grepfirst import files_holding, files_matching
from patchaudit.engine.index import DepStamp, Stamp, stat_stamp, trusted
from patchaudit.engine.limits import FileTimeout, ScanLimits, over_limit, time_limit, timed_out
from patchaudit.engine.prefilter import TokenFilter
from patchaudit.engine.results import (
    ABSENT,
    Dependency,
    FileResult,
    ResultCache,
    content_digest,
    result_key,
)
from patchaudit.errors import InputError
from patchaudit.model import FileIssue
from patchaudit.interproc.session import session
from patchaudit.ruleset import Rule
from patchaudit.ruleset.anchor import RuleStatus
from patchaudit.tree.base import BaseTree


@dataclass(frozen=True)
class ScanJob:
    """Everything a worker needs, sent once per worker process."""

    root: str
    read_limit: int  # the base tree's file size limit: larger files are not even read
    rules: tuple[Rule, ...]  # the applicable file-scope rules
    statuses: tuple[tuple[str, RuleStatus], ...]
    token_filter: TokenFilter
    all_rules: bool
    parse_cache: str | None  # directories; None: no cache
    result_cache: str | None
    pack: str
    limits: ScanLimits
    first_pass: bool = True  # grep finds the files with rare anchors (grepfirst.py)
    index: str | None = None  # the tree index the contract kinds read


@dataclass(frozen=True)
class FileOutcome:
    """What scanning one file gave; small and picklable (no IR crosses processes)."""

    path: str
    stamp: Stamp | None  # None: not to be remembered by the index (racy, skipped, timed out)
    selected: bool  # the rules ran on it (fresh or from the result cache)
    digest: str
    result: FileResult
    dep_stamps: tuple[DepStamp, ...] = ()
    reused: bool = False  # from the result cache


# A file no rule can match, as a worker reports it: its path and stamp
# (None: not to be indexed). Plain tuples: there are 60,000 of them a scan.
Quiet = tuple[str, "Stamp | None"]


@dataclass(frozen=True)
class ChunkResult:
    quiet: tuple[Quiet, ...]
    outcomes: tuple[FileOutcome, ...]  # files some rule ran on, and skipped files


class OverLimit(InputError):
    """A file larger than a limit: skipped the same way every time until it changes."""

    def __init__(self, source: str, problem: str, info: os.stat_result) -> None:
        super().__init__(source, problem)
        self.info = info


@contextmanager
def _collecting() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()


def _readable(path: str, info: os.stat_result, limit: int) -> os.stat_result:
    """``info`` if it is a regular file within the read limit; else why not, as an InputError."""
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "is not a regular file")
    if info.st_size > limit:
        raise OverLimit(
            path, f"file is {info.st_size} bytes, over the {limit}-byte read limit", info
        )
    return info


def stat_listed(root: str, path: str, limit: int) -> os.stat_result:
    """What read_listed checks before reading, without reading."""
    try:
        info = os.stat(f"{root}/{path}")
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return _readable(path, info, limit)


def read_listed(root: str, path: str, limit: int) -> tuple[bytes, os.stat_result]:
    """A file the tree listing found, read with one open: the listing already checked the path.

    BaseTree.read re-checks every path component for symlinks, which costs
    more than the read itself over 60,000 files; listed paths were produced
    by a walk that never follows a directory symlink.
    """
    try:
        fd = os.open(f"{root}/{path}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = _readable(path, os.fstat(fd), limit)
        # One byte more than the size: a short read is the end of the file, a
        # full one means it grew meanwhile and the rest is read as well.
        data = os.read(fd, info.st_size + 1)
        if len(data) > info.st_size:
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return data, info


class _Recorder:
    """The tree reader given to kinds, remembering each file read and what was there."""

    def __init__(self, base: BaseTree) -> None:
        self.base = base
        self.seen: dict[str, Dependency] = {}

    def read(self, path: str) -> bytes | None:
        try:
            data = self.base.read(path)
        except InputError as exc:
            self.seen.setdefault(path, Dependency(path, f"error: {exc.problem}"))
            raise
        state = ABSENT if data is None else content_digest(data)
        self.seen.setdefault(path, Dependency(path, state))
        return data


class Worker:
    """Scans files for one ScanJob; one per process."""

    def __init__(self, job: ScanJob) -> None:
        self.job = job
        self.base = BaseTree(job.root, max_file_size=job.read_limit)
        self.rules = {rule.id: rule for rule in job.rules}
        self.statuses = dict(job.statuses)
        cache = ParseCache(Path(job.parse_cache)) if job.parse_cache is not None else None
        self.options = Options(job.all_rules, cache, index=job.index)
        self.results = ResultCache(Path(job.result_cache)) if job.result_cache is not None else None

    def run(self, paths: list[str]) -> ChunkResult:
        # The parent pauses the cyclic collector while it gathers results;
        # parsing and analysing do make cycles, so a worker collects them.
        with _collecting():
            try:
                return self._run(paths)
            finally:
                if self.results is not None:
                    self.results.flush()

    def _run(self, paths: list[str]) -> ChunkResult:
        job = self.job
        token_filter = job.token_filter
        quiet: list[Quiet] = []
        outcomes: list[FileOutcome] = []
        rare = token_filter.rare_anchors
        holders: frozenset[str] | None = None
        anchored: frozenset[str] | None = None
        if job.first_pass and (rare or token_filter.first_pass_pattern is not None):
            holders, anchored = self._first_pass(paths, quiet, outcomes)
        if holders is not None and not token_filter.needs_reading:
            paths = [path for path in paths if path in holders]  # the rest is settled already
        # The common case, a file no rule can match, stays on this short path:
        # over 60,000 files its cost is the scan's cost.
        for path in paths:
            try:
                data, info = read_listed(job.root, path, job.read_limit)
            except InputError as exc:  # unreadable, or over the limit (OverLimit)
                self._settle(path, exc, quiet, outcomes)
                continue
            absent = rare if anchored is not None and path not in anchored else ()
            chosen = token_filter.select(data, absent)
            if chosen:
                outcomes.append(self.one(path, data, trusted(info), chosen))
            else:
                quiet.append((path, trusted(info)))
        return ChunkResult(tuple(quiet), tuple(outcomes))

    def _first_pass(
        self, paths: list[str], quiet: list[Quiet], outcomes: list[FileOutcome]
    ) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        """The files grep names, and those of them it finds a rare anchor in; None where grep could not say.

        grep -F looks for the rare anchors; when every rule can be found
        first (TokenFilter.needs_reading is false), grep -zP also looks for
        the rules' patterns, and the files neither names are settled here
        without being read: quiet, or skipped for their size as a read would
        have skipped them. Their stamps are taken before grep runs, so a file
        written meanwhile is seen as changed by the next scan.
        """
        job = self.job
        token_filter = job.token_filter
        settled = not token_filter.needs_reading
        infos: dict[str, os.stat_result | InputError] = {}
        if settled:
            for path in paths:
                try:
                    infos[path] = stat_listed(job.root, path, job.read_limit)
                except InputError as exc:
                    infos[path] = exc
        rare = token_filter.rare_anchors
        pattern = token_filter.first_pass_pattern if settled else None
        # grep -z matches the text between NUL bytes apart, so a pattern may
        # miss across one: files holding a NUL are named with the anchors,
        # read, and searched for every token.
        anchors = (*rare, b"\0") if pattern else rare
        anchored = files_holding(job.root, paths, anchors) if anchors else frozenset[str]()
        if not settled or anchored is None:
            return anchored, anchored
        matched = files_matching(job.root, paths, pattern) if pattern else frozenset[str]()
        if matched is None:
            return None, anchored
        holders = anchored | matched
        for path in paths:
            if path not in holders:
                self._settle(path, infos[path], quiet, outcomes)
        return holders, anchored

    def _settle(self, path: str, info: os.stat_result | InputError, quiet: list[Quiet],
                outcomes: list[FileOutcome]) -> None:
        """Where a file goes that no rule can be run on: skipped (unreadable, or over the size
        limit, remembered as such), or quiet with its stamp."""
        if isinstance(info, OverLimit):
            outcomes.append(self._over_limit(path, info.problem, trusted(info.info),
                                             info.info.st_size))
        elif isinstance(info, InputError):
            outcomes.append(skipped(path, info.problem))
        else:
            quiet.append((path, trusted(info)))

    def one(self, path: str, data: bytes, stamp: Stamp | None, chosen: tuple[str, ...]) -> FileOutcome:
        """Results for a file the prefilter let through: from the result cache, or analysed now."""
        job = self.job
        if len(data) > job.limits.max_file_size:
            return self._over_limit(
                path, over_limit(len(data), job.limits.max_file_size), stamp, len(data)
            )
        digest = content_digest(data)
        key = result_key(job.pack, path, digest)
        if self.results is not None:
            cached = self.results.get(key)
            if cached is not None and self._still_valid(cached):
                stamps = self._dep_stamps(cached)
                return FileOutcome(path, stamp if stamps is not None else None, True, digest,
                                   cached, stamps or (), reused=True)
        recorder = _Recorder(self.base)
        try:
            with time_limit(job.limits.seconds_per_file):
                rules = [self.rules[rule_id] for rule_id in chosen]
                state = FileState(path, data, self.options)
                findings = tuple(
                    file_findings(rules, self.statuses, state, None, None, recorder.read)
                )
        except FileTimeout:
            return skipped(path, timed_out(job.limits.seconds_per_file))
        except InputError as exc:
            return skipped(path, exc.problem)
        except RecursionError:
            return skipped(path, "too deeply nested to analyse")
        issues = tuple(FileIssue(path, i.message) for i in state.ir.issues) if state.parsed else ()
        judged = session().tally(path, data, job.index) if job.index is not None else ()
        result = FileResult(findings, issues, tuple(recorder.seen.values()), judged)
        if self.results is not None:
            self.results.put(key, result)
        stamps = self._dep_stamps(result)
        return FileOutcome(path, stamp if stamps is not None else None, True, digest, result,
                           stamps or ())

    def _over_limit(self, path: str, problem: str, stamp: Stamp | None, size: int) -> FileOutcome:
        """A size skip: cached like a result (the limits are part of the pack key), so indexed."""
        result = FileResult((), (FileIssue(path, problem),), ())
        digest = f"size={size}"
        if self.results is None:
            stamp = None
        else:
            self.results.put(result_key(self.job.pack, path, digest), result)
        return FileOutcome(path, stamp, False, digest, result)

    def _still_valid(self, cached: FileResult) -> bool:
        """Whether every file the cached analysis read is still as it was."""
        for dep in cached.deps:
            if dep.state == ABSENT:
                if os.path.lexists(os.path.join(self.job.root, dep.path)):
                    return False
                continue
            try:
                data = self.base.read(dep.path)
            except InputError:
                return False
            if data is None or content_digest(data) != dep.state:
                return False
        return True

    def _dep_stamps(self, result: FileResult) -> tuple[DepStamp, ...] | None:
        """Stamps for the index; None when one is untrusted (the entry is then not indexed)."""
        stamps: list[DepStamp] = []
        for dep in result.deps:
            full = os.path.join(self.job.root, dep.path)
            if dep.state == ABSENT:
                if os.path.lexists(full):
                    return None
                stamps.append((dep.path, None))
                continue
            found = stat_stamp(full)
            if found is None or dep.state.startswith("error:"):
                return None
            stamps.append((dep.path, found))
        return tuple(stamps)


def skipped(path: str, problem: str) -> FileOutcome:
    # Not indexed (stamp None): a file that could not be read or took too
    # long may fare better next time.
    return FileOutcome(path, None, False, "", FileResult((), (FileIssue(path, problem),), ()))


# One Worker a thread of a process (Dask runs tasks in threads), for the job
# it was made for: a pool process or a Dask worker sees one job a run.
_WORKERS = threading.local()


def scan_chunk(job: ScanJob, paths: list[str]) -> ChunkResult:
    """Executor entry point: scan one chunk of ``job`` (engine/executors.py sends the job once)."""
    if getattr(_WORKERS, "job", None) is not job:
        _WORKERS.worker = Worker(_on_this_host(job))
        _WORKERS.job = job
    worker: Worker = _WORKERS.worker
    return worker.run(paths)


def _on_this_host(job: ScanJob) -> ScanJob:
    """The job with HOST_CACHE resolved to this host's own cache directory (caches stay per host)."""
    if job.parse_cache != HOST_CACHE:
        return job
    parse = host_cache_dir(HOST_CACHE)
    if parse is None:
        return replace(job, parse_cache=None, result_cache=None)
    return replace(job, parse_cache=str(parse), result_cache=str(parse / "results"))

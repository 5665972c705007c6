"""``scan``: every finding in whole files of a tree, prefiltered by tokens, in parallel, cached.

Data flow: list the files; reuse what the scan index says is unchanged;
hand the rest in chunks to workers (engine/work.py), which read each file
once, drop it unless it holds a token of some applicable rule
(engine/prefilter.py), and take its findings from the result cache
(engine/results.py) or parse and analyse it; merge by path, so the report
does not depend on the number of processes.
"""

from __future__ import annotations

import os

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from patchaudit import __version__
from patchaudit.cfront.cache import HOST_CACHE
from patchaudit.cfront.lower_ctx import paused_gc
from patchaudit.engine.common import Applicability, Options, rule_infos
from patchaudit.engine.executors import Executor, LocalExecutor, tree_sample
from patchaudit.engine.index import IndexEntry, ScanIndex, Stamp
from patchaudit.engine.listing import list_c_files, walk_c_files
from patchaudit.engine.prefilter import build_filter
from patchaudit.engine.results import ResultCache, pack_key
from patchaudit.engine.reuse import Reuse
from patchaudit.engine.limits import ScanLimits
from patchaudit.engine.work import ChunkResult, FileOutcome, Quiet, ScanJob, scan_chunk
from patchaudit.engine.work import skipped as skipped_file
from patchaudit.model import FileIssue, Finding, RunReport
from patchaudit.ruleset import RuleSet
from patchaudit.ruleset.anchor import RuleStatus
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.tree.base import BaseTree

# A chunk is this many files or this many bytes, whichever comes first: big
# enough to amortise the trip to a worker, small enough to balance the load.
# Each chunk is also one grep run (grepfirst.py): fewer, larger chunks keep
# the cost of starting grep small next to its search.
CHUNK_FILES = 1024
CHUNK_BYTES = 32 << 20
DEFAULT_LIMITS = ScanLimits()
# Reused files are reported to the collector (and the progress line) in batches.
REUSED_BATCH = 512


@dataclass(frozen=True)
class ScanProgress:
    files_done: int
    files_total: int  # grows while a cold scan still walks the tree
    analysed: int  # files the prefilter let through (analysed now or taken from the caches)
    reused: int  # of those, files whose results came from the caches
    findings: int
    seconds: float


ProgressFn = Callable[[ScanProgress], None]


@dataclass
class _Collector:
    total: int
    progress: ProgressFn | None
    started: float = field(default_factory=time.monotonic)
    outcomes: dict[str, FileOutcome] = field(default_factory=dict)
    quiet: dict[str, Stamp | None] = field(default_factory=dict)  # files no rule could match
    analysed: int = 0
    reused: int = 0
    findings: int = 0

    def add(self, chunk: ChunkResult) -> None:
        self.quiet.update(chunk.quiet)
        for outcome in chunk.outcomes:
            self.outcomes[outcome.path] = outcome
            self.analysed += outcome.selected
            self.reused += outcome.selected and outcome.reused
            self.findings += len(outcome.result.findings)
        if self.progress is not None:
            self.progress(self.state())

    def state(self) -> ScanProgress:
        done = len(self.outcomes) + len(self.quiet)
        return ScanProgress(done, self.total, self.analysed, self.reused, self.findings,
                            time.monotonic() - self.started)


def _chunks(files: Iterable[str], reuse: Reuse | None, collector: _Collector) -> Iterator[list[str]]:
    """The files that need a worker, in chunks; files the index vouches for go straight to the result."""
    chunk: list[str] = []
    size = 0
    quiet: list[Quiet] = []
    reused: list[FileOutcome] = []
    # Without a previous index (reuse is None) there is nothing to compare
    # stamps with: the workers' own fstat gives the stamps, and chunks go by
    # file count.
    for path in files:
        if reuse is not None:
            outcome = reuse.outcome(path)
            if outcome is not None:
                if outcome.selected or outcome.result.issues:
                    reused.append(outcome)
                else:
                    quiet.append((path, outcome.stamp))
                if len(quiet) + len(reused) >= REUSED_BATCH:
                    collector.add(ChunkResult(tuple(quiet), tuple(reused)))
                    quiet, reused = [], []
                continue
            stamp = reuse.stamp(path)
            size += stamp[0] if stamp is not None else 0
        chunk.append(path)
        if len(chunk) >= CHUNK_FILES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    collector.add(ChunkResult(tuple(quiet), tuple(reused)))
    if chunk:
        yield chunk


def scan_files(
    base: BaseTree,
    files: Iterable[str],
    rules: RuleSet,
    options: Options,
    *,
    jobs: int = 1,
    limits: ScanLimits = DEFAULT_LIMITS,
    progress: ProgressFn | None = None,
    whole_tree: bool = False,
    first_pass: bool = True,
    executor: Executor | None = None,
) -> tuple[list[Finding], list[FileIssue], int, dict[str, RuleStatus],
           tuple[tuple[str, int], ...]]:
    """Findings, skipped files and parse issues, the number of files analysed, rule statuses,
    and the contract judgements counted by outcome and reason.

    ``whole_tree`` says ``files`` lists every .c/.h file of the tree (the
    index may then trust the listing for absent files). ``files`` is read
    lazily on a cold scan, so that workers start while a walk still lists.
    ``executor`` (default: ``jobs`` local processes) is where chunks run; on
    a remote one, the listing comes first so that a sample of it can be
    checked on every worker, and workers use their own caches.
    """
    remote = executor is not None and executor.remote
    applicability = Applicability(options.all_rules)
    statuses = applicability.statuses(rules, base.read)
    if options.index is None:
        # Judging every file against the tree's contracts needs the tree's summaries:
        # without an index, a scan would summarise each file alone, at many times the
        # cost of the other rules, and see only the contracts of that file.
        for rule in rules:
            if getattr(KINDS[rule.kind], "scan_needs_index", False) and statuses[rule.id].applies:
                statuses[rule.id] = RuleStatus(
                    rule.id, False, "needs the tree index in scan: run 'patchaudit index DIR' "
                    "first", statuses[rule.id].file)
    active = tuple(
        rule for rule in rules
        if KINDS[rule.kind].scope is Scope.FILE and statuses[rule.id].applies
    )  # fmt: skip
    # Timeouts are never cached, so the time limit is not part of the key.
    settings = f"max_file_size={limits.max_file_size} read_limit={base.max_file_size} all={options.all_rules}"
    if options.index is not None:
        # Contract findings depend on the whole tree through its index: a rebuilt
        # index is another pack as far as cached results go.
        settings += f" index={_index_stamp(options.index)}"
    pack = pack_key(active, statuses, settings)
    cache_dir = options.cache.directory if options.cache is not None else None
    job = ScanJob(
        root=str(base.root),
        read_limit=base.max_file_size,
        rules=active,
        statuses=tuple(sorted(statuses.items())),
        token_filter=build_filter(active),
        all_rules=options.all_rules,
        parse_cache=_cache_for(cache_dir, remote),
        result_cache=_cache_for(cache_dir / "results" if cache_dir else None, remote),
        pack=pack,
        limits=limits,
        first_pass=first_pass,
        index=options.index,
    )
    index = ScanIndex(cache_dir / "scan-index", str(base.root), pack) if cache_dir else None
    previous = index.load() if index is not None else {}
    reuse = None
    source: Iterator[str]
    if remote:
        assert executor is not None
        files = sorted(set(files))
        executor.check_tree(str(base.root), tree_sample(files))
        if options.index is not None:
            # The contract rules read the tree index on the workers: the same file.
            index_file = os.path.abspath(options.index)
            executor.check_tree(os.path.dirname(index_file), [os.path.basename(index_file)],
                                "the tree index must be on storage every worker shares, at "
                                "the same path: --index FILE")
    if previous and cache_dir is not None:
        # Warm: the whole listing first, which the index trusts for absent files.
        ordered = sorted(set(files))
        listing = frozenset(ordered) if whole_tree else None
        reuse = Reuse(str(base.root), pack, previous, ResultCache(cache_dir / "results"), listing)
        source = iter(ordered)
    else:
        source = iter(files)
    head = list(itertools.islice(source, CHUNK_FILES + 1))
    seen: list[str] = []
    collector = _Collector(0, progress)

    def listed() -> Iterator[str]:
        for path in itertools.chain(head, source):
            seen.append(path)
            collector.total = len(seen)
            yield path

    if executor is None:
        # Fewer files than a chunk: starting processes would cost more than it saves.
        executor = LocalExecutor(jobs if len(head) > CHUNK_FILES else 1)
    run_on = executor

    def failed(chunk: list[str], reason: str) -> ChunkResult:
        # A chunk that failed for good (on a cluster: its workers died): its
        # files one by one, so that only the culprit is skipped.
        if len(chunk) == 1:
            return ChunkResult((), (skipped_file(chunk[0], f"not analysed: {reason}"),))
        parts = list(run_on.run_shared(scan_chunk, job, ([path] for path in chunk), failed))
        return ChunkResult(tuple(q for part in parts for q in part.quiet),
                           tuple(o for part in parts for o in part.outcomes))

    for result in executor.run_shared(scan_chunk, job, _chunks(listed(), reuse, collector),
                                      failed):
        collector.add(result)
    paths = sorted(set(seen))

    findings: list[Finding] = []
    issues: list[FileIssue] = []
    judged: Counter[str] = Counter()
    entries = {} if whole_tree else dict(previous)
    for path in paths:
        entries.pop(path, None)
        if path in collector.quiet:
            stamp = collector.quiet[path]
            if stamp is not None:
                entries[path] = (stamp, False, "", False, ())
            continue
        outcome = collector.outcomes[path]
        findings.extend(outcome.result.findings)
        issues.extend(outcome.result.issues)
        judged.update(dict(outcome.result.judged))
        if outcome.stamp is not None:
            # The contract judgements too: a warm run's summary counts them as a cold one does.
            has_results = bool(outcome.result.findings or outcome.result.issues
                               or outcome.result.judged)
            entry: IndexEntry = (
                outcome.stamp, outcome.selected, outcome.digest, has_results, outcome.dep_stamps,
            )  # fmt: skip
            entries[path] = entry
    if index is not None and entries != previous:
        index.save(entries)
    return findings, issues, collector.analysed, statuses, tuple(sorted(judged.items()))


def _cache_for(directory: Path | None, remote: bool) -> str | None:
    if directory is None:
        return None
    return HOST_CACHE if remote else str(directory)


def scan_tree(
    base: BaseTree,
    paths: Sequence[str],
    rules: RuleSet,
    options: Options,
    *,
    jobs: int = 1,
    limits: ScanLimits = DEFAULT_LIMITS,
    progress: ProgressFn | None = None,
    first_pass: bool = True,
    executor: Executor | None = None,
) -> RunReport:
    """Report every match in the C files under ``paths`` (the whole tree when empty).

    The report is the same for any ``jobs``, whether or not the caches were
    warm and whether or not grep ran as a first pass (``first_pass``: where
    grep is found); ``progress`` is called as files complete.
    """
    # A directory the walk cannot enter is listed as skipped, like an unreadable file.
    skipped: list[tuple[str, str]] = []
    files = list_c_files(base, paths, skipped) if paths else walk_c_files(base, skipped)
    # What the parent builds (the index, outcomes, 29,000 findings on a warm
    # scan of the tree with every pack) holds no reference cycles; the
    # collector's passes over it cost a fifth of a warm scan.
    with paused_gc():
        findings, issues, analysed, statuses, judged = scan_files(
            base, files, rules, options, jobs=jobs, limits=limits, progress=progress,
            whole_tree=not paths, first_pass=first_pass, executor=executor,
        )
        findings.sort(key=Finding.sort_key)  # one key a finding, not two per comparison
        if skipped:
            issues = sorted([*issues, *(FileIssue(path, problem) for path, problem in skipped)],
                            key=lambda issue: issue.file)
    return RunReport(
        tool="patchaudit",
        version=__version__,
        mode="scan",
        tree=options.tree_label or str(base.root),
        source=" ".join(paths) if paths else ".",
        findings=tuple(findings),
        rules=rule_infos(rules, statuses),
        file_issues=tuple(issues),
        files_analysed=analysed,
        judged=judged,
    )



def _index_stamp(path: str) -> str:
    """What identifies one build of an index: its path, size and modification time."""
    try:
        info = os.stat(path)
    except OSError:
        return f"{path}:absent"
    return f"{path}:{info.st_size}:{info.st_mtime_ns}"

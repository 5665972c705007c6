"""One child process per series, with a time and a memory limit: a hostile series stalls nothing.

Children are forked from a fork server that has imported the engine, the
series reader and the formatters and loaded the shipped rules, so a child
starts in milliseconds with all of that shared. Each child sets its own
limits (address space, CPU time), dies with its parent, and leaves its result
in a file; the parent kills a child that outlives its wall-clock limit.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import signal
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path

from patchaudit.bot.answers import AnswerPlan, Answers, Summary, render_answers
from patchaudit.bot.check import BaseSpec, check_one, series_from_mail
from patchaudit.bot.config import CheckConfig

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Job:
    """Everything a child needs to check and answer one series; plain values."""

    series_id: int
    mails: tuple[tuple[str, bytes], ...]  # (Message-Id, raw mail)
    source: str
    base: BaseSpec
    check: CheckConfig
    plan: AnswerPlan
    seconds: float
    memory_mb: int
    max_patches: int


@dataclass(frozen=True)
class JobResult:
    series_id: int
    answers: Answers = field(default_factory=lambda: Answers((), (), Summary()))
    state: str = "answering"  # answering, failed, empty
    base: str = ""
    base_note: str = ""
    error: str = ""
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    peak_kb: int = 0


def run_job(job: Job, now: float) -> JobResult:
    """Assemble, check and render one series: a child's whole work (callable in-process too)."""
    started = time.monotonic()
    series, unreadable = series_from_mail(job.mails, job.source)
    if not any(p.files for p in series.patches):
        return JobResult(job.series_id, state="empty", notes=unreadable,
                         error="no patch with a diff arrived")
    if len(series.patches) > job.max_patches:
        return JobResult(job.series_id, state="failed", notes=unreadable,
                         error=f"{len(series.patches)} patches: more than the limit of "
                         f"{job.max_patches}")
    outcome = check_one(series, job.base, job.check)
    answers = render_answers(outcome, job.plan, now)
    return JobResult(
        job.series_id, answers, "failed" if outcome.report is None else "answering",
        outcome.base, outcome.base_note, outcome.error, unreadable,
        time.monotonic() - started,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    )


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: an orphan finishes its one series and exits


def _child(job: Job, result_path: str, now: float) -> None:
    _die_with_parent()
    limit = job.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = math.ceil(job.seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:
        result = run_job(job, now)
    except MemoryError:
        result = JobResult(job.series_id, state="failed",
                           error=f"memory limit of {job.memory_mb} MiB exceeded")
    except Exception as exc:  # noqa: BLE001 - a bug: the series fails, the bot goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        result = JobResult(job.series_id, state="failed",
                           error=f"internal error: {type(exc).__name__}: {exc} "
                           f"({Path(last.filename).name}:{last.lineno})")
    temp = result_path + ".tmp"
    with open(temp, "wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temp, result_path)


@dataclass
class _Running:
    job: Job
    process: BaseProcess
    result_path: Path
    deadline: float
    killed: bool = False


class Runner:
    """Runs jobs in limited children, at most ``jobs`` at a time."""

    def __init__(self, work: Path, jobs: int) -> None:
        self.work = work
        self.jobs = jobs
        work.mkdir(parents=True, exist_ok=True)
        for stale in work.glob("series-*.result*"):  # from a run that was killed
            stale.unlink(missing_ok=True)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["patchaudit.bot.warm"])
        self._running: dict[int, _Running] = {}

    @property
    def running(self) -> set[int]:
        return set(self._running)

    @property
    def free(self) -> int:
        return self.jobs - len(self._running)

    def start(self, job: Job, now: float) -> None:
        result_path = self.work / f"series-{job.series_id}.result"
        result_path.unlink(missing_ok=True)
        process = self._context.Process(target=_child, args=(job, str(result_path), now),
                                        name=f"patchaudit-series-{job.series_id}", daemon=True)
        process.start()
        self._running[job.series_id] = _Running(job, process, result_path,
                                                time.monotonic() + job.seconds)

    def wait(self, timeout: float) -> list[JobResult]:
        """Results of the children that ended within ``timeout`` seconds (killed ones included)."""
        if not self._running:
            return []
        now = time.monotonic()
        soonest = min(r.deadline for r in self._running.values())
        multiprocessing.connection.wait(
            [r.process.sentinel for r in self._running.values()],
            max(0.0, min(timeout, soonest - now)),
        )
        done = []
        for series_id, run in list(self._running.items()):
            if run.process.is_alive() and time.monotonic() >= run.deadline:
                run.killed = True
                run.process.kill()
                run.process.join()
            if not run.process.is_alive():
                run.process.join()
                done.append(self._result(run))
                del self._running[series_id]
        return done

    def _result(self, run: _Running) -> JobResult:
        job = run.job
        try:
            with run.result_path.open("rb") as handle:
                result: JobResult = pickle.load(handle)
            run.result_path.unlink()
            return result
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        code = run.process.exitcode
        if run.killed or code == -signal.SIGXCPU:
            reason = f"time limit of {job.seconds:g} s exceeded"
        elif code == -signal.SIGKILL:
            reason = "killed (out of memory?)"
        elif code is not None and code < 0:
            reason = f"crashed: {signal.Signals(-code).name}"
        else:
            reason = f"exited with status {code} and no result"
        return JobResult(job.series_id, state="failed", error=reason, seconds=job.seconds)

    def stop(self) -> None:
        """Kill every child; their series are checked again on the next start."""
        for run in self._running.values():
            run.process.kill()
            run.process.join()
        self._running.clear()

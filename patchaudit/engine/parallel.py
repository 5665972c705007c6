"""Spread scan chunks over worker processes, a bounded number in flight, results handed back as they come."""

from __future__ import annotations

from collections.abc import Callable, Iterable
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from patchaudit.engine.work import ChunkResult, ScanJob, Worker, init_worker, run_chunk
from patchaudit.lifetime import stop_workers

# Chunks queued per worker: enough that a worker never waits for the parent,
# few enough that memory is bounded by the work in flight, not by the tree.
IN_FLIGHT_PER_JOB = 3

Deliver = Callable[[ChunkResult], None]


def dispatch(job: ScanJob, chunks: Iterable[list[str]], jobs: int, deliver: Deliver) -> None:
    """Scan every chunk (in this process when ``jobs`` is 1) and pass each chunk's result to ``deliver``.

    Outcomes arrive in completion order; callers that need a stable order
    sort them (scan orders by path). ``chunks`` is consumed lazily, so the
    parent can produce chunks (and reuse cached files) while workers run.
    """
    if jobs <= 1:
        worker = None  # made for the first chunk: a warm scan may have none
        for chunk in chunks:
            worker = worker or Worker(job)
            deliver(worker.run(chunk))
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=init_worker, initargs=(job, os.getpid()))
    try:
        pending: set[Future[ChunkResult]] = set()
        for chunk in chunks:
            pending.add(pool.submit(run_chunk, chunk))
            while len(pending) >= IN_FLIGHT_PER_JOB * jobs:
                pending = _drain(pending, deliver)
        while pending:
            pending = _drain(pending, deliver)
    except BaseException:
        # An error, Ctrl-C or SIGTERM: the chunks in flight are not waited for. The
        # pool then fails every queued chunk itself; cancelling them as well races
        # with that (CPython 3.11 prints an InvalidStateError from its own thread).
        stop_workers(pool)
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)


def _drain(
    pending: set[Future[ChunkResult]], deliver: Deliver
) -> set[Future[ChunkResult]]:
    done, still = wait(pending, return_when=FIRST_COMPLETED)
    for future in done:
        deliver(future.result())
    return set(still)

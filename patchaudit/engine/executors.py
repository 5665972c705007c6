"""Where units of work run: one seam for the engine's parallel stages (local processes by default).

An executor takes a picklable function and picklable units and yields each
unit's result as it completes. The local executor runs them in this process
(``jobs`` 1) or in a pool of worker processes; callers that need a stable
order sort what they get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Generic, Protocol, TypeVar

U = TypeVar("U")
R = TypeVar("R")

# Units queued per worker: enough that a worker never waits for the parent,
# few enough that memory is bounded by the work in flight.
IN_FLIGHT_PER_JOB = 3


class Executor(Protocol):
    def run(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[R]:
        """Run ``fn`` on every unit; results in completion order."""
        ...


class LocalExecutor(Generic[U, R]):
    """This machine: the calling process when ``jobs`` is 1, else a process pool of ``jobs``."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)

    def run(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[R]:
        if self.jobs == 1:
            for unit in units:
                yield fn(unit)
            return
        pool = ProcessPoolExecutor(max_workers=self.jobs)
        try:
            pending: set[Future[R]] = set()
            for unit in units:
                pending.add(pool.submit(fn, unit))
                while len(pending) >= IN_FLIGHT_PER_JOB * self.jobs:
                    done, pending = _wait(pending)
                    yield from (future.result() for future in done)
            while pending:
                done, pending = _wait(pending)
                yield from (future.result() for future in done)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _wait(pending: set[Future[R]]) -> tuple[set[Future[R]], set[Future[R]]]:
    done, still = wait(pending, return_when=FIRST_COMPLETED)
    return set(done), set(still)

"""Where units of work run: one seam for the engine's parallel stages (local processes by default, a Dask cluster when asked).

An executor takes a picklable function and picklable units and yields each
unit's result as it completes; callers that need a stable order sort what
they get. ``run_shared`` also sends one object (a scan's rules and
settings) once to every worker instead of once per unit.

The local executor runs units in this process (``jobs`` 1) or in a pool of
worker processes. The Dask executor sends them to a Dask distributed
cluster (``distributed`` is imported only when it is chosen): a worker that
dies loses no work, the scheduler runs its units elsewhere; a unit that
fails for good (it raised ``RETRIES + 1`` times, or killed the workers that
ran it) is handed to the caller's ``failed`` function, which turns it into a
result (the scan retries its files one by one, then lists the culprit as
skipped with the reason).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Generic, Protocol, TypeVar

from patchaudit.errors import InputError
from patchaudit.lifetime import die_with_parent, stop_workers

U = TypeVar("U")
R = TypeVar("R")
S = TypeVar("S")

# Units queued per worker: enough that a worker never waits for the parent,
# few enough that memory is bounded by the work in flight.
IN_FLIGHT_PER_JOB = 3
# Dask reruns a unit that raised this many times more before it counts as
# failed; a unit whose worker died is rerun by the scheduler on its own
# terms (distributed.scheduler.allowed-failures, 3 by default).
RETRIES = 1
# A finished unit whose result was lost with its worker before it was fetched is run again.
LOST_RESULTS = 3
# Files of the tree whose content every worker must see as the client does.
TREE_SAMPLE = 64
# Where check_tree()'s files must be, said when a worker does not see them.
WHAT_TREE = "the tree must be on storage every worker shares, at the same path"

Failed = Callable[[U, str], R]
# What --scheduler accepts: Dask's TCP and TLS transports, a host and a port.
_ADDRESS = re.compile(r"(tcp|tls)://([^\s/:\[\]]+|\[[0-9a-fA-F:.]+\]):[0-9]{1,5}")


class Executor(Protocol):
    def run(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[R]:
        """Run ``fn`` on every unit; results in completion order."""
        ...

    def run_shared(self, fn: Callable[[S, U], R], shared: S, units: Iterable[U],
                   failed: Failed[U, R] | None = None) -> Iterator[R]:
        """Run ``fn(shared, unit)`` on every unit, ``shared`` sent once per worker."""
        ...

    @property
    def remote(self) -> bool:
        """Whether units run on other hosts (caches are then the workers' own)."""
        ...

    def check_tree(self, root: str, paths: Sequence[str], what: str = WHAT_TREE) -> None:
        """Raise InputError unless every worker reads the same bytes at ``root``/``paths``.

        ``what`` says in the error what the files are and where they must be.
        """
        ...


class LocalExecutor:
    """This machine: the calling process when ``jobs`` is 1, else a process pool of ``jobs``."""

    remote = False

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)

    def run(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[R]:
        if self.jobs == 1:
            for unit in units:
                yield fn(unit)
            return
        pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=die_with_parent,
                                   initargs=(os.getpid(),))
        yield from _pooled(pool, fn, units, self.jobs)

    def run_shared(self, fn: Callable[[S, U], R], shared: S, units: Iterable[U],
                   failed: Failed[U, R] | None = None) -> Iterator[R]:
        # ``failed`` is never called here: an exception in a unit is a bug and
        # propagates, as it always did (units handle bad input themselves).
        if self.jobs == 1:
            for unit in units:
                yield fn(shared, unit)
            return
        pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_keep_shared,
                                   initargs=(shared, os.getpid()))
        yield from _pooled(pool, _SharedCall(fn), units, self.jobs)

    def check_tree(self, root: str, paths: Sequence[str], what: str = WHAT_TREE) -> None:
        """Local workers read the files this process lists: nothing to compare."""


def _pooled(pool: ProcessPoolExecutor, fn: Callable[[U], R], units: Iterable[U],
            jobs: int) -> Iterator[R]:
    try:
        pending: set[Future[R]] = set()
        for unit in units:
            pending.add(pool.submit(fn, unit))
            while len(pending) >= IN_FLIGHT_PER_JOB * jobs:
                done, pending = _wait(pending)
                yield from (future.result() for future in done)
        while pending:
            done, pending = _wait(pending)
            yield from (future.result() for future in done)
    except BaseException:
        # An error, Ctrl-C, SIGTERM or a consumer that stops early: the units in
        # flight are not waited for. The pool then fails every queued unit itself;
        # cancelling them as well races with that (CPython 3.11 prints an
        # InvalidStateError from its own thread).
        stop_workers(pool)
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)


def _wait(pending: set[Future[R]]) -> tuple[set[Future[R]], set[Future[R]]]:
    done, still = wait(pending, return_when=FIRST_COMPLETED)
    return set(done), set(still)


_SHARED: Any = None


def _keep_shared(shared: object, parent: int) -> None:
    """Process-pool initializer: keep the shared object (sent once a process); die with ``parent``."""
    global _SHARED
    die_with_parent(parent)
    _SHARED = shared


class _SharedCall(Generic[S, U, R]):
    """``fn(shared, unit)`` in a pool process, with the shared object its initializer kept."""

    def __init__(self, fn: Callable[[S, U], R]) -> None:
        self.fn = fn

    def __call__(self, unit: U) -> R:
        return self.fn(_SHARED, unit)


class DaskExecutor:
    """A Dask distributed cluster, reached through its scheduler's address (``tcp://HOST:PORT``)."""

    remote = True

    def __init__(self, scheduler: str, *, timeout: float = 30.0) -> None:
        try:
            import distributed
        except ImportError:
            raise InputError("--executor dask", "needs Dask: pip install 'patchaudit[cluster]'") from None
        if not _ADDRESS.fullmatch(scheduler):
            raise InputError(scheduler, "not a Dask scheduler address (tcp://HOST:PORT or tls://HOST:PORT)")
        try:
            # Any: distributed is optional and only partly annotated.
            self.client: Any = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, ValueError) as exc:
            raise InputError(scheduler, f"cannot reach the Dask scheduler: {_one_line(exc)}") from None
        self.scheduler = scheduler
        self.timeout = timeout

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def threads(self) -> int:
        """Task slots of the cluster now (waits for a first worker)."""
        self._some_worker()
        return sum(self.client.nthreads().values()) or 1

    def _some_worker(self) -> None:
        try:
            self.client.wait_for_workers(1, timeout=self.timeout)
        except TimeoutError:
            raise InputError(self.scheduler, f"no Dask worker joined within {self.timeout:g} s") from None

    def run(self, fn: Callable[[U], R], units: Iterable[U]) -> Iterator[R]:
        return self._run(fn, (), units, None)

    def run_shared(self, fn: Callable[[S, U], R], shared: S, units: Iterable[U],
                   failed: Failed[U, R] | None = None) -> Iterator[R]:
        # A task of its own, not scattered data: each worker fetches it once
        # from the first that has it, and the scheduler can compute it again
        # if every worker holding it dies.
        handle = self.client.submit(_same, shared, pure=False)
        try:
            yield from self._run(fn, (handle,), units, failed)
        finally:
            self.client.cancel([handle])

    def _run(self, fn: Callable[..., R], head: tuple[Any, ...], units: Iterable[U],
             failed: Failed[U, R] | None) -> Iterator[R]:
        import distributed

        limit = IN_FLIGHT_PER_JOB * self.threads()
        which: dict[Any, tuple[U, int]] = {}  # future key -> unit, and how often it was lost
        flow: Any = distributed.as_completed(loop=self.client.loop)

        def submit(unit: U, lost: int) -> None:
            future = self.client.submit(fn, *head, unit, retries=RETRIES, pure=False)
            which[future.key] = (unit, lost)
            flow.add(future)

        def collect(future: Any) -> Iterator[R]:
            unit, lost = which.pop(future.key)
            if future.status == "error":
                error = future.exception()
                if failed is None:
                    raise error
                yield failed(unit, _reason(error))
                return
            try:
                yield future.result()
            except (distributed.client.FutureCancelledError, OSError) as error:
                # Done, but the worker holding the result died before it was
                # fetched: run it again (a few times, then it is an error).
                if lost >= LOST_RESULTS:
                    raise InputError(self.scheduler, f"results keep being lost: {_one_line(error)}") from None
                submit(unit, lost + 1)

        try:
            for unit in units:
                submit(unit, 0)
                while flow.count() >= limit:
                    yield from collect(next(flow))
            while not flow.is_empty():
                yield from collect(next(flow))
        finally:
            # Cancelling here (an error, Ctrl-C, a consumer that stops) stops
            # the cluster's work for this run.
            self.client.cancel(list(flow.futures))

    def check_tree(self, root: str, paths: Sequence[str], what: str = WHAT_TREE) -> None:
        """Compare the content hashes of ``paths`` as every worker reads them with this host's.

        Also that every worker runs this version of patchaudit: one that
        cannot would fail every unit, and the scan would list every file as
        skipped.
        """
        from patchaudit import __version__

        mine = tree_digests(root, paths)
        self._some_worker()
        try:
            theirs: dict[str, tuple[str, dict[str, str]]] = self.client.run(
                worker_view, root, list(paths))
        except Exception as exc:  # raised on a worker: its own error, passed back
            raise InputError(self.scheduler, "a Dask worker cannot run patchaudit "
                             f"({type(exc).__name__}: {_one_line(exc)}); install "
                             f"patchaudit {__version__} on every worker") from None
        for worker, (version, digests) in sorted(theirs.items()):
            if version != __version__:
                raise InputError(worker, f"Dask worker runs patchaudit {version}, this host "
                                 f"{__version__}: install the same version on every worker")
            for path in paths:
                if digests.get(path) != mine.get(path):
                    seen = digests.get(path, "")
                    problem = (f"cannot read it ({seen[len('error: '):]})"
                               if seen.startswith("error:") else "sees other content than this host")
                    raise InputError(
                        os.path.join(root, path),
                        f"Dask worker {worker} {problem} ({what})")


def worker_view(root: str, paths: Sequence[str]) -> tuple[str, dict[str, str]]:
    """What a worker runs and sees: its patchaudit version and tree_digests()."""
    from patchaudit import __version__

    return __version__, tree_digests(root, paths)


def _same(value: S) -> S:
    return value


def tree_digests(root: str, paths: Sequence[str]) -> dict[str, str]:
    """SHA-256 of each file, or why it could not be read; runs on every worker."""
    found = {}
    for path in paths:
        try:
            with open(os.path.join(root, path), "rb") as handle:
                found[path] = hashlib.sha256(handle.read()).hexdigest()
        except OSError as exc:
            found[path] = f"error: {exc.strerror or exc}"
    return found


def tree_sample(paths: Sequence[str], size: int = TREE_SAMPLE) -> list[str]:
    """``size`` of ``paths`` spread evenly over the sorted listing (the first and last included)."""
    ordered = sorted(paths)
    if len(ordered) <= size:
        return ordered
    step = (len(ordered) - 1) / (size - 1)
    return [ordered[round(i * step)] for i in range(size)]


def _reason(error: BaseException) -> str:
    if type(error).__name__ == "KilledWorker":
        # The scheduler gave up after the workers running it died, again and again.
        return "its worker died each time it ran (killed, crashed or out of memory)"
    return f"it failed {RETRIES + 1} times: {type(error).__name__}: {_one_line(error)}"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]


def make_executor(kind: str, jobs: int, scheduler: str | None) -> LocalExecutor | DaskExecutor:
    """The executor that ``--executor`` names; ``scheduler`` is needed for dask."""
    if kind == "local":
        if scheduler is not None:
            raise InputError("--scheduler", "only with --executor dask")
        return LocalExecutor(jobs)
    if kind == "dask":
        if not scheduler:
            raise InputError("--executor dask", "needs --scheduler tcp://HOST:PORT")
        return DaskExecutor(scheduler)
    raise InputError("--executor", f"unknown executor '{kind}' (local or dask)")

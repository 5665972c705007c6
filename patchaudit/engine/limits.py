"""The per-file budget scan and check share: a size past which a file is not analysed, a time limit."""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from patchaudit.cfront import MAX_FILE_SIZE

# The largest time limit accepted: setitimer's range ends not far beyond it.
MAX_SECONDS = 1_000_000


@dataclass(frozen=True)
class ScanLimits:
    """What one file may cost; larger or slower files are listed as skipped, with the reason."""

    max_file_size: int = MAX_FILE_SIZE  # larger files are not analysed (generated register tables)
    seconds_per_file: float = 60.0  # parse and analysis of one file; 0: no limit


class FileTimeout(Exception):
    """Raised when one file takes longer than its limit (interval timer, or a thread's watchdog)."""


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise FileTimeout


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise FileTimeout after ``seconds`` of wall time (0: no limit).

    In the main thread (a pool process) an interval timer's signal raises
    it; in another thread (a Dask worker runs tasks in threads, where
    signals never arrive) the thread's watchdog raises it asynchronously.
    Either way it arrives between two Python bytecodes, so a long call into
    C (the tree-sitter parser, which has its own limit) ends first.
    """
    if seconds <= 0:
        yield
    elif threading.current_thread() is threading.main_thread():
        with _signal_limit(seconds):
            yield
    else:
        with _thread_limit(seconds):
            yield


@contextmanager
def _signal_limit(seconds: float) -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _raise_in(thread: int, error: type[BaseException] | None) -> None:
    """Have ``thread`` raise ``error`` at its next bytecode (None: withdraw a pending one)."""
    exception = ctypes.py_object(error) if error is not None else None  # None is NULL
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), exception)


class _Watchdog:
    """One per thread that asks for time limits: raises FileTimeout in it when a deadline passes.

    A thread of its own for the thread's lifetime, woken once per file,
    where a timer thread a file would cost 0.15 ms a file (measured).
    """

    def __init__(self, target: int) -> None:
        self.target = target
        self.wake = threading.Condition()
        self.deadline: float | None = None
        self.fired = False
        threading.Thread(target=self._watch, name="patchaudit-time-limit", daemon=True).start()

    def _watch(self) -> None:
        with self.wake:
            while True:
                if self.deadline is None:
                    self.wake.wait()
                    continue
                left = self.deadline - time.monotonic()
                if left > 0:
                    self.wake.wait(left)
                    continue
                self.deadline = None
                self.fired = True
                _raise_in(self.target, FileTimeout)

    def arm(self, seconds: float) -> None:
        with self.wake:
            self.fired = False
            self.deadline = time.monotonic() + seconds
            self.wake.notify()

    def disarm(self) -> bool:
        """End the limit; whether it fired (a FileTimeout not yet delivered is withdrawn)."""
        with self.wake:  # never once the block has ended: the watchdog holds this to fire
            self.deadline = None
            fired, self.fired = self.fired, False
            if fired:
                _raise_in(self.target, None)
        return fired


_WATCHDOGS = threading.local()


@contextmanager
def _thread_limit(seconds: float) -> Iterator[None]:
    watchdog: _Watchdog | None = getattr(_WATCHDOGS, "watchdog", None)
    if watchdog is None:
        watchdog = _WATCHDOGS.watchdog = _Watchdog(threading.get_ident())
    watchdog.arm(seconds)
    try:
        yield
    finally:
        fired = watchdog.disarm()
    if fired:
        # Raised here, where the caller expects it, if it had not arrived yet
        # (the block ended inside C code).
        raise FileTimeout


def over_limit(size: int, limit: int) -> str:
    """The skip reason of a file of ``size`` bytes over the analysis limit."""
    return f"{size} bytes, over the {limit}-byte analysis limit"


def timed_out(limit: float) -> str:
    """The skip reason of a file whose analysis took longer than ``limit`` seconds."""
    return f"analysis took longer than {limit:g} s"

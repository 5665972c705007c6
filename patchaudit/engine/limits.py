"""The per-file budget scan and check share: a size past which a file is not analysed, a time limit."""

from __future__ import annotations

import signal
import threading
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
    """Raised by the interval timer when one file takes longer than its limit."""


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise FileTimeout


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise FileTimeout after ``seconds`` of wall time (main thread only; 0: no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def over_limit(size: int, limit: int) -> str:
    """The skip reason of a file of ``size`` bytes over the analysis limit."""
    return f"{size} bytes, over the {limit}-byte analysis limit"


def timed_out(limit: float) -> str:
    """The skip reason of a file whose analysis took longer than ``limit`` seconds."""
    return f"analysis took longer than {limit:g} s"

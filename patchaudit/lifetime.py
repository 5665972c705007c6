"""Process lifetime: workers die with their parent, and SIGTERM stops a run as Ctrl-C does."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# <linux/prctl.h>: deliver a signal to this process when its parent thread dies.
_PR_SET_PDEATHSIG = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwind like an interrupt (workers stopped, nothing half-written)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While inside, SIGTERM raises Terminated (unless someone else already handles it)."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def die_with_parent(parent: int) -> None:
    """Make this worker process die when ``parent`` does, however it dies (SIGKILL included).

    Without this, the workers of a killed ``scan -j N`` ran on for good,
    holding the caller's pipes open so that the caller hung as well. A
    worker leaves Ctrl-C and SIGTERM handling to its parent (signals sent to
    the process group reach it too), and dies by the default SIGTERM action.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the pipe to the parent still ends a worker at its next task
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers now: an interrupted run does not wait for their chunks."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        try:
            process.kill()
        except (OSError, ValueError):
            pass

"""The scan's progress line for a terminal: files done, findings so far, rate; the CLI decides where."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TextIO

from patchaudit.engine.scan import ScanProgress

# Redrawing more often than this costs more terminal time than it informs.
REDRAW_SECONDS = 0.2


def progress_text(state: ScanProgress) -> str:
    rate = state.files_done / state.seconds if state.seconds > 0 else 0.0
    share = 100 * state.files_done // state.files_total if state.files_total else 100
    return (
        f"scan: {state.files_done:,}/{state.files_total:,} files ({share}%), "
        f"{state.analysed:,} analysed, {state.findings:,} findings, {rate:,.0f} files/s"
    )


@dataclass
class ProgressLine:
    """Redraws one line on ``stream`` (carriage return, no newline) and erases it at the end."""

    stream: TextIO
    last: float = 0.0
    width: int = 0

    def __call__(self, state: ScanProgress) -> None:
        now = time.monotonic()
        if now - self.last < REDRAW_SECONDS and state.files_done < state.files_total:
            return
        self.last = now
        text = progress_text(state)
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

"""The bot's log: one line an event, ``TIME level=L event=E key=value ...``, stable and greppable.

Values come from untrusted mail (subjects, ids): they are quoted and escaped
so that no value can start a line of its own or pass for another key.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import TextIO

_BARE = re.compile(r"^[A-Za-z0-9_.:/@<>+,%-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
MAX_VALUE = 300  # a subject is cut here: a log line stays a line


def quote(value: object) -> str:
    """A value as logfmt writes it: bare when safe, else in double quotes with escapes."""
    text = str(value)
    if len(text) > MAX_VALUE:
        text = text[:MAX_VALUE] + "..."
    if text and _BARE.match(text):
        return text
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F or 0xD800 <= ord(char) <= 0xDFFF:
            out.append(f"\\x{ord(char) & 0xFF:02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def timestamp(seconds: float) -> str:
    """UTC with milliseconds, as every log line starts: 2026-03-02T10:00:00.123Z."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{whole}.{int(seconds % 1 * 1000):03d}Z"


class Log:
    """Writes event lines to a file (appended) or to stderr; never raises on a full disk."""

    def __init__(self, path: Path | None = None, stream: TextIO | None = None) -> None:
        self._path = path
        self._stream = stream
        self._file: TextIO | None = None
        if path is not None:
            self._file = open(path, "a", encoding="utf-8", errors="replace")  # noqa: SIM115

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __call__(self, level: str, event: str, **fields: object) -> None:
        parts = [timestamp(time.time()), f"level={level}", f"event={event}"]
        parts += [f"{key}={quote(value)}" for key, value in fields.items()]
        line = " ".join(parts) + "\n"
        target = self._file or self._stream or sys.stderr
        try:
            target.write(line)
            target.flush()
        except (OSError, ValueError):
            pass

    def info(self, event: str, **fields: object) -> None:
        self("info", event, **fields)

    def warning(self, event: str, **fields: object) -> None:
        self("warning", event, **fields)

    def error(self, event: str, **fields: object) -> None:
        self("error", event, **fields)


def rss_kb(pid: int | None = None) -> int:
    """Resident memory of a process (this one by default) in KiB, from /proc; 0 if unknown."""
    try:
        text = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0

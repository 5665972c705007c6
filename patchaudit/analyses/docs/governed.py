"""The code a file's comments govern: a header and the .c files that implement it, found by name.

The search is bounded (a fixed list of candidate paths, each read once) and
needs no listing of the tree: a header include/linux/foo.h is implemented by
a foo.c in one of the core directories, or beside it, that includes it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from patchaudit.errors import InputError

Reader = Callable[[str], "bytes | None"]

# Where the implementation of a generic header lives, by kernel convention
# (include/linux/balloon_compaction.h -> mm/balloon_compaction.c).
IMPLEMENTATION_DIRS = (
    "mm", "kernel", "lib", "fs", "block", "ipc", "init", "security", "crypto", "net/core",
    "drivers/base", "kernel/locking", "kernel/sched", "kernel/time", "kernel/irq", "kernel/rcu",
    "kernel/printk", "kernel/power", "kernel/dma",
)  # fmt: skip


def include_name(header: str) -> str | None:
    """How code names a header in ``#include <...>``: include/linux/foo.h -> linux/foo.h."""
    if header.startswith("include/"):
        return header[len("include/") :]
    return None


def includes(data: bytes, header: str) -> bool:
    """Whether a file's text includes ``header`` (by <path> or by a "name" beside it)."""
    text = data.decode("utf-8", "surrogateescape")
    wanted = [re.escape(posixpath.basename(header))]
    public = include_name(header)
    if public is not None:
        wanted.append(re.escape(public))
    pattern = rf'^\s*#\s*include\s*[<"](?:{"|".join(wanted)})[>"]'
    return re.search(pattern, text, re.MULTILINE) is not None


def _header_candidates(header: str) -> list[str]:
    stem = posixpath.splitext(posixpath.basename(header))[0]
    found = [posixpath.join(posixpath.dirname(header), stem + ".c")]
    if header.startswith("include/"):
        found.extend(posixpath.join(directory, stem + ".c") for directory in IMPLEMENTATION_DIRS)
    return found


def _source_candidates(source: str) -> list[str]:
    stem = posixpath.splitext(posixpath.basename(source))[0]
    return [
        posixpath.join(posixpath.dirname(source), stem + ".h"),
        posixpath.join("include/linux", stem + ".h"),
    ]


def _read(read: Reader, path: str) -> bytes | None:
    """A candidate that cannot be read (a directory, too big) is simply not one."""
    try:
        return read(path)
    except InputError:
        return None


def governed_files(path: str, read: Reader) -> tuple[str, ...]:
    """``path`` first, then the files that implement it (a header) or that it implements (a .c).

    A candidate counts only if it exists and the .c file of the pair
    includes the header, so a same-named but unrelated file is not taken.
    """
    found = [path]
    if path.endswith(".h"):
        for candidate in _header_candidates(path):
            data = _read(read, candidate)
            if candidate not in found and data is not None and includes(data, path):
                found.append(candidate)
    elif path.endswith(".c"):
        own = _read(read, path)
        for candidate in _source_candidates(path):
            if candidate in found or own is None or _read(read, candidate) is None:
                continue
            if includes(own, candidate):
                found.append(candidate)
    return tuple(found)

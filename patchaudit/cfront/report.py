"""parse-report: how well the C front end understands a tree, as a JSON-able dict."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from patchaudit.cfront import digest, parse_c
from patchaudit.cfront.cache import ParseCache
from patchaudit.errors import InputError
from patchaudit.lifetime import die_with_parent, stop_workers
from patchaudit.textbytes import to_bytes

C_SUFFIXES = (".c", ".h")
TOP_CONSTRUCTS = 20
# Files per task handed to a worker process: large enough to amortise the
# inter-process traffic, small enough to balance a few huge files.
CHUNK_FILES = 16
_NOTE = "parse-report-v1"  # the summary record's namespace in the parse cache


@dataclass(frozen=True)
class FileStats:
    """What one file contributes to the report."""

    path: str  # relative to the report's root, "/"-separated
    size: int
    functions: int
    functions_with_errors: int
    constructs: tuple[str, ...]
    issues: tuple[str, ...]


def collect_files(root: Path, paths: Sequence[str] = ()) -> list[str]:
    """The .c and .h files under ``root``/``paths`` (all of ``root`` if none), sorted, relative.

    Symbolic links are not followed (the kernel's few point back into the
    tree). A path that does not exist or leaves ``root`` is an InputError.
    """
    if not root.is_dir():
        raise InputError(str(root), "not a directory")
    base = root.resolve()
    found: set[str] = set()
    for given in paths or (".",):
        target = (base / given).resolve()
        if target != base and base not in target.parents:
            raise InputError(given, f"outside the tree {root}")
        if target.is_file():
            if target.suffix in C_SUFFIXES:
                found.add(target.relative_to(base).as_posix())
            continue
        if not target.is_dir():
            raise InputError(given, f"no such file or directory under {root}")
        for directory, subdirs, names in os.walk(target):
            subdirs[:] = [d for d in subdirs if not os.path.islink(os.path.join(directory, d))]
            for name in names:
                full = os.path.join(directory, name)
                if name.endswith(C_SUFFIXES) and not os.path.islink(full):
                    found.add(Path(full).relative_to(base).as_posix())
    return sorted(found)


def file_stats(root: Path, rel: str, cache: ParseCache | None) -> FileStats:
    """Parse one file (through the cache) and summarise it; problems become issues."""
    try:
        data = (root / rel).read_bytes()
    except OSError as exc:
        return FileStats(rel, 0, 0, 0, (), (f"cannot read: {exc.strerror or exc}",))
    key = digest(data)
    if cache is not None:
        # A warm re-run reads this small summary instead of rebuilding the IR.
        note = cache.get_note(_NOTE, key)
        if note is not None:
            try:
                size, functions, with_errors, constructs, issues = json.loads(note)
                return FileStats(rel, size, functions, with_errors, tuple(constructs), tuple(issues))
            except (ValueError, TypeError):
                pass  # a damaged note is a miss
    try:
        ir = parse_c(data, rel, cache=cache)
    except InputError as exc:
        return FileStats(rel, len(data), 0, 0, (), (exc.problem,))
    stats = FileStats(
        rel,
        len(data),
        len(ir.functions),
        sum(1 for fn in ir.functions if fn.has_error),
        ir.error_constructs,
        tuple(issue.message for issue in ir.issues),
    )
    if cache is not None:
        record = [stats.size, stats.functions, stats.functions_with_errors,
                  list(stats.constructs), list(stats.issues)]
        cache.put_note(_NOTE, key, to_bytes(json.dumps(record)))
    return stats


def _chunk_stats(root: str, rels: list[str], cache_dir: str | None) -> list[FileStats]:
    """Worker-process entry point: plain arguments so that they pickle cheaply."""
    cache = ParseCache(Path(cache_dir)) if cache_dir is not None else None
    return [file_stats(Path(root), rel, cache) for rel in rels]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def parse_report(
    root: Path, paths: Sequence[str] = (), *, jobs: int = 1, cache: ParseCache | None = None
) -> dict[str, object]:
    """Parse every .c/.h file under ``root``/``paths`` and report the front end's error rate.

    ``jobs`` processes share the work (1: in this process); the result does
    not depend on it. ``cache`` None parses everything afresh.
    """
    if jobs < 1:
        raise InputError("-j", f"needs a positive number of jobs, not {jobs}")
    files = collect_files(root, paths)
    started = time.perf_counter()
    stats: list[FileStats] = []
    if jobs == 1 or len(files) <= CHUNK_FILES:
        stats = [file_stats(root, rel, cache) for rel in files]
    else:
        cache_dir = str(cache.directory) if cache is not None else None
        chunks = list(_chunks(files, CHUNK_FILES))
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent,
                                   initargs=(os.getpid(),))  # fmt: skip
        try:
            futures = [pool.submit(_chunk_stats, str(root), chunk, cache_dir) for chunk in chunks]
            for future in futures:
                stats.extend(future.result())
        except BaseException:
            # Ctrl-C or SIGTERM: do not wait for the chunks in flight (and cancel
            # nothing: the pool fails the rest itself, see engine/executors.py).
            stop_workers(pool)
            pool.shutdown(wait=True)
            raise
        pool.shutdown(wait=True)
    seconds = time.perf_counter() - started
    return summarise(stats, seconds)


def summarise(stats: Sequence[FileStats], seconds: float) -> dict[str, object]:
    """The report's JSON shape from per-file figures (in file order)."""
    total_bytes = sum(s.size for s in stats)
    functions = sum(s.functions for s in stats)
    with_errors = sum(s.functions_with_errors for s in stats)
    constructs = Counter(c for s in stats for c in s.constructs)
    top = sorted(constructs.items(), key=lambda item: (-item[1], item[0]))[:TOP_CONSTRUCTS]
    return {
        "files": len(stats),
        "bytes": total_bytes,
        "functions": functions,
        "functions_with_errors": with_errors,
        "error_rate": round(with_errors / functions, 6) if functions else 0.0,
        "seconds": round(seconds, 3),
        "mb_per_second": round(total_bytes / 1e6 / seconds, 3) if seconds > 0 else 0.0,
        "top_error_constructs": [[construct, count] for construct, count in top],
        "files_with_issues": [
            {"path": s.path, "issues": list(s.issues)} for s in stats if s.issues
        ],
    }

"""Speed and size of the tree index, next to the raw parse of the same files, in one run.

    python bench/index_speed.py KERNEL_TREE WORKDIR [PATH ...] [-j N] [--touch FILE]

WORKDIR must not exist or be empty: it receives the parse caches and the
index database, so every step starts cold. Steps, each a `patchaudit`
process of this checkout, timed from outside (wall time, and the peak
resident memory of the process and its workers from getrusage):

1. ``parse-report`` with an empty parse cache: the raw tree-sitter parse
   (kernel macros masked, as every stage sees them) of the same files;
2. ``index`` cold, with another empty parse cache;
3. ``index`` again, nothing changed;
4. ``index`` after touching one file (``--touch``, default
   mm/balloon_compaction.c): its mtime is set forward and back, so the
   tree's content is never changed.

Prints one JSON object: the seconds, rounds and files of each step, the
ratio of the cold index to the raw parse, the database size and the peak
memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str]) -> tuple[float, str, int]:
    """Run ``python -m patchaudit ARGS``: wall seconds, stdout, peak RSS (KiB) of the largest
    process so far (getrusage of the children, workers included)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "patchaudit", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"patchaudit {' '.join(args)}: exit {done.returncode}: "
                         f"{done.stderr.strip()[-400:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    skipped = [line for line in done.stderr.splitlines() if ": skipped " in line]
    reasons = sorted({line.rsplit(": ", 1)[-1] for line in skipped})
    summary = done.stdout.strip().splitlines()[-1:] if done.stdout.strip() else []
    note = f"{len(skipped)} files skipped ({'; '.join(reasons)})" if skipped else "none skipped"
    return seconds, "\n".join([*summary, note]) if args[0] == "index" else done.stdout, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--touch", default="mm/balloon_compaction.c")
    options = parser.parse_args()
    work = options.workdir
    if work.exists() and any(work.iterdir()):
        parser.error(f"{work} is not empty: every step must start cold")
    work.mkdir(parents=True, exist_ok=True)
    tree = str(options.tree)
    jobs = ["-j", str(options.jobs)]
    database = work / "index.sqlite"
    index = ["index", tree, *options.paths, *jobs, "--index", str(database),
             "--cache-dir", str(work / "index-cache")]
    found: dict[str, object] = {"tree": tree, "paths": options.paths, "jobs": options.jobs}

    seconds, out, peak = _run(["parse-report", tree, *options.paths, *jobs,
                               "--cache-dir", str(work / "parse-cache")])
    report = json.loads(out[out.index("{"):])
    found["parse"] = {"seconds": round(seconds, 1), "files": report.get("files")}

    seconds, out, peak = _run(index)
    found["index_cold"] = {"seconds": round(seconds, 1), "output": out.splitlines()}
    found["peak_rss_mib"] = round(peak / 1024)

    seconds, out, _ = _run(index)
    found["index_nothing_changed"] = {"seconds": round(seconds, 2), "output": out.splitlines()}

    touched = options.tree / options.touch
    info = touched.stat()
    try:
        os.utime(touched, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))
        seconds, out, _ = _run(index)
    finally:
        os.utime(touched, ns=(info.st_atime_ns, info.st_mtime_ns))
    found["index_one_file"] = {"file": options.touch, "seconds": round(seconds, 2),
                               "output": out.splitlines()}
    _run(index)  # back in step with the restored mtime

    parse = found["parse"]["seconds"]  # type: ignore[index]
    cold = found["index_cold"]["seconds"]  # type: ignore[index]
    found["cold_over_parse"] = round(cold / parse, 2) if parse else None
    found["database_mib"] = round(database.stat().st_size / (1 << 20), 1)
    print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

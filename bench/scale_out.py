"""Dask against the local pool: the same scan both ways, the overhead, and the per-unit costs behind docs/scale-out.md.

    python bench/scale_out.py KERNEL_TREE [PATH...] [--jobs 2] [--noop 2000] [--repeat 3]

Starts its own cluster on 127.0.0.1 (``dask scheduler`` and ``--jobs``
``dask worker`` processes of one thread each, their caches in a temporary
directory), reads every .c/.h file once to warm the page cache, then:

1. ``patchaudit scan KERNEL_TREE PATH... --no-cache -f json -j JOBS``, measured;
2. the same with ``--executor dask --scheduler ADDRESS``, measured, and its
   JSON compared byte for byte with the first; 1 and 2 alternate ``--repeat``
   times (the best of each is compared: the machine may be shared);
3. the same scan once more on the cluster, in this process, under Dask's
   task stream: how many units, how long each computed on its worker, how
   many bytes each result was;
4. ``--noop`` empty units through each executor: the cost of one unit's
   round trip (submit, schedule, run, fetch the result), without the work.

Prints a Markdown summary. Workers' CPU is not in the client's CPU column.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from measure import HEADER, machine, run

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from patchaudit.engine import Options, scan_tree
from patchaudit.engine.executors import DaskExecutor, LocalExecutor
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.tree.base import BaseTree


def start_cluster(where: Path, workers: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    dask = shutil.which("dask") or "dask"
    scheduler_file = where / "scheduler.json"
    processes = [subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    while not scheduler_file.exists():
        time.sleep(0.1)
    time.sleep(0.3)
    address = json.loads(scheduler_file.read_text())["address"]
    for number in range(workers):
        processes.append(subprocess.Popen(
            [dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(env, PATCHAUDIT_CACHE_DIR=str(where / f"cache{number}"))))
    import distributed

    with distributed.Client(address) as client:
        client.wait_for_workers(workers)
    return address, processes


def noop(shared: int, unit: int) -> int:
    return unit


class Recording:
    """Wraps an executor; keeps the pickled size of every result it hands back."""

    def __init__(self, inner: DaskExecutor) -> None:
        self.inner = inner
        self.remote = inner.remote
        self.sizes: list[int] = []

    def check_tree(self, root: str, paths: Any) -> None:
        self.inner.check_tree(root, paths)

    def run(self, fn: Callable[[Any], Any], units: Iterable[Any]) -> Iterator[Any]:
        return self.inner.run(fn, units)

    def run_shared(self, fn: Callable[[Any, Any], Any], shared: Any, units: Iterable[Any],
                   failed: Any = None) -> Iterator[Any]:
        for result in self.inner.run_shared(fn, shared, units, failed):
            self.sizes.append(len(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)))
            yield result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tree")
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--noop", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    for path in tree.rglob("*.[ch]"):
        try:
            path.read_bytes()
        except OSError:
            pass
    with tempfile.TemporaryDirectory() as temp:
        where = Path(temp)
        address, processes = start_cluster(where, args.jobs)
        try:
            env = dict(os.environ, PYTHONPATH=str(REPO))
            scan = [sys.executable, "-m", "patchaudit", "scan", str(tree), *args.paths,
                    "--no-cache", "-f", "json"]
            print(machine())
            print(HEADER)
            walls: dict[str, list[float]] = {"local": [], "dask": []}
            for _ in range(args.repeat):  # alternated, so that the machine's load hits both alike
                local = run(f"scan -j {args.jobs}, local pool",
                            [*scan, "-j", str(args.jobs), "-o", str(where / "local.json")], env=env)
                remote = run(f"scan --executor dask, {args.jobs} workers",
                             [*scan, "--executor", "dask", "--scheduler", address,
                              "-o", str(where / "dask.json")], env=env)
                same = (where / "local.json").read_bytes() == (where / "dask.json").read_bytes()
                findings = len(json.loads((where / "local.json").read_text())["findings"])
                print(local.row(f"{findings} findings"))
                print(remote.row("JSON byte-identical to the local run" if same else "JSON DIFFERS"))
                walls["local"].append(local.wall)
                walls["dask"].append(remote.wall)
            low = {name: min(values) for name, values in walls.items()}
            print(f"\nbest of {args.repeat}: local {low['local']:.2f} s, dask {low['dask']:.2f} s, "
                  f"overhead {low['dask'] - low['local']:+.2f} s "
                  f"({(low['dask'] / low['local'] - 1) * 100:+.1f} %)")

            import distributed

            rules = load_rules([rules_dir()])
            with DaskExecutor(address) as executor:
                recording = Recording(executor)
                with distributed.get_task_stream(executor.client) as stream:
                    started = time.monotonic()
                    scan_tree(BaseTree(tree), args.paths, rules, Options(), executor=recording)
                    wall = time.monotonic() - started
                computes = sorted(
                    sum(s["stop"] - s["start"] for s in task["startstops"] if s["action"] == "compute")
                    for task in stream.data if task["key"].startswith("scan_chunk"))
                print(f"\nin-process cluster scan: {wall:.2f} s wall, {len(computes)} units, "
                      f"compute per unit: median {computes[len(computes) // 2]:.3f} s, "
                      f"max {computes[-1]:.3f} s, total {sum(computes):.1f} s; "
                      f"result bytes per unit: median "
                      f"{sorted(recording.sizes)[len(recording.sizes) // 2]:,}, "
                      f"total {sum(recording.sizes):,}")
                started = time.monotonic()
                count = sum(1 for _ in executor.run_shared(noop, 0, range(args.noop)))
                per = (time.monotonic() - started) / count
                print(f"{count} empty units on the cluster: {per * 1000:.2f} ms each")
            started = time.monotonic()
            count = sum(1 for _ in LocalExecutor(args.jobs).run_shared(noop, 0, range(args.noop)))
            per = (time.monotonic() - started) / count
            print(f"{count} empty units in the local pool: {per * 1000:.3f} ms each")
        finally:
            for process in reversed(processes):
                process.terminate()
            for process in processes:
                process.wait()


if __name__ == "__main__":
    main()

"""Run a command under /usr/bin/time -v and report wall time, CPU time and peak memory (bench helper).

Peak memory is given twice: /usr/bin/time's maximum resident set size is
that of the largest single process, so the proportional set sizes of the
whole process tree (a scan's workers) are also summed from /proc every 50 ms.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    label: str
    wall: float  # seconds
    cpu: float  # user + system seconds, children included
    peak_kb: int  # largest single process (GNU time)
    tree_kb: int  # largest proportional set size summed over the process tree, sampled
    status: int
    stdout: str
    stderr: str

    def row(self, result: str) -> str:
        return (
            f"| {self.label} | {self.wall:.2f} | {self.cpu:.2f} | {self.peak_kb / 1024:.0f} "
            f"| {self.tree_kb / 1024:.0f} | {result} |"
        )


HEADER = (
    "| what | wall s | CPU s | peak RSS MB (largest process) | peak PSS MB (all processes) | result |\n"
    "| --- | ---: | ---: | ---: | ---: | --- |"
)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(child) for child in text.split())
    except OSError:
        pass
    return found


def _pss_kb(pid: int) -> int:
    # Proportional set size: a page shared by forked workers counts once in
    # the sum, where adding their resident sets would count it per process.
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _tree_pss(root: int) -> int:
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _pss_kb(pid)
        pending.extend(_children(pid))
    return total


def run(label: str, command: Sequence[str], *, cwd: str | None = None,
        env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` once, measured; its output is kept for the caller to check."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        full = ["/usr/bin/time", "-v", "-o", report.name, *command]
        started = time.monotonic()
        process = subprocess.Popen(full, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, errors="replace")
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_pss(process.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = process.communicate()
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        text = Path(report.name).read_text()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))  # type: ignore[union-attr]
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))  # type: ignore[union-attr]
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))  # type: ignore[union-attr]
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if elapsed is not None:
        parts = [float(p) for p in elapsed.group(1).split(":")]
        wall = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    # The sampled tree includes /usr/bin/time itself (under 1 MB).
    return Measured(label, wall, user + system, rss, peak[0], process.returncode, stdout, stderr)


def machine() -> str:
    """One line about the machine the figures come from."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, AttributeError):
        pass
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores ({model}){memory}; load average before the run "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def snapshot(repo: Path, into: Path) -> Path:
    """A copy of patchaudit's code, rules and templates to run from.

    The result cache is keyed by a hash of the analysis code: an edit to the
    checkout during a long benchmark would turn its warm run into a cold one.
    """
    target = into / "snapshot"
    for name in ("patchaudit", "rules", "templates"):
        shutil.copytree(repo / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    # Byte-compiled, as pip install leaves an installed package: where
    # PYTHONDONTWRITEBYTECODE is set (this machine sets it), every run would
    # otherwise compile the sources again, 0.1 s a process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(target / "patchaudit")],
                   check=True)
    return target

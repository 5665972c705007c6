"""A scan's workers die with it: SIGTERM stops it like Ctrl-C, SIGKILL leaves no worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.kernel


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; whoever adopted it reaps it


def _scan_with_workers(kernel_tree: Path, cache: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    scan = subprocess.Popen(
        [sys.executable, "-m", "patchaudit", "scan", str(kernel_tree), "mm", "fs", "-j", "2",
         "--all-rules", "--no-grep", "--cache-dir", str(cache), "-f", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = _children(scan.pid)
        if len(workers) >= 2:
            time.sleep(0.5)  # let them start on their chunks
            return scan, workers
        assert scan.poll() is None, scan.communicate()
        time.sleep(0.05)
    scan.kill()
    raise AssertionError("the scan never started its workers")


def _gone(workers: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(_alive, workers)):
        time.sleep(0.05)
    return [pid for pid in workers if _alive(pid)]


def test_sigterm_stops_the_scan_and_its_workers(kernel_tree: Path, tmp_path: Path) -> None:
    scan, workers = _scan_with_workers(kernel_tree, tmp_path / "cache")
    started = time.monotonic()
    scan.send_signal(signal.SIGTERM)
    # communicate() returns only when every holder of the pipes has closed them.
    out, err = scan.communicate(timeout=30)
    assert time.monotonic() - started < 15
    assert scan.returncode == 128 + signal.SIGTERM
    assert err == b"patchaudit: terminated\n" and out == b""
    assert _gone(workers, 10) == []


def test_sigkill_of_the_parent_kills_its_workers(kernel_tree: Path, tmp_path: Path) -> None:
    scan, workers = _scan_with_workers(kernel_tree, tmp_path / "cache")
    scan.kill()
    scan.communicate(timeout=30)
    assert _gone(workers, 10) == []


def test_sigterm_stops_parse_report_and_its_workers(kernel_tree: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    report = subprocess.Popen(
        [sys.executable, "-m", "patchaudit", "parse-report", str(kernel_tree), "fs", "-j", "2",
         "--no-cache"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(workers := _children(report.pid)) < 2:
        assert time.monotonic() < deadline and report.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    report.send_signal(signal.SIGTERM)
    out, err = report.communicate(timeout=30)
    assert report.returncode == 128 + signal.SIGTERM and err == b"patchaudit: terminated\n"
    assert _gone(workers, 10) == []

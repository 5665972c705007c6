"""The executor seam: local runs, shared objects sent once, and what a scan makes of a unit that fails for good."""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from patchaudit.engine import Options, indexing, scan_tree
from patchaudit.engine import scan as scan_module
from patchaudit.engine.executors import LocalExecutor
from patchaudit.engine.indexing import update_index
from patchaudit.engine.limits import FileTimeout, time_limit
from patchaudit.model import FileIssue
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules([rules_dir()])


def add(offset: int, unit: int) -> int:
    return offset + unit


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_local_executor_runs_every_unit_with_the_shared_object(jobs: int) -> None:
    results = LocalExecutor(jobs).run_shared(add, 1000, range(20))
    assert sorted(results) == list(range(1000, 1020))


def test_distributed_is_not_imported_unless_dask_is_chosen() -> None:
    code = ("import sys; from patchaudit.cli import main; main(['scan', 'samples/tree', '-j', '1',"
            " '--no-cache', '-f', 'terse']); print('distributed' in sys.modules, file=sys.stderr)")
    import subprocess

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=False)
    assert result.stderr == "False\n"


class FailsChunksHolding(LocalExecutor):
    """A stand-in for a cluster whose workers die on one file: every unit holding it fails for good."""

    def __init__(self, hostile: str) -> None:
        super().__init__(1)
        self.hostile = hostile
        self.units: list[Any] = []

    def run_shared(self, fn: Callable[[Any, Any], Any], shared: Any, units: Iterable[Any],
                   failed: Callable[[Any, str], Any] | None = None) -> Iterator[Any]:
        assert failed is not None
        for unit in units:
            self.units.append(unit)
            if self.hostile in unit:
                yield failed(unit, "its worker died each time it ran")
            else:
                yield fn(shared, unit)


def test_a_chunk_that_fails_for_good_is_scanned_again_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "CHUNK_FILES", 4)
    shutil.copytree(REPO / "tests" / "rules", tmp_path / "tree")
    base = BaseTree(tmp_path / "tree")
    hostile = "PA1001/walker.c"
    expected = scan_tree(base, [], RULES, Options(all_rules=True))
    assert any(f.file == hostile for f in expected.findings)
    executor = FailsChunksHolding(hostile)
    report = scan_tree(base, [], RULES, Options(all_rules=True), executor=executor)
    # Only the culprit is lost, listed as skipped with the reason; the rest of its chunk is not.
    skipped = FileIssue(hostile, "not analysed: its worker died each time it ran")
    assert report.file_issues == tuple(sorted((*expected.file_issues, skipped),
                                              key=lambda issue: issue.file))
    assert [f for f in report.findings if f.file != hostile] == [
        f for f in expected.findings if f.file != hostile]
    assert not any(f.file == hostile for f in report.findings)
    # The files of its chunk, one by one, right after the chunk failed (the culprit alone among them).
    chunk = next(unit for unit in executor.units if hostile in unit and len(unit) > 1)
    at = executor.units.index(chunk)
    assert executor.units[at + 1:at + 1 + len(chunk)] == [[path] for path in chunk]


def test_the_file_time_limit_holds_in_a_worker_thread() -> None:
    # Dask runs tasks in threads, where no signal arrives: a timer thread raises instead.
    seen: list[str] = []

    def spin() -> None:
        try:
            with time_limit(0.2):
                while True:
                    pass
        except FileTimeout:
            seen.append("timed out")
        with time_limit(0.5):
            time.sleep(0.01)
        time.sleep(0.6)  # past the second limit: nothing is raised once the block has ended
        seen.append("after")

    thread = threading.Thread(target=spin)
    thread.start()
    thread.join(5)
    assert seen == ["timed out", "after"]


def test_an_index_chunk_that_fails_for_good_is_summarised_again_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "CHUNK_FILES", 2)
    base = BaseTree(REPO / "samples" / "tree")
    expected = update_index(base, [], tmp_path / "local")
    hostile = "mm/balloon_compaction.c"
    executor = FailsChunksHolding(hostile)
    report = update_index(base, [], tmp_path / "failing", executor=executor)
    assert report.skipped == (
        FileIssue(hostile, "not summarised: its worker died each time it ran"),)
    assert report.files == expected.files - 1
    assert (hostile,) in executor.units  # retried alone, with the other file of its chunk

"""Scans and index builds on a real Dask cluster: a scheduler and two workers, separate processes on 127.0.0.1.

The reports must be byte-identical to local runs; a worker killed mid-run
loses nothing; a unit that kills every worker it runs on comes back as
failed with its reason; a worker that sees other bytes under the tree's
path makes the run stop before it starts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from patchaudit.cli import main
from patchaudit.engine import Options, indexing, scan_tree
from patchaudit.engine import scan as scan_module
from patchaudit.engine.executors import DaskExecutor, tree_sample
from patchaudit.engine.indexing import update_index
from patchaudit.engine.scan import ScanProgress
from patchaudit.errors import InputError
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules([rules_dir()])
STARTUP_SECONDS = 60


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes; workers import patchaudit from this checkout."""

    def __init__(self, where: Path, dask: str) -> None:
        self.where = where
        self.dask = dask
        self.file = where / "scheduler.json"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: list[IO[bytes]] = []
        self.address = ""

    def log(self, name: str) -> IO[bytes]:
        self.logs.append(open(self.where / f"{name}.log", "wb"))  # noqa: SIM115 (closed in close())
        return self.logs[-1]

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        # tests/ too: the failing-unit test sends a function of this module.
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "tests")])
        # A unit is declared failed the second time a worker dies running it.
        env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "1"
        env.update(extra)
        return env

    def start_scheduler(self) -> None:
        log = self.log("scheduler")
        self.processes.append(subprocess.Popen(
            [self.dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(self.file)],
            stdout=log, stderr=subprocess.STDOUT, env=self.env(), cwd=self.where,
        ))  # fmt: skip
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.file.exists():
            if time.monotonic() > deadline or self.processes[0].poll() is not None:
                raise AssertionError((self.where / "scheduler.log").read_text())
            time.sleep(0.1)
        time.sleep(0.2)  # written, but maybe not yet completely
        self.address = json.loads(self.file.read_text())["address"]

    def start_worker(self, name: str, prefix: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
        log = self.log(name)
        cache = self.where / f"cache-{name}"
        process = subprocess.Popen(
            [*prefix, self.dask, "worker", self.address, "--name", name, "--nthreads", "1",
             "--host", "127.0.0.1", "--no-dashboard"],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.where,
            env=self.env(PATCHAUDIT_CACHE_DIR=str(cache)),
        )  # fmt: skip
        self.processes.append(process)
        self.workers[name] = process
        return process

    def wait_for(self, count: int) -> None:
        import distributed

        with distributed.Client(self.address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(count, timeout=STARTUP_SECONDS)
            deadline = time.monotonic() + STARTUP_SECONDS
            while len(client.scheduler_info()["workers"]) != count:
                assert time.monotonic() < deadline, f"not {count} workers"
                time.sleep(0.2)

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                self.stop(process)
        for log in self.logs:
            log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, dask_command: str) -> Iterator[Cluster]:
    where = tmp_path_factory.mktemp("cluster")
    running = Cluster(where, dask_command)
    try:
        running.start_scheduler()
        running.start_worker("one")
        running.start_worker("two")
        running.wait_for(2)
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rule fixtures and the sample tree, three times over: several chunks of 16 files."""
    root = tmp_path_factory.mktemp("big")
    for copy in range(3):
        shutil.copytree(REPO / "tests" / "rules", root / f"fixtures{copy}")
        shutil.copytree(REPO / "samples" / "tree", root / f"samples{copy}")
    return root


def _scan_json(argv: list[str], out: Path) -> tuple[int, bytes]:
    status = main([*argv, "-f", "json", "-o", str(out)])
    return status, out.read_bytes()


def test_a_scan_on_the_cluster_is_byte_identical_to_a_local_run(
    cluster: Cluster, big_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "CHUNK_FILES", 16)
    monkeypatch.setenv("PATCHAUDIT_CACHE_DIR", str(tmp_path / "client-cache"))
    assert len(list(BaseTree(big_tree).iter_files())) > 6 * 16
    common = ["scan", str(big_tree), "--all-rules"]
    local = _scan_json([*common, "-j", "2", "--no-cache"], tmp_path / "local.json")
    remote = _scan_json([*common, "--executor", "dask", "--scheduler", cluster.address],
                        tmp_path / "dask.json")
    assert local[0] == remote[0] == 1
    assert json.loads(local[1])["findings"], "a report without findings would prove nothing"
    assert remote[1] == local[1]
    # Both workers ran chunks, each with its own cache on its own host; the
    # client's cache directory (a path only it sees) was never used.
    for name in ("one", "two"):
        assert list((cluster.where / f"cache-{name}" / "results").iterdir()), name
    assert not (tmp_path / "client-cache" / "results").exists()
    # Warm: the client's scan index and the workers' caches give the same report again.
    again = _scan_json([*common, "--executor", "dask", "--scheduler", cluster.address],
                       tmp_path / "again.json")
    assert again == remote


@pytest.mark.kernel
def test_a_kernel_subtree_scanned_on_the_cluster_matches_the_local_scan(
    cluster: Cluster, kernel_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "CHUNK_FILES", 64)
    common = ["scan", str(kernel_tree), "mm", "kernel/locking", "--no-cache"]
    local = _scan_json([*common, "-j", "2"], tmp_path / "local.json")
    remote = _scan_json([*common, "--executor", "dask", "--scheduler", cluster.address],
                        tmp_path / "dask.json")
    assert len(json.loads(local[1])["findings"]) > 100
    assert remote == local


def test_a_worker_killed_mid_scan_loses_no_work(
    cluster: Cluster, big_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "CHUNK_FILES", 16)
    base = BaseTree(big_tree)
    expected = FORMATTERS["json"](scan_tree(base, [], RULES, Options(all_rules=True), jobs=2))
    killed: list[int] = []
    with DaskExecutor(cluster.address) as executor:
        pids: dict[str, int] = executor.client.run(os.getpid)
        victim = min(pids.values())

        def kill_once(state: ScanProgress) -> None:
            # After the first chunk came back, with the others queued or running.
            if not killed and state.files_done < state.files_total:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        report = scan_tree(base, [], RULES, Options(all_rules=True), executor=executor,
                           progress=kill_once)
        assert killed == [victim]
        assert victim not in executor.client.run(os.getpid).values()
    assert FORMATTERS["json"](report) == expected
    cluster.wait_for(2)  # the nanny restarted the worker, for the tests after this one


def die_on_hostile(offset: int, unit: str) -> int:
    """Sent to the workers: a unit whose every run kills its worker process."""
    if unit == "hostile":
        os._exit(1)
    return offset + len(unit)


def test_a_unit_that_kills_every_worker_it_runs_on_is_reported_as_failed(
    cluster: Cluster,
) -> None:
    units = ["a", "hostile", "ccc", "dddd"]
    failures: dict[str, str] = {}

    def failed(unit: str, reason: str) -> int:
        failures[unit] = reason
        return -1

    with DaskExecutor(cluster.address) as executor:
        results = list(executor.run_shared(die_on_hostile, 100, units, failed))
        assert failures.pop("hostile") == (
            "its worker died each time it ran (killed, crashed or out of memory)")
        # A unit that was queued on the same workers when they died may fail
        # with it (the scheduler cannot tell them apart): alone, it runs.
        # This is why a scan runs a failed chunk's files one by one.
        again = list(executor.run_shared(die_on_hostile, 100, sorted(failures), failed))
    assert sorted(r for r in results + again if r >= 0) == [101, 103, 104]
    cluster.wait_for(2)


def _index_rows(database: Path) -> list[tuple[object, ...]]:
    """Every row of the index with row ids replaced by the paths and functions they name."""
    db = sqlite3.connect(database)
    rows: list[tuple[object, ...]] = []
    rows += db.execute("SELECT 'file', path, size, digest, wrappers, issues FROM files").fetchall()
    for table in ("params", "calls", "takes", "writes"):
        columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})") if c[1] != "function_id"]
        rows += db.execute(
            f"SELECT '{table}', fi.path, f.name, f.line, {', '.join('t.' + c for c in columns)}"
            f" FROM {table} t JOIN functions f ON t.function_id=f.id"
            " JOIN files fi ON f.file_id=fi.id").fetchall()
    for table in ("functions", "contracts", "structs", "lock_members", "lock_vars", "macros"):
        columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})")
                   if c[1] not in ("id", "file_id")]
        rows += db.execute(
            f"SELECT '{table}', fi.path, {', '.join('t.' + c for c in columns)}"
            f" FROM {table} t JOIN files fi ON t.file_id=fi.id").fetchall()
    db.close()
    return sorted(rows, key=repr)


@pytest.mark.kernel
def test_an_index_built_on_the_cluster_equals_the_local_build(
    cluster: Cluster, kernel_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "CHUNK_FILES", 3)  # several units for each round
    base = BaseTree(kernel_tree)
    paths = ["mm/balloon_compaction.c", "include/linux/balloon_compaction.h",
             "kernel/locking/mutex.c", "include/linux/mutex.h", "kernel/locking/semaphore.c",
             "include/linux/semaphore.h", "kernel/locking/rwsem.c", "include/linux/rwsem.h",
             "mm/page_isolation.c", "include/linux/page-isolation.h"]
    local = update_index(base, paths, tmp_path / "local", jobs=2)
    with DaskExecutor(cluster.address) as executor:
        remote = update_index(base, paths, tmp_path / "dask", executor=executor)
    assert (remote.files, remote.summarised, remote.rounds, remote.skipped) == (
        local.files, local.summarised, local.rounds, local.skipped)
    assert remote.contracts == local.contracts > 0
    rows = _index_rows(local.database)
    assert len(rows) > 500
    assert _index_rows(remote.database) == rows


def test_the_index_command_and_a_scan_that_reads_the_index_run_on_the_cluster_as_locally(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "tests" / "rules", tree)
    local_index, remote_index = tmp_path / "local.sqlite", tmp_path / "dask.sqlite"
    cache = ["--cache-dir", str(tmp_path / "client-cache")]
    assert main(["index", str(tree), "-j", "2", "--index", str(local_index), *cache]) == 0
    assert main(["index", str(tree), "--executor", "dask", "--scheduler", cluster.address,
                 "--index", str(remote_index), *cache]) == 0
    local_line, remote_line = capsys.readouterr().out.splitlines()
    files = len([path for path in tree.rglob("*") if path.suffix in (".c", ".h")])
    assert local_line.split(";")[0] == remote_line.split(";")[0] == (
        f"{files} files in the index ({files} summaries computed in 1 round, 0 removed, "
        "0 skipped)")
    assert local_line.split(";")[1] == remote_line.split(";")[1]  # contracts, resolved
    assert _index_rows(remote_index) == _index_rows(local_index)
    # The contract rules read the index on the workers: same report as a local scan.
    common = ["scan", str(tree), "--index", str(remote_index), "--no-cache"]
    local = _scan_json([*common, "-j", "2"], tmp_path / "local.json")
    remote = _scan_json([*common, "--executor", "dask", "--scheduler", cluster.address],
                        tmp_path / "dask.json")
    findings = json.loads(local[1])["findings"]
    assert sum(f["rule_id"].startswith("PA40") for f in findings) >= 30  # tests/rules/PA40*
    assert remote == local


def test_a_worker_that_sees_another_index_stops_the_scan_in_one_line(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "tests" / "rules", tree)
    index, other = tmp_path / "index.sqlite", tmp_path / "other.sqlite"
    assert main(["index", str(tree), "PA4001", "-j", "1", "--index", str(index),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert main(["index", str(tree), "PA4002", "-j", "1", "--index", str(other),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    capsys.readouterr()
    # A third worker in its own mount namespace, where the index's path shows another index.
    stranger = cluster.start_worker("stranger-index", (
        "unshare", "--mount", "--propagation", "private", "sh", "-c",
        'mount --bind "$0" "$1" && shift && exec "$@"', str(other), str(index)))
    try:
        cluster.wait_for(3)
        status = main(["scan", str(tree), "--index", str(index), "--executor", "dask",
                       "--scheduler", cluster.address, "-o", str(tmp_path / "report.txt")])
    finally:
        cluster.stop(stranger)
        cluster.wait_for(2)
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith(f"patchaudit: {index}: Dask worker tcp://127.0.0.1:")
    assert err.endswith(" sees other content than this host (the tree index must be on storage "
                        "every worker shares, at the same path: --index FILE)\n")
    assert not (tmp_path / "report.txt").exists()


def test_a_worker_that_sees_other_content_stops_the_run_in_one_line(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(REPO / "samples" / "tree", tree)
    other = tmp_path / "other"
    shutil.copytree(tree, other)
    changed = tree_sample([str(p.relative_to(tree)) for p in tree.rglob("*.[ch]")])[0]
    (other / changed).write_text((other / changed).read_text() + "/* edited */\n")
    # A third worker in its own mount namespace, where the tree's path shows the other copy.
    stranger = cluster.start_worker("stranger", (
        "unshare", "--mount", "--propagation", "private", "sh", "-c",
        'mount --bind "$0" "$1" && shift && exec "$@"', str(other), str(tree)))
    try:
        cluster.wait_for(3)
        status = main(["scan", str(tree), "--executor", "dask", "--scheduler", cluster.address,
                       "-o", str(tmp_path / "report.txt")])
    finally:
        cluster.stop(stranger)
        cluster.wait_for(2)
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith(f"patchaudit: {tree / changed}: Dask worker tcp://127.0.0.1:")
    assert err.endswith(" sees other content than this host (the tree must be on storage every "
                        "worker shares, at the same path)\n")
    assert not (tmp_path / "report.txt").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--scheduler", "tcp://127.0.0.1:1"], "patchaudit: --scheduler: only with --executor dask\n"),
    (["--executor", "dask"], "patchaudit: --executor dask: needs --scheduler tcp://HOST:PORT\n"),
    (["--executor", "dask", "--scheduler", "127.0.0.1:8786"],
     ("patchaudit: 127.0.0.1:8786: not a Dask scheduler address (tcp://HOST:PORT or "
      "tls://HOST:PORT)\n")),
])  # fmt: skip
def test_executor_options_are_checked_in_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(REPO / "samples" / "tree"), *argv]) == 2
    assert capsys.readouterr().err == message


def test_the_sample_spans_the_listing() -> None:
    paths = [f"f{i:03}.c" for i in range(200)]
    sample = tree_sample(paths, 5)
    assert sample == ["f000.c", "f050.c", "f100.c", "f149.c", "f199.c"]
    assert tree_sample(paths[:3], 5) == paths[:3]


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        DaskExecutor("tcp://127.0.0.1:9", timeout=2)
    assert str(caught.value).startswith("tcp://127.0.0.1:9: cannot reach the Dask scheduler: ")


def test_a_scheduler_without_workers_is_one_line(tmp_path: Path, dask_command: str) -> None:
    lonely = Cluster(tmp_path, dask_command)
    try:
        lonely.start_scheduler()
        with DaskExecutor(lonely.address, timeout=2) as executor, \
                pytest.raises(InputError) as caught:
            executor.check_tree(str(REPO / "samples" / "tree"), ["mm/balloon_compaction.c"])
    finally:
        lonely.close()
    assert str(caught.value) == f"{lonely.address}: no Dask worker joined within 2 s"

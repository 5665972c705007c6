"""Scanning with worker processes: the same report for any -j, progress, and per-file limits."""

from __future__ import annotations

import gc
import io
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from patchaudit.engine import Options, scan_tree
from patchaudit.engine import common as common_module
from patchaudit.engine import scan as scan_module
from patchaudit.engine.progress import ProgressLine, progress_text
from patchaudit.engine.scan import ScanProgress
from patchaudit.engine.work import ScanLimits
from patchaudit.model import FileIssue
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules([rules_dir()])


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rule fixtures and the sample tree, six times over: more files than a few chunks."""
    root = tmp_path_factory.mktemp("big")
    for copy in range(6):
        shutil.copytree(REPO / "tests" / "rules", root / f"fixtures{copy}")
        shutil.copytree(REPO / "samples" / "tree", root / f"samples{copy}")
    return root


def test_the_report_does_not_depend_on_the_number_of_processes(
    big_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "CHUNK_FILES", 64)
    base = BaseTree(big_tree)
    assert len(list(base.iter_files())) > 2 * 64  # several chunks, both workers busy
    one = scan_tree(base, [], RULES, Options(all_rules=True), jobs=1)
    two = scan_tree(base, [], RULES, Options(all_rules=True), jobs=2)
    assert one.findings, "a report without findings would prove nothing"
    assert FORMATTERS["json"](two) == FORMATTERS["json"](one)
    assert two.files_analysed == one.files_analysed


def test_progress_is_reported_up_to_the_last_file(big_tree: Path) -> None:
    seen: list[ScanProgress] = []
    report = scan_tree(BaseTree(big_tree), [], RULES, Options(all_rules=True), jobs=2,
                       progress=seen.append)
    total = len(list(BaseTree(big_tree).iter_files()))
    done = [state.files_done for state in seen]
    assert done == sorted(done) and done[-1] == total
    # The total grows while the walk still lists files; it ends at the tree's size.
    totals = [state.files_total for state in seen]
    assert totals == sorted(totals) and totals[-1] == total
    assert all(state.files_done <= state.files_total for state in seen)
    last = seen[-1]
    assert (last.analysed, last.reused, last.findings) == (
        report.files_analysed, 0, len(report.findings),
    )  # fmt: skip


def test_progress_text_names_files_findings_and_rate() -> None:
    state = ScanProgress(1500, 60000, 31, 4, 2, 0.5)
    assert progress_text(state) == (
        "scan: 1,500/60,000 files (2%), 31 analysed, 2 findings, 3,000 files/s"
    )


def test_progress_line_redraws_in_place_and_erases_itself() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)
    line(ScanProgress(10, 20, 1, 0, 0, 1.0))
    line(ScanProgress(11, 20, 1, 0, 0, 1.0))  # within the redraw interval: skipped
    line(ScanProgress(20, 20, 2, 0, 1, 2.0))  # the last file is always drawn
    line.close()
    first = "scan: 10/20 files (50%), 1 analysed, 0 findings, 10 files/s"
    last = "scan: 20/20 files (100%), 2 analysed, 1 findings, 10 files/s"
    assert stream.getvalue() == (
        f"\r{first}\r{last.ljust(len(first))}\r{' ' * len(last)}\r"
    )


def test_cli_scan_is_silent_on_stderr_when_it_is_not_a_terminal(big_tree: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "patchaudit", "scan", str(big_tree), "-j", "2", "--all-rules",
         "--no-cache", "-f", "terse"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1].startswith("total: ")


@pytest.mark.parametrize(("jobs", "words"), [("0", "--jobs"), ("x", "invalid int value")])
def test_cli_rejects_a_bad_job_count_in_one_line(jobs: str, words: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "patchaudit", "scan", "samples/tree", "-j", jobs],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and words in result.stderr


def _tree(tmp_path: Path, files: dict[str, str]) -> BaseTree:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return BaseTree(tmp_path)


MATCHING = "int f(struct page *p)\n{\n\treturn PageBalloon(p);\n}\n"
PADDING = "/* " + "x" * 2000 + " */\n"


def test_files_over_the_size_limit_are_listed_only_if_a_rule_could_match(tmp_path: Path) -> None:
    base = _tree(tmp_path, {
        "mm/big.c": PADDING + MATCHING,
        "mm/big_plain.c": PADDING + "int g;\n",
        "mm/small.c": MATCHING,
    })  # fmt: skip
    size = len(PADDING + MATCHING)
    report = scan_tree(base, [], RULES, Options(all_rules=True), limits=ScanLimits(1000, 60))
    assert report.file_issues == (
        FileIssue("mm/big.c", f"{size} bytes, over the 1000-byte analysis limit"),
    )
    assert [(f.rule_id, f.file) for f in report.findings] == [("PA1001", "mm/small.c")]
    assert report.files_analysed == 1


def test_files_over_the_tree_read_limit_are_listed(tmp_path: Path) -> None:
    _tree(tmp_path, {"mm/big.c": PADDING + MATCHING, "mm/small.c": MATCHING})
    base = BaseTree(tmp_path, max_file_size=1000)
    report = scan_tree(base, [], RULES, Options(all_rules=True))
    size = len(PADDING + MATCHING)
    assert report.file_issues == (
        FileIssue("mm/big.c", f"file is {size} bytes, over the 1000-byte read limit"),
    )


def test_a_file_that_takes_too_long_is_skipped_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _tree(tmp_path, {"mm/slow.c": MATCHING, "mm/fast.c": MATCHING})
    real_parse = common_module.parse

    def slow_parse(data, path, options):  # type: ignore[no-untyped-def]
        if path == "mm/slow.c":
            time.sleep(5)
        return real_parse(data, path, options)

    monkeypatch.setattr(common_module, "parse", slow_parse)
    started = time.monotonic()
    report = scan_tree(base, [], RULES, Options(all_rules=True), limits=ScanLimits(10**6, 0.3))
    assert time.monotonic() - started < 4
    assert report.file_issues == (FileIssue("mm/slow.c", "analysis took longer than 0.3 s"),)
    assert [(f.rule_id, f.file) for f in report.findings] == [("PA1001", "mm/fast.c")]


def test_cli_draws_progress_when_stderr_is_a_terminal(big_tree: Path) -> None:
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "patchaudit", "scan", str(big_tree), "-j", "2",
             "--all-rules", "--no-cache", "-f", "terse"],
            stdout=subprocess.PIPE, stderr=follower, cwd=REPO, check=False, text=True,
        )  # fmt: skip
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    assert result.returncode == 1
    total = len(list(BaseTree(big_tree).iter_files()))
    text = drawn.decode()
    assert f"scan: {total}/{total} files (100%)" in text
    assert text.endswith("\r")  # erased at the end: nothing left on the terminal


def test_cli_lists_files_over_the_size_limit(tmp_path: Path) -> None:
    _tree(tmp_path, {"mm/big.c": PADDING + MATCHING})
    result = subprocess.run(
        [sys.executable, "-m", "patchaudit", "scan", str(tmp_path), "--all-rules", "--no-cache",
         "--max-file-size", "1000", "--file-time-limit", "5"],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    size = len(PADDING + MATCHING)
    assert result.returncode == 0, result.stderr
    assert f"mm/big.c: skipped: {size} bytes, over the 1000-byte analysis limit" in result.stdout


def test_workers_collect_cycles_even_while_the_parent_pauses_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The parent pauses the cyclic collector while it gathers results; the
    # analyses make reference cycles, so the worker (in-process at -j 1)
    # must run with it on.
    base = _tree(tmp_path, {"mm/a.c": MATCHING})
    seen: list[bool] = []
    real_parse = common_module.parse

    def watching(data, path, options):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real_parse(data, path, options)

    monkeypatch.setattr(common_module, "parse", watching)
    scan_tree(base, [], RULES, Options(all_rules=True))
    assert seen == [True]
    assert gc.isenabled()

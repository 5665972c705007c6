"""grep as the scan's first pass: it only saves work, and the report is the same without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from patchaudit.engine import Options, grepfirst, scan_tree
from patchaudit.engine import work as work_module
from patchaudit.report import FORMATTERS
from patchaudit.resources import rules_dir
from patchaudit.ruleset import RuleSet, load_rules
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
RULES = load_rules([rules_dir()])
BALLOON = RuleSet(tuple(rule for rule in RULES if rule.id.startswith(("PA1", "PA2"))))


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_grep_names_exactly_the_files_holding_an_anchor(tmp_path: Path) -> None:
    _write(tmp_path, {
        "a.c": b"spin_lock(&b_dev_info->pages_lock);\n",
        "b.c": b"int pages;\n",
        "-dash.c": b"__SetPageOffline(page);\n",  # a name grep must not take for an option
        "bin.h": b"\x00\xffpages_lock\x00",  # not text: still searched as bytes
        "sub/\xe9t\xe9.c".encode().decode("utf-8"): b"pages_lock\n",
    })  # fmt: skip
    paths = ["a.c", "b.c", "-dash.c", "bin.h", "sub/\xe9t\xe9.c"]
    found = grepfirst.files_holding(str(tmp_path), paths, [b"pages_lock", b"__SetPageOffline"])
    assert found == {"a.c", "-dash.c", "bin.h", "sub/\xe9t\xe9.c"}


def test_a_fifo_is_skipped_not_waited_for(tmp_path: Path) -> None:
    _write(tmp_path, {"a.c": b"pages_lock\n"})
    os.mkfifo(tmp_path / "pipe.c")
    assert grepfirst.files_holding(str(tmp_path), ["pipe.c", "a.c"], [b"pages_lock"]) == {"a.c"}


def test_without_grep_the_caller_searches_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {"a.c": b"pages_lock\n"})
    monkeypatch.setattr(grepfirst, "grep_program", lambda: str(tmp_path / "no-such-grep"))
    assert grepfirst.files_holding(str(tmp_path), ["a.c"], [b"pages_lock"]) is None
    monkeypatch.setattr(grepfirst, "grep_program", lambda: None)
    assert grepfirst.files_holding(str(tmp_path), ["a.c"], [b"pages_lock"]) is None


def test_an_unreadable_file_makes_grep_say_nothing(tmp_path: Path) -> None:
    _write(tmp_path, {"a.c": b"pages_lock\n"})
    # A listed file that is gone by the time grep runs: grep's status 2.
    assert grepfirst.files_holding(str(tmp_path), ["gone.c", "a.c"], [b"pages_lock"]) is None


@pytest.mark.parametrize("rules", [BALLOON, RULES], ids=["balloon packs", "all packs"])
def test_the_report_is_the_same_with_and_without_grep(rules: RuleSet, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(REPO / "samples" / "tree", root)
    shutil.copytree(REPO / "tests" / "rules", root / "fixtures")
    base = BaseTree(root)
    with_grep = scan_tree(base, [], rules, Options(all_rules=True), first_pass=True)
    without = scan_tree(base, [], rules, Options(all_rules=True), first_pass=False)
    assert with_grep.findings, "a report without findings would prove nothing"
    assert FORMATTERS["json"](with_grep) == FORMATTERS["json"](without)


def test_files_grep_clears_are_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {
        "mm/quiet.c": b"int quiet;\n",
        "mm/huge.h": b"/* generated */\n" * 10,
        "mm/user.c": b"void f(struct page *page)\n{\n\t__SetPageOffline(page);\n}\n",
    })  # fmt: skip
    read: list[str] = []
    real = work_module.read_listed

    def recording(root: str, path: str, limit: int) -> tuple[bytes, os.stat_result]:
        read.append(path)
        return real(root, path, limit)

    monkeypatch.setattr(work_module, "read_listed", recording)
    report = scan_tree(BaseTree(tmp_path, max_file_size=100), [], BALLOON, Options(all_rules=True))
    assert read == ["mm/user.c"]
    # A file over the read limit is listed as skipped, read or not.
    assert [(issue.file, issue.message) for issue in report.file_issues] == [
        ("mm/huge.h", "file is 160 bytes, over the 100-byte read limit")
    ]


def test_a_grep_without_the_options_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # busybox or BSD grep: a usage error (status 2) on the probe, so no chunk tries it.
    fake = tmp_path / "grep"
    fake.write_text("#!/bin/sh\necho 'grep: unrecognized option' >&2\nexit 2\n")
    fake.chmod(0o755)
    grepfirst.grep_program.cache_clear()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(grepfirst.shutil, "which", lambda name: str(fake))
            assert grepfirst.grep_program() is None
    finally:
        grepfirst.grep_program.cache_clear()
    assert grepfirst.grep_program() is not None  # the real GNU grep of this machine

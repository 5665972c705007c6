"""The contract rules on real Linux 6.12 code: silent on the code as it is, and they find a
sample of contracts broken one at a time (bench/contract_mutations.py's mutations)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from patchaudit.engine import Options, check_series, scan_tree
from patchaudit.engine.indexing import update_index
from patchaudit.resources import rules_dir
from patchaudit.ruleset import RuleSet, load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from contract_mutations import CHECK_ONLY, RULE_OF, Mutation, _candidates, mutate  # noqa: E402

pytestmark = pytest.mark.kernel

# Files with kept contracts of each kind (found by the bench on mm/), the balloon
# files, and the headers whose member comments and kernel-doc they rely on.
C_FILES = [
    "mm/shrinker.c", "mm/percpu.c", "mm/page-writeback.c", "mm/swap_slots.c",
    "mm/balloon_compaction.c", "drivers/virtio/virtio_balloon.c",
]  # fmt: skip
HEADERS = ["include/linux/writeback.h", "include/linux/backing-dev-defs.h",
           "include/linux/balloon_compaction.h", "include/linux/shrinker.h"]
CONTRACT_RULES = RuleSet(tuple(r for r in load_rules([rules_dir()]) if r.id.startswith("PA4")))


@pytest.fixture(scope="module")
def index(kernel_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    database = tmp_path_factory.mktemp("index") / "index.sqlite"
    report = update_index(BaseTree(kernel_tree), [*HEADERS, *C_FILES], database, jobs=1)
    assert report.files == len(HEADERS) + len(C_FILES)
    assert not report.skipped
    # Not folio_mark_dirty()'s "Truncation will block on the page table lock", nor
    # stats_request()'s "Since stats collection can sleep, we delegate the job to a
    # freezable workqueue": both say what something else does.
    assert (report.contracts, report.resolved) == (38, 34)
    return str(database)


def test_real_code_keeps_its_contracts(kernel_tree: Path, index: str) -> None:
    report = scan_tree(BaseTree(kernel_tree), C_FILES, CONTRACT_RULES, Options(index=index))
    assert [(f.rule_id, f.file, f.line) for f in report.findings] == []


def test_a_sample_of_broken_contracts_is_found_by_check_and_scan(
        kernel_tree: Path, index: str, tmp_path: Path) -> None:
    base = BaseTree(kernel_tree)
    sample: list[Mutation] = []
    for path in C_FILES:
        data = base.read(path)
        assert data is not None
        cases = sorted(_candidates(path, data, index), key=lambda m: (m.kind, m.line))
        for kind in sorted(RULE_OF):
            sample.extend([m for m in cases if m.kind == kind][:1])
    kinds = {m.kind for m in sample}
    assert {"must-hold", "sleep-in-atomic", "member-unprotected", "contract-changed"} <= kinds, kinds
    missed = []
    for number, case in enumerate(sample):
        original = base.read(case.file)
        assert original is not None
        mutated = mutate(original, case)
        rule = RULE_OF[case.kind]
        alone = tmp_path / f"scan{number}"
        (alone / case.file).parent.mkdir(parents=True)
        (alone / case.file).write_bytes(mutated)
        scanned = scan_tree(BaseTree(alone), [case.file], CONTRACT_RULES, Options(index=index))
        patch = tmp_path / f"m{number}.patch"
        patch.write_text(_one_patch(case, original, mutated))
        checked = check_series(load_series(str(patch)), base, CONTRACT_RULES, Options(index=index))
        for how, report in (("scan", scanned), ("check", checked)):
            if how == "scan" and case.kind in CHECK_ONLY:
                continue  # a change of contract needs a "before": check only
            if not any(f.rule_id == rule and f.line in (case.line, case.line + 1)
                       for f in report.findings):
                missed.append((how, case.description, case.file))
    assert missed == []


def _one_patch(case: Mutation, original: bytes, mutated: bytes) -> str:
    import difflib

    diff = difflib.unified_diff(original.decode().splitlines(keepends=True),
                                mutated.decode().splitlines(keepends=True),
                                f"a/{case.file}", f"b/{case.file}")
    return (f"From: Bench <bench@example.org>\nSubject: [PATCH] {case.kind}\n\nmutation\n---\n"
            f"diff --git a/{case.file} b/{case.file}\n" + "".join(diff))


# Calls the whole-tree triage found reported wrongly, with the files their chains
# run through: a callee that returns before sleeping when its caller passes 0
# (kaweth, tty), one stated never to sleep (leds).
QUIET = {
    ("drivers/net/usb/kaweth.c", "kaweth_async_set_rx_mode(kaweth, false);"),
    ("drivers/tty/tty_io.c", "__tty_fasync(-1, filp, 0);"),
    ("drivers/leds/led-triggers.c", "led_blink_set_nosleep(led_cdev, delay_on, delay_off);"),
}
QUIET_FILES = ["include/linux/leds.h", "drivers/leds/led-core.c", "drivers/usb/core/message.c",
               "fs/fcntl.c", *sorted({path for path, _ in QUIET})]


def test_calls_that_do_not_reach_a_sleep_are_not_reported_and_their_mutations_are(
        kernel_tree: Path, tmp_path: Path) -> None:
    database = tmp_path / "index.sqlite"
    update_index(BaseTree(kernel_tree), QUIET_FILES, database, jobs=1)
    base = BaseTree(kernel_tree)
    lines = {}
    for path, call in sorted(QUIET):
        data = base.read(path)
        assert data is not None
        found = [n for n, text in enumerate(data.decode().splitlines(), 1) if text.strip() == call]
        assert len(found) == 1, (path, call)
        lines[path] = found[0]
    report = scan_tree(base, sorted(lines), CONTRACT_RULES, Options(index=str(database)))
    assert not [f for f in report.findings if f.rule_id == "PA4003"
                and lines.get(f.file) == f.line]
    # The same calls asking for the sleeping path (true, 1) are reported: the chain is there.
    path = "drivers/net/usb/kaweth.c"
    data = base.read(path)
    assert data is not None
    mutated = tmp_path / "mutated"
    (mutated / path).parent.mkdir(parents=True)
    (mutated / path).write_bytes(data.replace(b"kaweth_async_set_rx_mode(kaweth, false);",
                                              b"kaweth_async_set_rx_mode(kaweth, true);"))
    report = scan_tree(BaseTree(mutated), [path], CONTRACT_RULES, Options(index=str(database)))
    assert [(f.rule_id, f.line) for f in report.findings if f.line == lines[path]] == [
        ("PA4003", lines[path])]

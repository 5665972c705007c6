"""The whole Linux 6.12 tree, scanned with the balloon and PG_offline packs: not one finding."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from patchaudit.analyses.docs.gate import may_name_stale
from patchaudit.cfront import parse_c
from patchaudit.cfront.cache import ParseCache
from patchaudit.engine import Options, scan_tree
from patchaudit.engine.common import Applicability, FileState, file_findings
from patchaudit.engine.prefilter import build_filter
from patchaudit.engine.scan import ScanProgress
from patchaudit.model import FileIssue, Finding
from patchaudit.resources import rules_dir
from patchaudit.ruleset import RuleSet, load_rules
from patchaudit.ruleset.kinds import KINDS, Scope
from patchaudit.ruleset.kinds.base import CheckContext, Reader
from patchaudit.ruleset.kinds.doc_stale import _references
from patchaudit.tree.base import BaseTree

pytestmark = pytest.mark.kernel

# PA1xxx: the removed PG_balloon API; PA2xxx: balloon locking and PG_offline.
BALLOON_PACKS = RuleSet(tuple(r for r in load_rules([rules_dir()]) if r.id.startswith(("PA1", "PA2"))))
# The files of 6.12 that name an applicable balloon rule's identifiers
# (balloon_dev_info, pages_lock, __SetPageOffline, VMCOREINFO_NUMBER, ...):
# the only ones of 59,952 that the scan parses.
ANALYSED = (
    "arch/arm64/kernel/vmcore_info.c", "arch/powerpc/platforms/powernv/memtrace.c",
    "arch/powerpc/platforms/pseries/cmm.c", "arch/riscv/kernel/vmcore_info.c",
    "arch/x86/kernel/vmcore_info_64.c", "drivers/hv/hv_balloon.c", "drivers/misc/vmw_balloon.c",
    "drivers/virtio/virtio_balloon.c", "drivers/virtio/virtio_mem.c", "drivers/xen/balloon.c",
    "include/linux/balloon_compaction.h", "include/linux/vmcore_info.h", "kernel/vmcore_info.c",
    "mm/balloon_compaction.c", "mm/mm_init.c",
)  # fmt: skip
TOO_BIG = FileIssue(
    "drivers/gpu/drm/amd/include/asic_reg/dcn/dcn_3_2_0_sh_mask.h",
    "file is 23949786 bytes, over the 16777216-byte read limit",
)


def test_whole_tree_has_no_balloon_or_pg_offline_finding(kernel_tree: Path, tmp_path: Path) -> None:
    states: list[ScanProgress] = []
    options = Options(cache=ParseCache(tmp_path / "cache"))
    started = time.monotonic()
    report = scan_tree(BaseTree(kernel_tree), [], BALLOON_PACKS, options, jobs=2,
                       progress=states.append)
    cold = time.monotonic() - started
    assert [(f.rule_id, f.file, f.line, f.message) for f in report.findings] == []
    applies = {r.id: r.applies for r in report.rules}
    # The 5.x balloon_page_delete() contract and the 2026 balloon_pages_lock
    # rules quote text 6.12 does not have.
    assert applies == {
        "PA1001": True, "PA1002": True, "PA1003": True, "PA1004": True, "PA1005": True,
        "PA2001": True, "PA2002": True, "PA2003": True, "PA2004": False, "PA2005": True,
        "PA2006": True, "PA2007": True, "PA2008": False, "PA2009": False, "PA2010": False,
        "PA2011": False,
    }  # fmt: skip
    assert report.file_issues == (TOO_BIG,)
    assert report.files_analysed == len(ANALYSED)
    active = [r for r in BALLOON_PACKS if applies[r.id]]
    chosen = build_filter(active)
    selected = [p for p in ANALYSED if chosen.select((kernel_tree / p).read_bytes())]
    assert selected == list(ANALYSED)
    assert states[-1].files_done == states[-1].files_total > 59000

    # Warm: the index vouches for every file, nothing is read or analysed again.
    started = time.monotonic()
    again = scan_tree(BaseTree(kernel_tree), [], BALLOON_PACKS, options, jobs=2,
                      progress=states.append)
    warm = time.monotonic() - started
    assert again == report
    assert states[-1].reused == states[-1].analysed == len(ANALYSED)
    print(f"whole 6.12 tree, balloon packs, -j 2: cold {cold:.1f} s, warm {warm:.1f} s")


# Directories whose every file the oracle parses: a mix of kernel-doc-heavy
# core code and drivers, small enough for CI.
SOUNDNESS_PATHS = ("mm", "drivers/virtio", "include/linux/balloon_compaction.h")


def test_prefilter_hides_no_finding_of_any_shipped_rule(kernel_tree: Path, tmp_path: Path) -> None:
    rules = load_rules([rules_dir()])
    file_rules = [r for r in rules if KINDS[r.kind].scope is Scope.FILE]
    base = BaseTree(kernel_tree)
    options = Options(cache=ParseCache(tmp_path / "cache"))
    applicability = Applicability(False)
    statuses = applicability.statuses(rules, base.read)
    oracle: list[Finding] = []
    paths = list(base.iter_files(SOUNDNESS_PATHS))
    for path in paths:
        data = base.read(path)
        assert data is not None
        oracle.extend(file_findings(file_rules, statuses, FileState(path, data, options),
                                    None, None, base.read))
    report = scan_tree(base, list(SOUNDNESS_PATHS), rules, options, jobs=2)
    assert len(oracle) > 100  # kernel-doc drift and stale references exist there
    assert list(report.findings) == sorted(oracle)
    # ... while most files are never parsed for them.
    assert report.files_analysed < len(paths)


# Directories and headers where Linux 6.12 comments name page flags and
# members that the code around them lacks (PA3101 reports there), with many
# more files whose mentions are all in order.
GATE_PATHS = ("kernel/power", "lib", "fs/fs_parser.c", "include/linux/mmzone.h",
              "include/linux/thunderbolt.h", "drivers/spi")


@pytest.mark.kernel
def test_stale_reference_gate_passes_every_file_the_analysis_reports(kernel_tree: Path) -> None:
    """The text gate against the parsed analysis, file by file (bench/gate_soundness.py: whole tree)."""
    base = BaseTree(kernel_tree)
    rule = load_rules([rules_dir()]).by_id()["PA3101"]
    kind = KINDS[rule.kind]
    tested, passed, reported = 0, [], []
    for path in base.iter_files(GATE_PATHS):
        data = base.read(path)
        assert data is not None
        if not kind.may_match(rule, data):  # type: ignore[attr-defined]
            continue
        tested += 1
        if may_name_stale(path, data, base.read):
            passed.append(path)
        if stale_references_of(path, data, base.read):
            reported.append(path)
    assert {"kernel/power/snapshot.c", "fs/fs_parser.c", "include/linux/mmzone.h"} <= set(reported)
    assert set(reported) <= set(passed)
    # And it does clear: most files with a mention in a comment are never parsed.
    assert len(passed) * 4 < tested, (len(passed), tested)


def stale_references_of(path: str, data: bytes, read: Reader) -> list[str]:
    context = CheckContext(data, read)
    return [ref.name for ref in _references(parse_c(data, path), context)]

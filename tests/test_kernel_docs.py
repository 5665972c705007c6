"""Documentation conformance on Linux 6.12 itself: balloon_compaction.h and kernel-doc parity."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from kernel_doc_oracle import kernel_doc_warnings

from patchaudit.analyses.docs import (
    CommentStyle,
    governed_files,
    kernel_doc_problems,
    stale_references,
    vocabulary,
)
from patchaudit.cfront import parse_c
from patchaudit.engine import Options, scan_tree
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.kinds import KINDS
from patchaudit.tree.base import BaseTree

pytestmark = pytest.mark.kernel

HEADER = "include/linux/balloon_compaction.h"
BALLOON_CODE = (
    HEADER,
    "mm/balloon_compaction.c",
    "drivers/virtio/virtio_balloon.c",
    "drivers/misc/vmw_balloon.c",
    "arch/powerpc/platforms/pseries/cmm.c",
)
RULES = load_rules([rules_dir()])


def _doc_findings(kernel_tree: Path, paths: list[str]) -> list[tuple[str, str, int]]:
    report = scan_tree(BaseTree(kernel_tree), paths, RULES, Options())
    return [(f.rule_id, f.file, f.line) for f in report.findings if f.rule_id.startswith("PA3")]


def test_balloon_page_pop_documents_parameters_it_does_not_have(kernel_tree: Path) -> None:
    data = (kernel_tree / HEADER).read_bytes()
    problems = kernel_doc_problems(data.decode())
    assert [(p.style, p.kind.value, p.declaration, p.subject, p.doc_line) for p in problems] == [
        (CommentStyle.PLAIN, "undescribed-param", "balloon_page_push", "pages", 147),
        (CommentStyle.PLAIN, "excess-param", "balloon_page_push", "head", 148),
        (CommentStyle.PLAIN, "undescribed-param", "balloon_page_pop", "pages", 159),
        (CommentStyle.PLAIN, "excess-param", "balloon_page_pop", "head", 160),
        (CommentStyle.PLAIN, "excess-param", "balloon_page_pop", "page", 161),
        (CommentStyle.PLAIN, "missing-return", "balloon_page_pop", "balloon_page_pop", 159),
    ]


def test_scan_of_the_balloon_header_reports_only_the_plain_comment_drift(kernel_tree: Path) -> None:
    # Every PA3 rule applies (6.12 has their texts); only the plain comments
    # of balloon_page_push() and balloon_page_pop() are reported: no stale
    # reference (lru_lock, page_lock(page), page->private are fine) and no
    # claim violation.
    report = scan_tree(BaseTree(kernel_tree), [HEADER], RULES, Options())
    assert all(info.applies for info in report.rules if info.id.startswith("PA3"))
    assert _doc_findings(kernel_tree, [HEADER]) == [
        ("PA3005", HEADER, 153),
        ("PA3006", HEADER, 153),
        ("PA3005", HEADER, 165),
        ("PA3005", HEADER, 165),
        ("PA3006", HEADER, 165),
    ]


def test_the_balloon_header_has_no_stale_reference(kernel_tree: Path) -> None:
    tree = BaseTree(kernel_tree)
    paths = governed_files(HEADER, tree.read)
    assert paths == (HEADER, "mm/balloon_compaction.c")
    irs = [parse_c((kernel_tree / p).read_bytes(), p) for p in paths]
    assert stale_references(irs[0], vocabulary(irs)) == []


def test_balloon_code_keeps_the_page_private_and_mapping_claims(kernel_tree: Path) -> None:
    claims = [rule for rule in RULES if rule.kind == "field-claim"]
    assert [rule.id for rule in claims] == ["PA3201", "PA3202"]
    for path in BALLOON_CODE:
        ir = parse_c((kernel_tree / path).read_bytes(), path)
        for rule in claims:
            assert list(KINDS[rule.kind].check(rule, ir)) == [], (rule.id, path)


@pytest.mark.parametrize(
    ("rule_id", "old", "new", "line"),
    [
        ("PA3201", "(unsigned long)balloon);", "(unsigned long)page);", 96),
        ("PA3202", "__SetPageMovable(page, &balloon_mops);", "__SetPageMovable(page, &balloon->pages);", 95),
    ],
)
def test_the_claims_see_the_real_writes(
    kernel_tree: Path, rule_id: str, old: str, new: str, line: int
) -> None:
    # The zero above is not for want of looking: change what the header stores.
    text = (kernel_tree / HEADER).read_text()
    assert text.count(old) == 1
    ir = parse_c(text.replace(old, new).encode(), HEADER)
    rule = next(rule for rule in RULES if rule.id == rule_id)
    assert [hit.line for hit in KINDS[rule.kind].check(rule, ir)] == [line]


# ------------------------------------------------------------------ parity with scripts/kernel-doc

# Files where scripts/kernel-doc -Wall warns about functions, including the
# cases patchaudit must read as it does: _noprof names, DECL_BUCKET_PARAMS(),
# POS parameter attributes, attribute macros before the return type.
PARITY_FILES = (
    "mm/util.c",
    "mm/vmalloc.c",
    "include/linux/slab.h",
    "include/linux/fortify-string.h",
    "include/linux/cgroup_refcnt.h",
)


@pytest.fixture(scope="module")
def perl_kernel_doc(kernel_tree: Path) -> None:
    if shutil.which("perl") is None or subprocess.run(
        ["perl", "-MPod::Usage", "-e", "1"], capture_output=True, check=False
    ).returncode:
        pytest.skip("perl with Pod::Usage is needed to run scripts/kernel-doc")


@pytest.mark.parametrize("path", PARITY_FILES)
def test_kernel_doc_parity(kernel_tree: Path, perl_kernel_doc: None, path: str) -> None:
    expected = kernel_doc_warnings(kernel_tree, path)
    assert expected, f"{path}: scripts/kernel-doc gave no function warning to compare with"
    data = (kernel_tree / path).read_bytes()
    ours = {
        (p.kind.value, p.declaration, p.subject)
        for p in kernel_doc_problems(data.decode("utf-8", "surrogateescape"))
        if p.style is CommentStyle.KERNEL_DOC
    }
    assert ours == expected

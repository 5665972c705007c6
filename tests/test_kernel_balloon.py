"""Real Linux 6.12 balloon code: no locking or PG_offline finding, and each planted bug found with its trace.

scan finds the plants in the edited files; check finds the removals at the
line the patch removed, with the other end of the pair in the trace.
"""

from __future__ import annotations

import difflib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from patchaudit.engine import Options, check_series, scan_tree
from patchaudit.model import Finding, Status
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

pytestmark = pytest.mark.kernel

BALLOON_CODE = (
    "include/linux/balloon_compaction.h",
    "mm/balloon_compaction.c",
    "drivers/virtio/virtio_balloon.c",
    "drivers/misc/vmw_balloon.c",
    "drivers/hv/hv_balloon.c",
    "drivers/xen/balloon.c",
    "arch/powerpc/platforms/pseries/cmm.c",
    "kernel/vmcore_info.c",
)
# Where the rules' documentation text lives: the rules apply only where it is found.
RULE_TEXTS = ("include/linux/page-flags.h", "Documentation/admin-guide/kdump/vmcoreinfo.rst")
PACK = ("PA1", "PA2")  # removed PG_balloon API, balloon locking and PG_offline rules
RULES = load_rules([rules_dir()])


def pack_findings(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if f.rule_id.startswith(PACK)]


def test_real_balloon_code_has_no_finding(kernel_tree: Path) -> None:
    report = scan_tree(BaseTree(kernel_tree), list(BALLOON_CODE), RULES, Options())
    assert report.files_analysed == len(BALLOON_CODE)
    assert pack_findings(report.findings) == []
    applies = {rule.id: rule.applies for rule in report.rules if rule.id.startswith("PA2")}
    # Every balloon rule of the 5.1-6.12 text runs on 6.12; the 5.x
    # balloon_page_delete() contract and the 2026 balloon_pages_lock rules do not.
    assert applies == {
        "PA2001": True, "PA2002": True, "PA2003": True, "PA2004": False,
        "PA2005": True, "PA2006": True, "PA2007": True,
        "PA2008": False, "PA2009": False, "PA2010": False, "PA2011": False,
    }


@dataclass(frozen=True)
class Plant:
    file: str
    old: str
    new: str
    rule: str
    at: str  # text of the line the finding must be on, in the edited file
    trace: tuple[tuple[str, str], ...]  # lines the trace must point at: (unique context, line text)
    more_at: tuple[str, ...] = ()  # further lines reported by the same bug


PLANTS = {
    "list_del-moved-out-of-pages_lock": Plant(
        "mm/balloon_compaction.c",
        "\tspin_lock_irqsave(&b_dev_info->pages_lock, flags);\n\tlist_del(&page->lru);\n",
        "\tlist_del(&page->lru);\n\tspin_lock_irqsave(&b_dev_info->pages_lock, flags);\n",
        "PA2002",
        "\tlist_del(&page->lru);\n\tspin_lock_irqsave",
        (("balloon_page_isolate(", "balloon_page_device(page);"),),
    ),
    "page-lock-waited-for-under-pages_lock": Plant(
        "mm/balloon_compaction.c",
        "\t\tif (!trylock_page(page))\n\t\t\tcontinue;\n",
        "\t\tlock_page(page);\n",
        "PA2001",
        "\t\tlock_page(page);",
        (("balloon_page_list_dequeue(struct", "spin_lock_irqsave(&b_dev_info->pages_lock, flags);"),),
    ),
    "helper-waits-for-page-lock-its-callers-hold-pages_lock": Plant(
        "mm/balloon_compaction.c",
        "\tBUG_ON(!trylock_page(page));\n",
        "\tlock_page(page);\n",
        "PA2001",
        "\tlock_page(page);",
        (),
    ),
    "xen-deflate-without-ClearPageOffline": Plant(
        "drivers/xen/balloon.c",
        "\t__ClearPageOffline(page);\n\treturn page;\n",
        "\treturn page;\n",
        "PA2006",
        "\t\t__SetPageOffline(page);",
        (("\t\tfree_reserved_page(page);", "free_reserved_page(page);"),),
    ),
    "hv-deflate-without-ClearPageOffline": Plant(
        "drivers/hv/hv_balloon.c",
        "\t\t__ClearPageOffline(pg);\n",
        "",
        "PA2006",
        "\t\t\t__SetPageOffline(pg + j);",
        (("\t\t__free_page(pg);", "__free_page(pg);"),),
        ("\t\t\t__SetPageOffline(pg);",),
    ),
    # A driver's own helpers (vmw marks the frames of a huge page in a loop):
    # the clearing helper stops clearing, or stops being called, or the
    # inflate path stops calling the marking helper. balloon_page_list_dequeue()
    # in the same file clears only the library's own marks, never these.
    "vmw-clearing-helper-stops-clearing": Plant(
        "drivers/misc/vmw_balloon.c",
        "\t\t__ClearPageOffline(page + i);\n",
        "\t\tcpu_relax();\n",
        "PA2006",
        "\t\t__SetPageOffline(page + i);",
        (("static void vmballoon_enqueue_page_list(", "vmballoon_mark_page_offline(page,"),),
    ),
    "vmw-deflate-stops-calling-the-clearing-helper": Plant(
        "drivers/misc/vmw_balloon.c",
        "\t\tvmballoon_mark_page_online(page, VMW_BALLOON_2M_PAGE);\n",
        "",
        "PA2006",
        "\t\t__SetPageOffline(page + i);",
        (("vmballoon_mark_page_online(struct page", "__ClearPageOffline(page + i);"),),
    ),
    "vmw-inflate-stops-marking": Plant(
        "drivers/misc/vmw_balloon.c",
        "\t\t\tvmballoon_mark_page_offline(page, VMW_BALLOON_2M_PAGE);\n",
        "",
        "PA2006",
        "\t\t__SetPageOffline(page + i);",
        (("vmballoon_mark_page_online(struct page", "__ClearPageOffline(page + i);"),),
    ),
    "virtio-insert-without-pages_lock": Plant(
        "drivers/virtio/virtio_balloon.c",
        "\tspin_lock_irqsave(&vb_dev_info->pages_lock, flags);\n"
        "\tballoon_page_insert(vb_dev_info, newpage);\n"
        "\tvb_dev_info->isolated_pages--;\n"
        "\t__count_vm_event(BALLOON_MIGRATE);\n"
        "\tspin_unlock_irqrestore(&vb_dev_info->pages_lock, flags);\n",
        "\tballoon_page_insert(vb_dev_info, newpage);\n"
        "\tvb_dev_info->isolated_pages--;\n"
        "\t__count_vm_event(BALLOON_MIGRATE);\n",
        "PA2003",
        "\tballoon_page_insert(vb_dev_info, newpage);",
        # The page lock of newpage comes from the callback context: cited at the function.
        (("static int virtballoon_migratepage(", "virtballoon_migratepage"),),
    ),
    "vmcoreinfo-without-page-offline": Plant(
        "kernel/vmcore_info.c",
        "\tVMCOREINFO_NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE);\n",
        "",
        "PA2007",
        "\tVMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);",
        (),
    ),
}


def line_in(text: str, context: str, needle: str) -> int:
    """1-based line of the first ``needle`` at or after the unique ``context``."""
    start = line_of(text, context)
    lines = text.splitlines()
    return next(n for n in range(start, len(lines) + 1) if needle in lines[n - 1])


def line_of(text: str, snippet: str) -> int:
    """1-based line where ``snippet`` (which may span lines) starts; it must occur once."""
    assert text.count(snippet) == 1, f"{snippet!r} occurs {text.count(snippet)} times"
    return text[: text.index(snippet)].count("\n") + 1


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_planted_bug_is_found_at_its_line_with_a_trace(
    kernel_tree: Path, tmp_path: Path, name: str
) -> None:
    plant = PLANTS[name]
    for path in (*BALLOON_CODE, *RULE_TEXTS):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kernel_tree / path, tmp_path / path)
    target = tmp_path / plant.file
    original = target.read_text()
    assert original.count(plant.old) == 1
    edited = original.replace(plant.old, plant.new)
    target.write_text(edited)

    report = scan_tree(BaseTree(tmp_path), list(BALLOON_CODE), RULES, Options())

    found = {(f.file, f.line, f.rule_id) for f in pack_findings(report.findings)}
    lines = [line_of(edited, plant.at)] + [line_of(edited, more) for more in plant.more_at]
    assert found == {(plant.file, line, plant.rule) for line in lines}
    finding = next(f for f in report.findings if f.line == lines[0] and f.rule_id == plant.rule)
    assert finding.trace, "a finding must explain itself"
    traced = {step.line for step in finding.trace}
    for context, needle in plant.trace:
        assert line_in(edited, context, needle) in traced, (needle, finding.trace)
    assert finding.source is not None and finding.source.line is not None
    assert all(step.file == plant.file for step in finding.trace)


def test_lock_order_trace_names_where_pages_lock_was_taken(kernel_tree: Path, tmp_path: Path) -> None:
    plant = PLANTS["helper-waits-for-page-lock-its-callers-hold-pages_lock"]
    for path in (*BALLOON_CODE, *RULE_TEXTS):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kernel_tree / path, tmp_path / path)
    target = tmp_path / plant.file
    edited = target.read_text().replace(plant.old, plant.new)
    target.write_text(edited)

    report = scan_tree(BaseTree(tmp_path), [plant.file], RULES, Options())

    [finding] = pack_findings(report.findings)
    assert finding.function == "balloon_page_enqueue_one"
    taken = [step for step in finding.trace if "pages_lock taken" in step.message]
    # Both callers take pages_lock before calling the helper: both are named.
    assert {step.message.split("(in ")[1].split("()")[0] for step in taken} == {
        "balloon_page_list_enqueue",
        "balloon_page_enqueue",
    }
    assert "spin_lock_irqsave(&b_dev_info->pages_lock, flags)" in taken[0].message


# ------------------------------------------------------------------ check: removals, at the changed line


@dataclass(frozen=True)
class Removal:
    file: str
    old: str
    new: str
    rule: str
    # The other end of the pair, which the trace must name: (unique context, line text).
    trace: tuple[tuple[str, str], ...]


REMOVALS = {
    # Found by scan too, but at the sets (xen 150; hv 684 and 1233) or at the
    # buddy export: check reports each at the line the patch removed.
    "xen-deflate-without-ClearPageOffline": Removal(
        "drivers/xen/balloon.c", PLANTS["xen-deflate-without-ClearPageOffline"].old, PLANTS["xen-deflate-without-ClearPageOffline"].new, "PA2006",
        (("static void balloon_append(", "__SetPageOffline(page);"),),
    ),
    "hv-deflate-without-ClearPageOffline": Removal(
        "drivers/hv/hv_balloon.c", PLANTS["hv-deflate-without-ClearPageOffline"].old, PLANTS["hv-deflate-without-ClearPageOffline"].new, "PA2006",
        (("static unsigned int alloc_balloon_pages(", "__SetPageOffline(pg + j);"),
         ("static void hv_page_online_one(", "__SetPageOffline(pg);")),
    ),
    "vmcoreinfo-without-page-offline": Removal(
        "kernel/vmcore_info.c", PLANTS["vmcoreinfo-without-page-offline"].old, PLANTS["vmcoreinfo-without-page-offline"].new, "PA2007",
        (("#define PAGE_BUDDY_MAPCOUNT_VALUE", "VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);"),),
    ),
    "vmw-clearing-helper-stops-clearing": Removal(
        "drivers/misc/vmw_balloon.c", PLANTS["vmw-clearing-helper-stops-clearing"].old, PLANTS["vmw-clearing-helper-stops-clearing"].new, "PA2006",
        (("vmballoon_mark_page_offline(struct page", "__SetPageOffline(page + i);"),),
    ),
    "vmw-inflate-stops-marking": Removal(
        "drivers/misc/vmw_balloon.c", PLANTS["vmw-inflate-stops-marking"].old, PLANTS["vmw-inflate-stops-marking"].new, "PA2006",
        (("vmballoon_mark_page_online(struct page", "__ClearPageOffline(page + i);"),),
    ),
    # Not seen by scan at all: hv still marks pages on its hot-add path, and
    # isolation without its list removal breaks no lock rule.
    "hv-inflate-stops-marking": Removal(
        "drivers/hv/hv_balloon.c",
        "\t\tfor (j = 0; j < alloc_unit; j++) {\n\t\t\t__SetPageOffline(pg + j);\n",
        "\t\tfor (j = 0; j < alloc_unit; j++) {\n",
        "PA2006",
        (("static void free_balloon_pages(", "__ClearPageOffline(pg);"),),
    ),
    # Found by neither before: a clear dropped from one branch of a helper
    # that still clears on the other (its callers reached the clear through
    # the helper itself), and an exported function that stops marking (its
    # one caller in the file marks elsewhere; callers outside are unseen).
    "virtio_mem-clear-dropped-from-one-branch": Removal(
        "drivers/virtio/virtio_mem.c",
        "\t\t\tvirtio_mem_clear_fake_offline(pfn + i, 1 << order, true);\n",
        "",
        "PA2006",
        (("static void virtio_mem_set_fake_offline(", "__SetPageOffline(page);"),),
    ),
    "xen-exported-free-stops-marking": Removal(
        "drivers/xen/balloon.c",
        "\t\tif (pages[i])\n\t\t\tballoon_append(pages[i]);\n",
        "",
        "PA2006",
        (("static struct page *balloon_retrieve(", "__ClearPageOffline(page);"),),
    ),
    "isolation-without-list-removal": Removal(
        "mm/balloon_compaction.c",
        "\tspin_lock_irqsave(&b_dev_info->pages_lock, flags);\n\tlist_del(&page->lru);\n"
        "\tb_dev_info->isolated_pages++;\n",
        "\tspin_lock_irqsave(&b_dev_info->pages_lock, flags);\n\tb_dev_info->isolated_pages++;\n",
        "PA2002",
        (),
    ),
}


def _mail(path: str, before: str, after: str) -> str:
    diff = "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        f"a/{path}", f"b/{path}", n=3,
    ))
    return (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Ada Fixture <ada@example.org>\nDate: Mon, 2 Mar 2026 11:00:00 +0100\n"
        "Subject: [PATCH] a planted removal\n\nA planted removal.\n\n"
        "Signed-off-by: Ada Fixture <ada@example.org>\n---\n"
        f"diff --git a/{path} b/{path}\n{diff}-- \n2.43.0\n\n"
    )


@pytest.mark.parametrize("name", sorted(REMOVALS))
def test_check_reports_a_removal_where_the_patch_made_it(
    kernel_tree: Path, tmp_path: Path, name: str
) -> None:
    plant = REMOVALS[name]
    tree = tmp_path / "tree"
    for path in {*BALLOON_CODE, plant.file, *RULE_TEXTS}:
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kernel_tree / path, tree / path)
    original = (tree / plant.file).read_text()
    assert original.count(plant.old) == 1
    edited = original.replace(plant.old, plant.new)
    mbox = tmp_path / "patch.mbox"
    mbox.write_text(_mail(plant.file, original, edited))

    report = check_series(load_series(str(mbox)), BaseTree(tree), RULES, Options())

    # The place of the removed line: the first line the two texts differ at.
    changed = next(
        n for n, (a, b) in enumerate(zip(original.splitlines(), edited.splitlines()), 1) if a != b
    )
    new = [f for f in pack_findings(report.findings) if f.status is Status.NEW]
    assert {(f.file, f.line, f.rule_id) for f in new} == {(plant.file, changed, plant.rule)}
    [finding] = new
    assert finding.message.startswith("the patch removes ")
    assert finding.code in plant.old
    traced = {step.line for step in finding.trace}
    assert changed in traced
    for context, needle in plant.trace:
        assert line_in(edited, context, needle) in traced, (needle, finding.trace)
    assert finding.source is not None and finding.source.line is not None

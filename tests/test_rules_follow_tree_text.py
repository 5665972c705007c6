"""End to end through the CLI: rules follow the text of the tree they run on."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kernel_doc_oracle import kernel_doc_warnings

from patchaudit.analyses.docs import CommentStyle, kernel_doc_problems
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules

REPO = Path(__file__).resolve().parents[1]
HEADER = "include/linux/balloon_compaction.h"
SOURCE = "mm/balloon_compaction.c"
DRIVER = "drivers/misc/demo_balloon.c"
CODING_STYLE = "Documentation/process/coding-style.rst"
ALL_RULES = frozenset(rule.id for rule in load_rules([rules_dir()]))

# Rules that need no documentation text: series and suppression checks.
UNANCHORED = frozenset({"PA0001", "PA0002", "PA0003", "PA0004", "PA0005", "PA0010", "PA0030"})
# The contract rules judge the tree's own statements: in scan they need a tree index.
CONTRACT_RULES = frozenset({"PA4001", "PA4002", "PA4003", "PA4004", "PA4005", "PA4006"})

# A 5.0-era balloon_compaction.h, written for this test after KERNEL-NOTES.md:
# rule i in the words 5.0 and 5.1 share (the seed keeps it as context), rules
# ii-iv (refcount, re-test PageBalloon/PagePrivate, clear PagePrivate) in this
# test's own words, no page->private/page->mapping paragraph (the seed adds
# it), and the 5.x kernel-doc contracts of balloon_page_insert() and
# balloon_page_delete().
HEADER_5_0 = """\
/* SPDX-License-Identifier: GPL-2.0 */
/*
 * include/linux/balloon_compaction.h
 *
 * Interface that lets compaction move the pages a balloon driver holds.
 *
 * Balloon pages sit on no LRU list, so compaction treats them as a special
 * case.  Its scanner looks at them without locks and can race with the
 * driver, so balloon code keeps to these four rules:
 *
 *   i. when updating a balloon's page ->mapping element, strictly do it under
 *      the following lock order, independently of the far superior
 *      locking scheme (lru_lock, balloon_lock):
 *	    +-page_lock(page);
 *	      +--spin_lock_irq(&b_dev_info->pages_lock);
 *	            ... page->mapping updates here ...
 *
 *  ii. a page taken off the device list for isolation or dequeueing holds
 *      one extra reference until it is put back on the list;
 *
 * iii. once the scanner has chosen a page, test PageBalloon() and
 *      PagePrivate() again under the page lock before isolating it;
 *
 *  iv. whoever isolates or dequeues a page clears PagePrivate() under the
 *      page lock, together with taking it off the device page list.
 */
#ifndef _LINUX_BALLOON_COMPACTION_H
#define _LINUX_BALLOON_COMPACTION_H
#include <linux/page-flags.h>
#include <linux/list.h>

struct balloon_dev_info {
	unsigned long isolated_pages;	/* pages away for migration */
	spinlock_t pages_lock;		/* guards the pages list */
	struct list_head pages;		/* pages the host holds */
};

extern struct page *balloon_page_dequeue(struct balloon_dev_info *b_dev_info);

/*
 * balloon_page_insert - put a page on the balloon device's page list.
 * @balloon: the device that takes the page
 * @page: the page to add
 *
 * Caller must ensure the page is locked and the spin_lock protecting balloon
 * pages list is held before inserting a page into the balloon device.
 */
static inline void balloon_page_insert(struct balloon_dev_info *balloon,
				       struct page *page)
{
	__SetPageBalloon(page);
	set_page_private(page, (unsigned long)balloon);
	list_add(&page->lru, &balloon->pages);
}

/*
 * balloon_page_delete - take a page off the balloon device's page list.
 * @page: the page to remove
 *
 * Caller must ensure the page is locked and the spin_lock protecting balloon
 * pages list is held before deleting a page from the balloon device.
 */
static inline void balloon_page_delete(struct page *page)
{
	__ClearPageBalloon(page);
	set_page_private(page, 0);
	list_del(&page->lru);
}
#endif /* _LINUX_BALLOON_COMPACTION_H */
"""

# The 5.0 code that header governs, in this test's words: it no longer
# touches PagePrivate() (rules iii and iv were stale), it still uses
# PageBalloon().
SOURCE_5_0 = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

struct page *balloon_page_dequeue(struct balloon_dev_info *b_dev_info)
{
	struct page *page, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b_dev_info->pages, lru) {
		if (!trylock_page(page))
			continue;
		if (PageBalloon(page)) {
			balloon_page_delete(page);
			unlock_page(page);
			spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
			return page;
		}
		unlock_page(page);
	}
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
	return NULL;
}
"""

# A header as mainline has it from 2025 on, written for this test after
# KERNEL-NOTES.md: one global balloon_pages_lock, no page-lock step, a
# movable-ops page type instead of page->mapping. Only the page->private
# sentence survives word for word.
HEADER_GLOBAL_LOCK = """\
/* SPDX-License-Identifier: GPL-2.0 */
/*
 * include/linux/balloon_compaction.h
 *
 * Interface that lets compaction move the pages a balloon driver holds.
 *
 * page->private is used to reference the responsible balloon device.
 * Balloon pages carry the movable-ops page type; page->mapping is unused.
 *
 * Compaction scans pages without locks, so balloon code keeps to these rules:
 *
 *   i. set or clear the page type and page->private of a balloon page only
 *      under balloon_pages_lock;
 *
 *  ii. isolation or dequeueing procedure must remove the page from balloon
 *      device page list under balloon_pages_lock.
 */
#ifndef _LINUX_BALLOON_COMPACTION_H
#define _LINUX_BALLOON_COMPACTION_H
#include <linux/page-flags.h>
#include <linux/list.h>

extern spinlock_t balloon_pages_lock;

struct balloon_dev_info {
	unsigned long isolated_pages;	/* pages away for migration */
	struct list_head pages;		/* pages the host holds */
};

/*
 * balloon_page_insert - put a page on the balloon device's page list.
 * @balloon: the device that takes the page
 * @page: the page to add
 *
 * Caller must hold balloon_pages_lock.
 */
static inline void balloon_page_insert(struct balloon_dev_info *balloon,
				       struct page *page)
{
	__SetPageOffline(page);
	set_page_private(page, (unsigned long)balloon);
	list_add(&page->lru, &balloon->pages);
}

/*
 * balloon_page_finalize - get a page that left the balloon list ready for
 * the page allocator.
 * @page: the page
 *
 * Caller must hold balloon_pages_lock.
 */
static inline void balloon_page_finalize(struct page *page)
{
	set_page_private(page, 0);
	__ClearPageOffline(page);
}
#endif /* _LINUX_BALLOON_COMPACTION_H */
"""

# The same driver in every tree: it takes a page off the balloon list
# without pages_lock (rule ii) and calls the 5.x balloon_page_delete()
# without any lock (its contract). Which of the two is reported shows which
# rule ran.
DRIVER_SRC = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/balloon_compaction.h>

struct page *demo_balloon_take(struct balloon_dev_info *b_dev_info)
{
	struct page *page;

	page = list_first_entry(&b_dev_info->pages, struct page, lru);
	list_del(&page->lru);
	return page;
}

void demo_balloon_forget(struct page *page)
{
	balloon_page_delete(page);
}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def cli(*args: str) -> tuple[int, dict[str, Any]]:
    """Run ``python -m patchaudit ARGS -f json``: exit status and the JSON report."""
    run = subprocess.run(
        [sys.executable, "-m", "patchaudit", *args, "-f", "json"],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


# ------------------------------------------------------------------ bullet 1: three trees, one pack

HEADER_RULES = (
    "PA2001", "PA2002", "PA2003", "PA2004", "PA2005", "PA2008", "PA2009", "PA3201", "PA3202",
)


def _three_trees(root: Path, kernel_tree: Path) -> dict[str, Path]:
    headers = {
        "5.0": HEADER_5_0,
        "6.12": (kernel_tree / HEADER).read_text(),
        "balloon_pages_lock": HEADER_GLOBAL_LOCK,
    }
    return {name: write(root / name, {HEADER: text, DRIVER: DRIVER_SRC}) for name, text in headers.items()}


@pytest.mark.kernel
def test_one_rule_pack_applies_exactly_the_rules_whose_text_each_tree_has(
    kernel_tree: Path, tmp_path: Path
) -> None:
    trees = _three_trees(tmp_path, kernel_tree)
    # Of the rules that quote balloon_compaction.h, each tree has these texts:
    # 5.0 keeps rule i and the 5.x contracts of insert and delete; 6.12 has
    # rules i and ii, the insert and finalize contracts and the page->private
    # and page->mapping sentences; the balloon_pages_lock header keeps the
    # page->private sentence and words rule ii as mainline does (PA2009; its
    # rule i is worded otherwise, so PA2008 does not apply).
    expected_header_rules = {
        "5.0": {"PA2001", "PA2003", "PA2004"},
        "6.12": {"PA2001", "PA2002", "PA2003", "PA2005", "PA3201", "PA3202"},
        "balloon_pages_lock": {"PA2009", "PA3201"},
    }
    # The one driver breaks rule ii and the balloon_page_delete() contract:
    # each is reported exactly where its rule applies, rule ii in the words
    # of each era.
    expected_findings = {
        "5.0": {("PA2004", DRIVER, 15)},
        "6.12": {("PA2002", DRIVER, 9)},
        "balloon_pages_lock": {("PA2009", DRIVER, 9)},
    }
    for name, tree in trees.items():
        status, report = cli("scan", str(tree), HEADER, DRIVER)
        applies = {rule["id"]: rule for rule in report["rules"]}
        assert set(applies) == ALL_RULES
        # Everything else quotes files these trees do not have (page-flags.h,
        # vmcoreinfo.rst, Documentation/doc-guide/); PA0020 is a series rule
        # about edits of rule texts and is always on.
        assert {rid for rid, rule in applies.items() if rule["applies"]} == (
            UNANCHORED | {"PA0020"} | expected_header_rules[name]
        ), name
        for rid in set(HEADER_RULES) - expected_header_rules[name]:
            assert applies[rid]["reason"].startswith(f"{HEADER} does not contain the rule text"), rid
        for rid in ALL_RULES - UNANCHORED - {"PA0020"} - set(HEADER_RULES) - CONTRACT_RULES:
            assert applies[rid]["reason"].endswith("is not in the tree"), (name, rid)
        for rid in CONTRACT_RULES:
            assert applies[rid]["reason"].startswith("needs the tree index"), (name, rid)
        found = {(f["rule_id"], f["file"], f["line"]) for f in report["findings"]}
        assert found == expected_findings[name], name
        assert status == (1 if found else 0)


def test_the_text_report_says_how_many_rules_applied(tmp_path: Path) -> None:
    tree = write(tmp_path, {HEADER: HEADER_GLOBAL_LOCK, DRIVER: DRIVER_SRC})
    run = subprocess.run(
        [sys.executable, "-m", "patchaudit", "scan", str(tree), HEADER, DRIVER],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
    )
    # Rule ii, worded as in the balloon_pages_lock era, applies: the driver breaks it.
    assert (run.returncode, run.stdout) == (
        1,
        "drivers/misc/demo_balloon.c:9:2: error: list_del() takes 'page' off "
        "balloon_dev_info.pages, but balloon_pages_lock is not held "
        "[PA2009-balloon-list-removal-without-balloon-pages-lock]\n"
        f"total: 1 error, 0 warnings, 0 notes (2 C files analysed, 10 of {len(ALL_RULES)} rules applied)\n",
    )


# ------------------------------------------------------------------ bullet 2: PagePrivate is stale in 5.0, nothing in 6.12

def _mentions(text: str, name: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.search(rf"\b{name}\b", line)]


@pytest.mark.kernel
def test_doc_stale_reference_names_pageprivate_in_5_0_and_nothing_in_6_12(
    kernel_tree: Path, tmp_path: Path
) -> None:
    # PA3101 quotes coding-style.rst: the 5.0 tree gets the sentence it quotes.
    style = "Generally, you want your comments to tell WHAT your code does, not HOW.\n"
    old = write(tmp_path / "5.0", {HEADER: HEADER_5_0, SOURCE: SOURCE_5_0, CODING_STYLE: style})
    new = tmp_path / "6.12"
    for path in (HEADER, SOURCE, CODING_STYLE):
        (new / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kernel_tree / path, new / path)

    _, report = cli("scan", str(old), HEADER, SOURCE)
    first, *others = _mentions(HEADER_5_0, "PagePrivate")
    # The one finding on the 5.0 tree: the code keeps the locking rules.
    assert [(f["rule_id"], f["file"], f["line"]) for f in report["findings"]] == [
        ("PA3101", HEADER, first)
    ]
    [stale] = report["findings"]
    assert "'PagePrivate'" in stale["message"]
    assert [step["line"] for step in stale["trace"] if "PagePrivate" in step["message"]] == others
    # PageBalloon, named in the same sentence, is still used by the code.
    assert all("PageBalloon" not in f["message"] for f in report["findings"])

    _, report = cli("scan", str(new), HEADER, SOURCE)
    assert next(r for r in report["rules"] if r["id"] == "PA3101")["applies"] is True
    assert [f for f in report["findings"] if f["rule_id"] == "PA3101"] == []


# ------------------------------------------------------------------ bullet 3: rule-source-changed


def _notes(report: dict[str, Any]) -> list[tuple[int, str, int, str]]:
    """The rule-source-changed notes: (patch, file, line, message)."""
    return [
        (f["patch"]["index"], f["file"], f["line"], f["message"])
        for f in report["findings"]
        if f["rule_id"] == "PA0020"
    ]


def _line_of(text: str, snippet: str) -> int:
    assert text.count(snippet) == 1, snippet
    return text[: text.index(snippet)].count("\n") + 1


def test_sample_series_patch_1_gets_rule_source_changed_naming_the_rules(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "patchaudit", "check", "samples/series.mbox", "--tree", "samples/tree",
         "-f", "json", "-o", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
    )
    assert run.returncode == 1, run.stderr
    report = json.loads(out.read_text())
    after = (REPO / "samples/series-src/01/tree" / HEADER).read_text()
    rule_ii = _line_of(after, " *  ii. isolation or dequeueing procedure")
    # Patch 1 rewrites the rule block as the seed does: rules i and ii, in the
    # words the rules quote, replace the sample's own 5.0-era wording.
    assert _notes(report) == [
        (1, HEADER, _line_of(after, " *   i. when updating a balloon's page ->mapping"),
         ("the patch edits documentation that rules encode: "
          "PA2001-balloon-page-lock-after-pages-lock, PA2002-balloon-list-removal-without-pages-lock "
          "(now apply: PA2001, PA2002)")),
        (2, "include/linux/page-flags.h", 100,
         ("the patch edits documentation that rules encode: PA1001-removed-pageballoon, "
          "PA1002-removed-setpageballoon, PA1003-removed-clearpageballoon, PA1004-removed-pg-balloon, "
          "PA1005-removed-page-balloon-mapcount-value, PA2006-page-offline-never-cleared "
          "(now apply: PA1001, PA1002, PA1003, PA1004, PA1005, PA2006)")),
        (3, "Documentation/admin-guide/kdump/vmcoreinfo.rst", 34,
         ("the patch edits documentation that rules encode: "
          "PA2007-vmcoreinfo-page-offline-not-exported (now apply: PA2007)")),
    ]
    note = next(f for f in report["findings"] if f["rule_id"] == "PA0020")
    assert note["severity"] == "note" and note["status"] == "new"
    assert [(step["line"], step["message"].splitlines()[0]) for step in note["trace"]] == [
        (rule_ii - 7, "PA2001 text after the patch:"),
        (rule_ii, "PA2002 text after the patch:"),
    ]
    assert "under b_dev_info->pages_lock." in note["trace"][1]["message"]


# The seed's first patch on the 5.0 header: the paragraph on page->private
# and page->mapping comes in, rules ii-iv give way to the new rule ii, rule i
# stays as it was.
HEADER_5_1 = HEADER_5_0.replace(
    """ * Balloon pages sit on no LRU list, so compaction treats them as a special
 * case.  Its scanner looks at them without locks and can race with the
 * driver, so balloon code keeps to these four rules:
""",
    """ * Balloon pages are moved with the generic non-lru movable page support.
 *
 * page->private is used to reference the responsible balloon device.
 * page->mapping is used in context of non-lru page migration to reference
 * the address space operations for page isolation/migration/compaction.
 *
 * Compaction scans pages without locks and can race with the driver, so
 * balloon code keeps to these rules:
""",
).replace(
    """ *  ii. a page taken off the device list for isolation or dequeueing holds
 *      one extra reference until it is put back on the list;
 *
 * iii. once the scanner has chosen a page, test PageBalloon() and
 *      PagePrivate() again under the page lock before isolating it;
 *
 *  iv. whoever isolates or dequeues a page clears PagePrivate() under the
 *      page lock, together with taking it off the device page list.
""",
    """ *  ii. isolation or dequeueing procedure must remove the page from balloon
 *      device page list under b_dev_info->pages_lock.
""",
)


def _mail(index: int, total: int, subject: str, path: str, old: str, new: str) -> str:
    diff = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )
    return (
        f"From {index:040d} Mon Sep 17 00:00:00 2001\n"
        "From: Ada Fixture <ada@example.org>\n"
        f"Date: Mon, 2 Mar 2026 12:00:0{index} +0100\n"
        f"Subject: [PATCH {index}/{total}] {subject}\n"
        f"Message-Id: <done-issue5-{index}@example.org>\n\n"
        f"{subject}.\n\nSigned-off-by: Ada Fixture <ada@example.org>\n---\n"
        f"diff --git a/{path} b/{path}\n{diff}-- \n2.43.0\n\n"
    )


def test_seed_like_series_names_the_rules_each_rewrite_turns_on_and_off(tmp_path: Path) -> None:
    tree = write(tmp_path / "tree", {HEADER: HEADER_5_0})
    series = tmp_path / "series.mbox"
    series.write_text(
        _mail(1, 2, "mm: balloon: update comment about isolation/migration/compaction",
              HEADER, HEADER_5_0, HEADER_5_1)
        + _mail(2, 2, "mm: balloon: one global lock for all balloon pages",
                HEADER, HEADER_5_1, HEADER_GLOBAL_LOCK)
    )
    _, report = cli("check", str(series), "--tree", str(tree))
    assert [p["applies"] for p in report["patches"]] == [True, True]
    rule_ii_after_1 = _line_of(HEADER_5_1, " *  ii. isolation or dequeueing procedure")
    rule_ii_after_2 = _line_of(HEADER_GLOBAL_LOCK, " *  ii. isolation or dequeueing procedure")
    # Patch 1: rule i is unchanged (no word of it moves), the texts of rule ii
    # and of the page->private and page->mapping claims appear.
    # Patch 2: every text that spoke of pages_lock or page->mapping goes, and
    # rule ii in the words of the balloon_pages_lock era comes (PA2009).
    assert _notes(report) == [
        (1, HEADER, rule_ii_after_1,
         ("the patch edits documentation that rules encode: "
          "PA2002-balloon-list-removal-without-pages-lock, PA3201-balloon-page-private-misuse, "
          "PA3202-balloon-page-mapping-misuse (now apply: PA2002, PA3201, PA3202)")),
        (2, HEADER, rule_ii_after_2,
         ("the patch edits documentation that rules encode: "
          "PA2001-balloon-page-lock-after-pages-lock, PA2002-balloon-list-removal-without-pages-lock, "
          "PA2003-balloon-page-insert-unlocked, PA2004-balloon-page-delete-unlocked, "
          "PA2009-balloon-list-removal-without-balloon-pages-lock, "
          "PA3202-balloon-page-mapping-misuse "
          "(now apply: PA2009; no longer apply: PA2001, PA2002, PA2003, PA2004, PA3202)")),
    ]
    first, second = (f for f in report["findings"] if f["rule_id"] == "PA0020")
    # The trace shows the text: after patch 1 for what it adds, before patch 2
    # for what patch 2 removes.
    assert [(step["line"], step["message"].splitlines()[0]) for step in first["trace"]] == [
        (rule_ii_after_1, "PA2002 text after the patch:"),
        (_line_of(HEADER_5_1, " * page->private is used"), "PA3201 text after the patch:"),
        (_line_of(HEADER_5_1, " * page->mapping is used"), "PA3202 text after the patch:"),
    ]
    assert [(step["line"], step["message"].splitlines()[0]) for step in second["trace"]] == [
        (_line_of(HEADER_5_1, " *   i. when updating"), "PA2001 text before the patch:"),
        (rule_ii_after_1, "PA2002 text before the patch:"),
        (_line_of(HEADER_5_1, " * Caller must ensure the page is locked and the spin_lock protecting "
                  "balloon\n * pages list is held before inserting"), "PA2003 text before the patch:"),
        (_line_of(HEADER_5_1, " * Caller must ensure the page is locked and the spin_lock protecting "
                  "balloon\n * pages list is held before deleting"), "PA2004 text before the patch:"),
        (rule_ii_after_2, "PA2009 text after the patch:"),
        (_line_of(HEADER_5_1, " * page->mapping is used"), "PA3202 text before the patch:"),
    ]
    assert second["trace"][1]["message"].endswith("under b_dev_info->pages_lock.")


# ------------------------------------------------------------------ bullet 4: kernel-doc parity on handwritten fixtures

# The handwritten fixtures of the kernel-doc rules, read by scripts/kernel-doc
# itself: what it warns about in /** blocks is what patchaudit reports.
KERNEL_DOC_FIXTURES = (
    "tests/rules/PA3001/page_pool.c",
    "tests/rules/PA3002/page_pool.c",
    "tests/rules/PA3003/page_pool.c",
    "tests/rules/PA3004/page_pool.c",
    "tests/rules/PA3005/toy_balloon.h",
)
# Extra findings per fixture that scripts/kernel-doc does not give: none
# (an empty "Return:" heading satisfies both, tests/rules/PA3004/page_pool.c).
KNOWN_EXTRA: dict[str, set[tuple[str, str, str]]] = {}


@pytest.mark.kernel
@pytest.mark.parametrize("fixture", KERNEL_DOC_FIXTURES)
def test_handwritten_kernel_doc_fixtures_match_scripts_kernel_doc(kernel_tree: Path, fixture: str) -> None:
    if shutil.which("perl") is None:
        pytest.skip("perl is needed to run scripts/kernel-doc")
    path = REPO / fixture
    expected = kernel_doc_warnings(kernel_tree, str(path))
    assert expected, f"{fixture}: scripts/kernel-doc gave no warning to compare with"
    data = path.read_bytes()
    ours = {
        (p.kind.value, p.declaration, p.subject)
        for p in kernel_doc_problems(data.decode())
        if p.style is CommentStyle.KERNEL_DOC
    }
    assert ours - expected == KNOWN_EXTRA.get(fixture, set())
    assert expected - ours == set()

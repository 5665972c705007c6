"""``check`` mode: a locking or PG_offline violation is reported at the patch that adds it, only there."""

from __future__ import annotations

import difflib
from pathlib import Path

from patchaudit.engine import Options, check_series
from patchaudit.resources import rules_dir
from patchaudit.ruleset import RuleSet, load_rules
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

DRIVER = "drivers/misc/demo_balloon.c"
HYP = "drivers/misc/demo_hyp.c"

BASE = """// SPDX-License-Identifier: GPL-2.0
#include <linux/balloon_compaction.h>

struct demo_balloon {
	struct balloon_dev_info b_dev_info;
};

static int demo_migratepage(struct balloon_dev_info *b_dev_info, struct page *newpage,
			    struct page *page, enum migrate_mode mode)
{
	unsigned long flags;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	balloon_page_insert(b_dev_info, newpage);
	b_dev_info->isolated_pages--;
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
	balloon_page_finalize(page);
	return MIGRATEPAGE_SUCCESS;
}

static void demo_inflate_one(struct demo_balloon *db, struct page *page)
{
	balloon_page_enqueue(&db->b_dev_info, page);
}

static void demo_init(struct demo_balloon *db)
{
	db->b_dev_info.migratepage = demo_migratepage;
}
"""

# Patch 1 moves the counter update out of the lock and drops the lock around
# the insert.
AFTER_1 = BASE.replace(
    """	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	balloon_page_insert(b_dev_info, newpage);
	b_dev_info->isolated_pages--;
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
""",
    """	balloon_page_insert(b_dev_info, newpage);
	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	b_dev_info->isolated_pages--;
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
""",
)

HYP_BASE = """// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

static struct page *demo_hyp_inflate(void)
{
	struct page *page = alloc_page(GFP_HIGHUSER);

	if (page)
		demo_hyp_give(page_to_pfn(page));
	return page;
}

static void demo_hyp_deflate(struct page *page)
{
	demo_hyp_take(page_to_pfn(page));
	__free_page(page);
}
"""
# Patch 2 marks inflated pages offline, and forgets the deflate path.
HYP_AFTER = HYP_BASE.replace(
    """	if (page)
		demo_hyp_give(page_to_pfn(page));
""",
    """	if (page) {
		__SetPageOffline(page);
		demo_hyp_give(page_to_pfn(page));
	}
""",
)


def mail(number: int, subject: str, path: str, before: str, after: str) -> str:
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            f"a/{path}", f"b/{path}", n=3,
        )
    )
    return (
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
        "From: Dana Example <dana@example.org>\n"
        "Date: Mon, 3 Dec 2018 10:00:00 +0000\n"
        f"Subject: [PATCH {number}/2] {subject}\n\n"
        f"{subject}.\n\nSigned-off-by: Dana Example <dana@example.org>\n---\n"
        f"diff --git a/{path} b/{path}\n{diff}-- \n2.39.5\n\n"
    )


def line_of(text: str, snippet: str) -> int:
    assert text.count(snippet) == 1
    return text[: text.index(snippet)].count("\n") + 1


def test_each_violation_is_reported_at_the_patch_that_adds_it(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / DRIVER).parent.mkdir(parents=True)
    (tree / DRIVER).write_text(BASE)
    (tree / HYP).write_text(HYP_BASE)
    mbox = tmp_path / "series.mbox"
    mbox.write_text(
        mail(1, "demo: take pages_lock for the counter only", DRIVER, BASE, AFTER_1)
        + mail(2, "demo_hyp: mark inflated pages offline", HYP, HYP_BASE, HYP_AFTER)
    )
    # The tree has no include/ and Documentation/: apply the rules regardless,
    # those of the 5.1-6.12 text (the driver is written for it), not the 2026 ones.
    rules = RuleSet(tuple(r for r in load_rules([rules_dir()]) if r.source.era != "2026-"))
    report = check_series(load_series(str(mbox)), BaseTree(tree), rules, Options(all_rules=True))

    found = {(f.patch.index if f.patch else None, f.file, f.line, f.rule_id) for f in report.findings}
    assert found == {
        (1, DRIVER, line_of(AFTER_1, "\tballoon_page_insert(b_dev_info, newpage);"), "PA2003"),
        (2, HYP, line_of(HYP_AFTER, "__SetPageOffline(page);"), "PA2006"),
    }
    # balloon_page_finalize(page) was fine before and is untouched: never reported.
    assert all(f.rule_id != "PA2005" for f in report.findings)

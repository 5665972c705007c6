"""Stale references: a 5.0-style balloon header names PagePrivate, which its code no longer uses."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from patchaudit.analyses.docs import (
    StaleReason,
    governed_files,
    lost_references,
    stale_references,
    vocabulary,
)
from patchaudit.analyses.docs.mentions import MentionKind, mentions
from patchaudit.cfront import parse_c
from patchaudit.cfront.ir import Comment
from patchaudit.engine import Options, check_series, scan_tree
from patchaudit.model import Status
from patchaudit.resources import rules_dir
from patchaudit.ruleset import load_rules
from patchaudit.ruleset.kinds import KINDS
from patchaudit.ruleset.kinds.base import CheckContext
from patchaudit.series import load_series
from patchaudit.tree.base import BaseTree

HEADER = "include/linux/balloon_compaction.h"
SOURCE = "mm/balloon_compaction.c"

# Written after KERNEL-NOTES.md's description of the 5.0 header: four rules,
# iii names PageBalloon and PagePrivate, iv names PagePrivate.
HEADER_5_0 = """\
/* SPDX-License-Identifier: GPL-2.0 */
/*
 * include/linux/balloon_compaction.h
 *
 * Helpers that let compaction move the pages a balloon driver holds.
 *
 * Compaction scans pages without taking locks, so balloon code and the
 * scanner can race. Balloon code keeps to these rules:
 *
 *   i. set or clear a balloon page's ->mapping only under the page lock,
 *      and take b_dev_info->pages_lock inside it, never the other way round;
 *
 *  ii. while a page is isolated for migration, hold an extra reference to
 *      it so that it cannot be freed under the migration code;
 *
 * iii. after taking the page lock, test PageBalloon() and PagePrivate()
 *      again: the page may have left the balloon since it was scanned;
 *
 *  iv. clear PagePrivate() under the page lock while taking the page off
 *      the b_dev_info->pages list.
 */
#ifndef _LINUX_BALLOON_COMPACTION_H
#define _LINUX_BALLOON_COMPACTION_H
#include <linux/page-flags.h>
#include <linux/list.h>

struct balloon_dev_info {
	unsigned long isolated_pages;	/* pages isolated for migration */
	spinlock_t pages_lock;		/* protects the pages list */
	struct list_head pages;		/* pages handed to the host */
};

extern void balloon_page_enqueue(struct balloon_dev_info *b_dev_info, struct page *page);

static inline void balloon_page_insert(struct balloon_dev_info *balloon, struct page *page)
{
	__SetPageBalloon(page);
	set_page_private(page, (unsigned long)balloon);
	list_add(&page->lru, &balloon->pages);
}

static inline void balloon_page_delete(struct page *page)
{
	__ClearPageBalloon(page);
	set_page_private(page, 0);
	list_del(&page->lru);
}
#endif /* _LINUX_BALLOON_COMPACTION_H */
"""

# A 5.1-style header: the two rules that survived, in other words.
HEADER_5_1 = HEADER_5_0.replace(
    """ *  ii. while a page is isolated for migration, hold an extra reference to
 *      it so that it cannot be freed under the migration code;
 *
 * iii. after taking the page lock, test PageBalloon() and PagePrivate()
 *      again: the page may have left the balloon since it was scanned;
 *
 *  iv. clear PagePrivate() under the page lock while taking the page off
 *      the b_dev_info->pages list.
""",
    """ *  ii. isolating or dequeueing a page takes it off the b_dev_info->pages
 *      list under b_dev_info->pages_lock.
""",
)

SOURCE_5_0 = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

void balloon_page_enqueue(struct balloon_dev_info *b_dev_info, struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	balloon_page_insert(b_dev_info, page);
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
}

bool balloon_page_isolate(struct page *page)
{
	struct balloon_dev_info *b_dev_info = (void *)page_private(page);
	unsigned long flags;

	if (!PageBalloon(page))
		return false;
	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	list_del(&page->lru);
	b_dev_info->isolated_pages++;
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
	return true;
}
"""

# The same code a release earlier, when it still cleared PG_private.
SOURCE_OLDER = SOURCE_5_0.replace(
    "\tlist_del(&page->lru);\n", "\tClearPagePrivate(page);\n\tlist_del(&page->lru);\n"
)


def _tree(root: Path, files: dict[str, str]) -> BaseTree:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return BaseTree(root)


def _stale(tree: BaseTree, path: str = HEADER) -> list[tuple[str, StaleReason, int, tuple[int, ...]]]:
    irs = []
    for name in governed_files(path, tree.read):
        data = tree.read(name)
        assert data is not None
        irs.append(parse_c(data, name))
    return [(r.name, r.reason, r.line, r.other_lines) for r in stale_references(irs[0], vocabulary(irs))]


# ------------------------------------------------------------------ mentions


def test_mentions_are_code_shaped_names_only() -> None:
    comment = Comment(
        "/*\n"
        " * Take page_lock(page), then b_dev_info->pages_lock; the far superior\n"
        " * locking scheme (lru_lock, balloon_lock) and the page(s) do not matter.\n"
        " * Test PageBalloon() and PG_private; see include/linux/page-flags.h.\n"
        " */",
        1,
        5,
    )
    assert [(m.kind, m.name, m.base, m.flag, m.line) for m in mentions(comment)] == [
        (MentionKind.CALL, "page_lock", "", "", 2),
        (MentionKind.MEMBER, "pages_lock", "b_dev_info", "", 2),
        (MentionKind.NAME, "lru_lock", "", "", 3),
        (MentionKind.NAME, "balloon_lock", "", "", 3),
        (MentionKind.PAGE_FLAG, "PageBalloon", "", "balloon", 4),
        (MentionKind.PAGE_FLAG, "PG_private", "", "private", 4),
    ]


# ------------------------------------------------------------------ governed code


def test_the_header_governs_the_c_file_that_includes_it(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {HEADER: HEADER_5_0, SOURCE: SOURCE_5_0})
    assert governed_files(HEADER, tree.read) == (HEADER, SOURCE)
    assert governed_files(SOURCE, tree.read) == (SOURCE, HEADER)


def test_a_same_named_file_that_does_not_include_the_header_is_not_its_code(
    tmp_path: Path,
) -> None:
    unrelated = SOURCE_5_0.replace("#include <linux/balloon_compaction.h>\n", "")
    tree = _tree(tmp_path, {HEADER: HEADER_5_0, SOURCE: unrelated})
    assert governed_files(HEADER, tree.read) == (HEADER,)


# ------------------------------------------------------------------ one tree state


def test_5_0_header_names_pageprivate_which_its_code_no_longer_uses(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {HEADER: HEADER_5_0, SOURCE: SOURCE_5_0})
    # PageBalloon is still used (__SetPageBalloon, PageBalloon): not stale.
    assert _stale(tree) == [("PagePrivate", StaleReason.FLAG_UNUSED, 16, (19,))]


def test_5_1_header_has_no_stale_reference(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {HEADER: HEADER_5_1, SOURCE: SOURCE_5_0})
    assert _stale(tree) == []


def test_pageprivate_is_not_stale_while_the_code_still_clears_it(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {HEADER: HEADER_5_0, SOURCE: SOURCE_OLDER})
    assert _stale(tree) == []


def test_without_the_implementation_in_view_flags_are_not_judged(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {HEADER: HEADER_5_0})
    assert _stale(tree) == []


def test_a_renamed_member_of_a_governed_struct_is_stale(tmp_path: Path) -> None:
    renamed = HEADER_5_1.replace("pages_lock", "list_lock").replace(
        "under b_dev_info->list_lock", "under b_dev_info->pages_lock"
    )
    source = SOURCE_5_0.replace("pages_lock", "list_lock")
    tree = _tree(tmp_path, {HEADER: renamed, SOURCE: source})
    assert _stale(tree) == [("pages_lock", StaleReason.MEMBER_GONE, 14, ())]


# ------------------------------------------------------------------ across a change


def test_a_change_that_removes_the_last_use_is_named(tmp_path: Path) -> None:
    header = parse_c(HEADER_5_0.encode(), HEADER)
    before = vocabulary([header, parse_c(SOURCE_OLDER.encode(), SOURCE)])
    after = vocabulary([header, parse_c(SOURCE_5_0.encode(), SOURCE)])
    lost = lost_references(header, before, after)
    assert [(r.name, r.reason, r.line, r.other_lines) for r in lost] == [
        ("PagePrivate", StaleReason.LAST_USE_REMOVED, 16, (19,))
    ]
    assert lost_references(header, after, after) == []


# ------------------------------------------------------------------ the kind and the engine


def test_the_kind_reads_the_tree_through_its_context(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {HEADER: HEADER_5_0, SOURCE: SOURCE_5_0})
    rule = next(r for r in load_rules([rules_dir()]) if r.kind == "doc-stale-reference")
    kind = KINDS[rule.kind]
    ir = parse_c(HEADER_5_0.encode(), HEADER)
    assert list(kind.check(rule, ir)) == []  # no tree: the header alone is not judged
    context = CheckContext(HEADER_5_0.encode(), tree.read)
    [hit] = kind.check_in(rule, ir, context)  # type: ignore[attr-defined]
    assert (hit.line, hit.column) == (16, 60)
    assert hit.message == (
        "comment names 'PagePrivate', but the code it documents never uses the 'private' page "
        "flag (code read: include/linux/balloon_compaction.h, mm/balloon_compaction.c)"
    )
    assert [(step.line, step.message) for step in hit.trace] == [
        (19, "'PagePrivate' is mentioned here too")
    ]


@pytest.mark.parametrize(("header", "expected"), [(HEADER_5_0, [(HEADER, 16)]), (HEADER_5_1, [])])
def test_scan_reports_the_stale_comment(
    tmp_path: Path, header: str, expected: list[tuple[str, int]]
) -> None:
    # The rule applies where the tree has the coding-style text it quotes.
    style = "Generally, you want your comments to tell WHAT your code does, not HOW.\n"
    tree = _tree(
        tmp_path,
        {HEADER: header, SOURCE: SOURCE_5_0, "Documentation/process/coding-style.rst": style},
    )
    report = scan_tree(tree, [], load_rules([rules_dir()]), Options())
    found = [(f.file, f.line) for f in report.findings if f.rule_id == "PA3101"]
    assert found == expected
    info = report.rule("PA3101")
    assert info is not None and info.applies



STYLE = "Generally, you want your comments to tell WHAT your code does, not HOW.\n"


def _diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return f"diff --git a/{path} b/{path}\n" + "".join(lines)


def _check(
    tmp_path: Path, old: str, new: str, source: tuple[str, str] = (SOURCE_5_0, SOURCE_5_0)
) -> list[tuple[int, str, int, Status, str]]:
    """PA3101 findings of a one-patch series that turns the header ``old`` into ``new``
    (and the .c file ``source[0]`` into ``source[1]``)."""
    tree = _tree(
        tmp_path / "tree",
        {HEADER: old, SOURCE: source[0], "Documentation/process/coding-style.rst": STYLE},
    )
    patch = tmp_path / "0001.patch"
    text = _diff(HEADER, old, new) if old != new else ""
    if source[0] != source[1]:
        text += _diff(SOURCE, *source)
    patch.write_text(text)
    report = check_series(load_series(str(patch)), tree, load_rules([rules_dir()]), Options())
    return [
        (f.patch.index if f.patch else 0, f.file, f.line, f.status, f.message)
        for f in report.findings
        if f.rule_id == "PA3101"
    ]


def test_a_patch_that_rewrites_the_stale_comment_is_credited_with_the_fix(tmp_path: Path) -> None:
    [(patch, file, line, status, _)] = _check(tmp_path, HEADER_5_0, HEADER_5_1)
    assert (patch, file, line, status) == (1, HEADER, 16, Status.FIXED)


def test_a_patch_that_adds_a_stale_mention_gets_it(tmp_path: Path) -> None:
    stale = HEADER_5_1.replace(
        "list under b_dev_info->pages_lock.", "list under b_dev_info->pages_lock, and\n"
        " *      clears PagePrivate() while at it."
    )
    [(patch, file, line, status, _)] = _check(tmp_path, HEADER_5_1, stale)
    assert (patch, file, line, status) == (1, HEADER, 15, Status.NEW)


def test_a_patch_that_removes_the_last_use_of_a_mentioned_name_gets_it(tmp_path: Path) -> None:
    # Bare names (lru_lock) are never judged on one tree state, but a patch
    # that removes their last use from the code the comment documents is.
    header = HEADER_5_1.replace("never the other way round;", "whatever lru_lock is held;")
    touched = header.replace("/* protects the pages list */", "/* protects ->pages */")
    older = SOURCE_5_0.replace(
        "\tlist_del(&page->lru);\n", "\tspin_lock(&lru_lock);\n\tlist_del(&page->lru);\n"
    )
    assert _check(tmp_path, header, touched, (older, SOURCE_5_0)) == [
        (1, HEADER, 11, Status.NEW, (
            "comment names 'lru_lock', but the change removed its last use "
            "(code read: include/linux/balloon_compaction.h, mm/balloon_compaction.c)"
        )),
    ]
    assert _check(tmp_path / "same", header, touched, (older, older)) == []


def test_a_patch_to_the_c_file_alone_makes_the_untouched_header_stale(tmp_path: Path) -> None:
    # The engine analyses the header (a partner of the .c file) before and
    # after the patch even though the patch leaves it alone.
    header = HEADER_5_1.replace("never the other way round;", "whatever lru_lock is held;")
    older = SOURCE_5_0.replace(
        "\tlist_del(&page->lru);\n", "\tspin_lock(&lru_lock);\n\tlist_del(&page->lru);\n"
    )
    assert _check(tmp_path, header, header, (older, SOURCE_5_0)) == [
        (1, HEADER, 11, Status.NEW, (
            "comment names 'lru_lock', but the change removed its last use "
            "(code read: include/linux/balloon_compaction.h, mm/balloon_compaction.c)"
        )),
    ]


# ------------------------------------------------------------------ page-flag aliases

PAGE_FLAGS = "include/linux/page-flags.h"
CACHE = "mm/demo_cache.c"
# Written after the shape of enum pageflags: some bits are other bits under
# a second name, PG_fscache among them.
PAGE_FLAGS_ENUM = """\
/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bits of page->flags, and the names some of them go by.
 */
#ifndef PAGE_FLAGS_H
#define PAGE_FLAGS_H

enum pageflags {
	PG_locked,
	PG_private,
	PG_private_2,
	PG_owner_priv_1,
	__NR_PAGEFLAGS,

	/* Filesystems */
	PG_checked = PG_owner_priv_1,

	/* The local disk cache of a network filesystem borrows a private bit. */
	PG_fscache = PG_private_2,	/* page backed by cache */
};

#endif /* PAGE_FLAGS_H */
"""
CACHE_SRC = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/pagemap.h>

/**
 * demo_end_cache_write - the local cache has its copy of a folio now
 * @folio: the folio
 *
 * Clears PG_fscache and wakes whoever waits for it.
 */
void demo_end_cache_write(struct folio *folio)
{
	clear_bit_unlock(PG_private_2, folio_flags(folio, 0));
	folio_wake_bit(folio, PG_private_2);
}
"""


def _pa3101(tree: BaseTree) -> list[tuple[str, int, str]]:
    report = scan_tree(tree, [CACHE], load_rules([rules_dir()]), Options())
    return [(f.file, f.line, f.message) for f in report.findings if f.rule_id == "PA3101"]


def test_a_flag_named_by_its_alias_in_the_tree_s_enum_is_not_stale(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {PAGE_FLAGS: PAGE_FLAGS_ENUM, CACHE: CACHE_SRC,
                            "Documentation/process/coding-style.rst": STYLE})
    assert _pa3101(tree) == []


def test_without_the_alias_the_same_comment_is_stale(tmp_path: Path) -> None:
    no_alias = PAGE_FLAGS_ENUM.replace("\tPG_fscache = PG_private_2,\t/* page backed by cache */\n", "")
    tree = _tree(tmp_path, {PAGE_FLAGS: no_alias, CACHE: CACHE_SRC,
                            "Documentation/process/coding-style.rst": STYLE})
    assert _pa3101(tree) == [(
        CACHE, 8,
        "comment names 'PG_fscache', but the code it documents never uses the 'fscache' page "
        "flag (code read: mm/demo_cache.c)",
    )]


def test_a_flag_named_by_an_alias_the_code_defines_is_not_stale(tmp_path: Path) -> None:
    # No page-flags.h: the alias is the file's own #define of a helper.
    source = CACHE_SRC.replace(
        "#include <linux/pagemap.h>\n",
        "#include <linux/pagemap.h>\n\n#define PageFsCache(page)\tPagePrivate2((page))\n",
    ).replace("Clears PG_fscache", "Clears PageFsCache()")
    tree = _tree(tmp_path, {CACHE: source, "Documentation/process/coding-style.rst": STYLE})
    assert _pa3101(tree) == []


def test_a_flag_is_the_same_whether_its_name_has_underscores_or_not(tmp_path: Path) -> None:
    # PagePrivate2() and PG_private_2 are one flag.
    source = CACHE_SRC.replace("Clears PG_fscache", "Clears PagePrivate2()")
    tree = _tree(tmp_path, {CACHE: source, "Documentation/process/coding-style.rst": STYLE})
    assert _pa3101(tree) == []

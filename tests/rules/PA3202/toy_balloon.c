// SPDX-License-Identifier: GPL-2.0
/*
 * A toy balloon driver built on the balloon compaction interface. Its pages'
 * ->mapping serves non-lru page migration and is written only through
 * __SetPageMovable() / __ClearPageMovable().
 */
#include <linux/balloon_compaction.h>

static const struct movable_operations toy_mops;

struct toy_balloon {
	struct balloon_dev_info b_dev_info;
	struct address_space *mapping;
};

static void toy_make_movable(struct balloon_dev_info *b_dev_info, struct page *page)
{
	__SetPageMovable(page, &toy_mops); /* ok: PA3202 */
}

static void toy_make_movable_old(struct toy_balloon *tb, struct page *page)
{
	/* 5.x kernels passed the inode's address_space. */
	__SetPageMovable(page, tb->mapping); /* ok: PA3202 */
}

static void toy_release(struct toy_balloon *tb, struct page *page)
{
	__ClearPageMovable(page); /* ok: PA3202 */
	page->mapping = NULL; /* expect: PA3202 */
}

static void toy_mislabel(struct toy_balloon *tb, struct page *page)
{
	__SetPageMovable(page, &tb->b_dev_info); /* expect: PA3202 */
	__SetPageMovable(page, NULL); /* expect: PA3202 */
}

static void toy_folio(struct toy_balloon *tb, struct folio *folio)
{
	folio->mapping = tb->mapping; /* ok: PA3202 */
}

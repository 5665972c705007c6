/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of a toy balloon driver, documented with plain comments in
 * kernel-doc form: scripts/kernel-doc never reads them.
 */
#ifndef _TOY_BALLOON_H
#define _TOY_BALLOON_H
#include <linux/list.h>
#include <linux/mm_types.h>

/*
 * toy_page_stash - keep a page on a private list.
 * @head : the list
 * @page : the page to keep
 *
 * The list parameter is called @pages now.
 */
static inline void toy_page_stash(struct list_head *pages, struct page *page) /* expect: PA3005 */
{
	list_add(&page->lru, pages);
}

/*
 * toy_page_unstash - take the first page off a private list.
 * @head : the list
 * @page : the page taken (there is no such parameter: it is returned)
 */
static inline struct page *toy_page_unstash(struct list_head *pages) /* expect: PA3005 */
{
	struct page *page = list_first_entry_or_null(pages, struct page, lru);

	if (page)
		list_del(&page->lru);
	return page;
}

/*
 * toy_page_count - how many pages a private list holds.
 * @pages: the list
 */
static inline unsigned long toy_page_count(struct list_head *pages) /* ok: PA3005 */
{
	return list_count_nodes(pages);
}

/*
 * toy_page_forget - a plain comment separated from its function by a blank
 * line documents nothing in particular.
 * @head: the list
 */

static inline void toy_page_forget(struct list_head *pages) /* ok: PA3005 */
{
	INIT_LIST_HEAD(pages);
}

/*
 * Note - prose that happens to start like a name line is not kernel-doc form
 * without @param: lines.
 */
static inline void toy_page_reset(struct list_head *pages) /* ok: PA3005 */
{
	INIT_LIST_HEAD(pages);
}

/**
 * toy_page_drop() - a kernel-doc comment is PA3001's business
 * @head: the list
 */
static inline void toy_page_drop(struct list_head *pages) /* ok: PA3005 */
{
}

#endif /* _TOY_BALLOON_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of a toy balloon driver whose plain kernel-doc-form comments miss
 * parameters.
 */
#ifndef _TOY_BALLOON_H
#define _TOY_BALLOON_H
#include <linux/list.h>
#include <linux/mm_types.h>

/*
 * toy_page_stash - keep a page on a private list.
 * @head : the list, since renamed
 * @page : the page to keep
 */
static inline void toy_page_stash(struct list_head *pages, struct page *page) /* expect: PA3006 */
{
	list_add(&page->lru, pages);
}

/*
 * toy_page_move - move a page between private lists.
 * @page: the page to move
 * @to: where it goes
 */
static inline void toy_page_move(struct page *page, struct list_head *to) /* ok: PA3006 */
{
	list_move(&page->lru, to);
}

/*
 * toy_page_trace - log a page operation.
 * @page: the page
 * @fmt: printf-style format; the variadic arguments need no line of their own
 */
static inline void toy_page_trace(struct page *page, const char *fmt, ...) /* ok: PA3006 */
{
}

/*
 * toy_page_lru - a page's list head, in plain words: no @param: lines, so
 * this is prose and not kernel-doc form.
 */
static inline struct list_head *toy_page_lru(struct page *page) /* ok: PA3006 */
{
	return &page->lru;
}

#endif /* _TOY_BALLOON_H */

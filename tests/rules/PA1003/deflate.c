// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA1003: __ClearPageBalloon() was renamed __ClearPageOffline(). */
#include <linux/mm.h>

static int hyp_release_pages(struct list_head *pages)
{
	struct page *page, *next;
	int released = 0;

	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		__ClearPageBalloon(page);	/* expect: PA1003 */
		__free_page(page);
		released++;
	}
	return released;
}

static void hyp_release_one(struct page *page)
{
	__ClearPageOffline(page);	/* ok: PA1003 */
	__free_page(page);
}

static void (*const hyp_unmark)(struct page *) = __ClearPageBalloon;	/* expect: PA1003 */

// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: huge pages are marked here, small pages leave the
 * balloon through balloon_page_list_dequeue(), which clears the mark.
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

struct demo_balloon {
	struct balloon_dev_info b_dev_info;
	struct list_head huge_pages;
};

static void demo_enqueue_huge(struct demo_balloon *db, struct page *page)
{
	__SetPageOffline(page);	/* ok: PA2006 */
	list_add(&page->lru, &db->huge_pages);
}

static size_t demo_dequeue(struct demo_balloon *db, struct list_head *pages, size_t n)
{
	return balloon_page_list_dequeue(&db->b_dev_info, pages, n);
}

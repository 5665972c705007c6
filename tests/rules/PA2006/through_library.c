// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: huge pages are marked here and kept on the driver's
 * own list; small pages leave the balloon through balloon_page_list_dequeue(),
 * which clears only the marks the library set itself when it enqueued them.
 * Nothing clears the marks of the huge pages.
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

struct demo_balloon {
	struct balloon_dev_info b_dev_info;
	struct list_head huge_pages;
};

static void demo_enqueue_huge(struct demo_balloon *db, struct page *page)
{
	__SetPageOffline(page);	/* expect: PA2006 */
	list_add(&page->lru, &db->huge_pages);
}

void demo_enqueue(struct demo_balloon *db, struct page *page, bool huge)
{
	if (huge)
		demo_enqueue_huge(db, page);
	else
		balloon_page_enqueue(&db->b_dev_info, page);
}

static size_t demo_dequeue(struct demo_balloon *db, struct list_head *pages, size_t n)
{
	return balloon_page_list_dequeue(&db->b_dev_info, pages, n);
}

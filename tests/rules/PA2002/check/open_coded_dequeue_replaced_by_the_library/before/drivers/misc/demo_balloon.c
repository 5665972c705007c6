// SPDX-License-Identifier: GPL-2.0
/*
 * demo_balloon: gives the host's pages back one at a time.
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

struct demo_balloon {
	struct balloon_dev_info b_dev_info;
};

struct page *demo_take_back_one(struct demo_balloon *db)
{
	struct balloon_dev_info *b = &db->b_dev_info;
	struct page *page;
	unsigned long flags;

	spin_lock_irqsave(&b->pages_lock, flags);
	page = list_first_entry_or_null(&b->pages, struct page, lru);
	if (page) {
		lock_page(page);
		list_del(&page->lru);
		balloon_page_delete(page);
		unlock_page(page);
	}
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return page;
}

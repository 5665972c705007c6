// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: like vmw_balloon, this driver marks its huge pages
 * itself and keeps them on its own list; its small pages are the balloon
 * library's. balloon_page_finalize() in the migration callback clears the
 * mark the library set on a page of the balloon list, not the driver's own.
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

static int demo_migratepage(struct balloon_dev_info *b_dev_info, struct page *newpage,
			    struct page *page, enum migrate_mode mode)
{
	unsigned long flags;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	balloon_page_insert(b_dev_info, newpage);
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
	balloon_page_finalize(page);
	put_page(page);
	return 0;
}

void demo_init(struct demo_balloon *db)
{
	db->b_dev_info.migratepage = demo_migratepage;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2005: balloon_page_finalize() wants the page locked.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/balloon_compaction.h>

size_t demo_list_dequeue(struct balloon_dev_info *b, struct list_head *pages, size_t n_req)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(&b->pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b->pages, lru) {
		if (n == n_req)
			break;
		if (!trylock_page(page))
			continue;
		list_del(&page->lru);
		balloon_page_finalize(page);	/* ok: PA2005 */
		list_add(&page->lru, pages);
		unlock_page(page);
		n++;
	}
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return n;
}

size_t demo_list_dequeue_racy(struct balloon_dev_info *b, struct list_head *pages)
{
	struct page *page, *tmp;
	size_t n = 0;

	spin_lock_irq(&b->pages_lock);
	list_for_each_entry_safe(page, tmp, &b->pages, lru) {
		list_del(&page->lru);
		balloon_page_finalize(page);	/* expect: PA2005 */
		list_add(&page->lru, pages);
		n++;
	}
	spin_unlock_irq(&b->pages_lock);
	return n;
}

static int demo_migrate(struct page *dst, struct page *src, enum migrate_mode mode)
{
	struct balloon_dev_info *b = balloon_page_device(src);

	spin_lock_irq(&b->pages_lock);
	balloon_page_insert(b, dst);
	spin_unlock_irq(&b->pages_lock);
	balloon_page_finalize(src);	/* ok: PA2005 */
	return MIGRATEPAGE_SUCCESS;
}

void demo_release(struct page *page)
{
	folio_lock(page_folio(page));
	balloon_page_finalize(page);	/* ok: PA2005 */
	folio_unlock(page_folio(page));
	balloon_page_finalize(page);	/* expect: PA2005 */
	put_page(page);
}

const struct movable_operations demo_mops = {
	.migrate_page = demo_migrate,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2004 (Linux 5.x): balloon_page_delete() wants the page
 * locked and the balloon's pages_lock held.
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
		balloon_page_delete(page);	/* ok: PA2004 */
		list_add(&page->lru, pages);
		unlock_page(page);
		n++;
	}
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return n;
}

struct page *demo_dequeue_careless(struct balloon_dev_info *b)
{
	struct page *page = list_first_entry_or_null(&b->pages, struct page, lru);

	if (!page)
		return NULL;
	spin_lock(&b->pages_lock);
	balloon_page_delete(page);	/* expect: PA2004 */
	spin_unlock(&b->pages_lock);
	return page;
}

/* Both pages are locked by the migration core; pages_lock is ours to take. */
static int demo_migratepage(struct address_space *mapping, struct page *newpage,
			    struct page *page, enum migrate_mode mode)
{
	struct balloon_dev_info *b = balloon_page_device(page);
	unsigned long flags;

	spin_lock_irqsave(&b->pages_lock, flags);
	balloon_page_insert(b, newpage);
	balloon_page_delete(page);	/* ok: PA2004 */
	spin_unlock_irqrestore(&b->pages_lock, flags);
	balloon_page_delete(newpage);	/* expect: PA2004 */
	return MIGRATEPAGE_SUCCESS;
}

static const struct address_space_operations demo_aops = {
	.migratepage = demo_migratepage,
};

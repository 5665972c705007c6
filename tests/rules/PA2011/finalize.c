// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2011: balloon_page_finalize() is called with
 * balloon_pages_lock held (its 2026 comment).
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

static DEFINE_SPINLOCK(balloon_pages_lock);

static void balloon_page_finalize(struct page *page)
{
	lockdep_assert_held(&balloon_pages_lock);
	set_page_private(page, 0);
}

size_t demo_list_dequeue(struct balloon_dev_info *b, struct list_head *out, size_t want)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b->pages, lru) {
		if (n == want)
			break;
		list_del(&page->lru);
		balloon_page_finalize(page);	/* ok: PA2011 */
		list_add(&page->lru, out);
		n++;
	}
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return n;
}

/* Finalizes the old page after the lock was dropped, 6.12 style. */
static int demo_migrate(struct page *newpage, struct page *page, enum migrate_mode mode)
{
	struct balloon_dev_info *b = balloon_page_device(page);
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	b->isolated_pages--;
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	balloon_page_finalize(page);	/* expect: PA2011 */
	put_page(page);
	return 0;
}

/* Inside scoped_guard() the lock is held. */
void demo_drop_one(struct balloon_dev_info *b, struct page *page)
{
	scoped_guard(spinlock_irqsave, &balloon_pages_lock) {
		list_del(&page->lru);
		balloon_page_finalize(page);	/* ok: PA2011 */
	}
	put_page(page);
}

static const struct movable_operations demo_mops = {
	.migrate_page = demo_migrate,
};

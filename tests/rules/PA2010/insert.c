// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2010: balloon_page_insert() is called with
 * balloon_pages_lock held (its 2026 comment).
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

static DEFINE_SPINLOCK(balloon_pages_lock);

static void balloon_page_insert(struct balloon_dev_info *balloon, struct page *page)
{
	lockdep_assert_held(&balloon_pages_lock);
	__SetPageOffline(page);
	set_page_private(page, (unsigned long)balloon);
	list_add(&page->lru, &balloon->pages);
}

/* Called only by the two enqueue paths below, which hold the lock. */
static void demo_enqueue_one(struct balloon_dev_info *b, struct page *page)
{
	balloon_page_insert(b, page);	/* ok: PA2010 */
	__count_vm_event(BALLOON_INFLATE);
}

void demo_enqueue(struct balloon_dev_info *b, struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	demo_enqueue_one(b, page);
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
}

size_t demo_list_enqueue(struct balloon_dev_info *b, struct list_head *pages)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		demo_enqueue_one(b, page);
		n++;
	}
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return n;
}

/* Migration puts the new page in; the lock is taken only for the counter. */
static int demo_migrate(struct page *newpage, struct page *page, enum migrate_mode mode)
{
	struct balloon_dev_info *b = balloon_page_device(page);
	unsigned long flags;

	get_page(newpage);
	balloon_page_insert(b, newpage);	/* expect: PA2010 */
	spin_lock_irqsave(&balloon_pages_lock, flags);
	b->isolated_pages--;
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return 0;
}

/* The page lock was the 6.12 requirement; it does not stand in for the new one. */
void demo_enqueue_page_locked(struct balloon_dev_info *b, struct page *page)
{
	lock_page(page);
	balloon_page_insert(b, page);	/* expect: PA2010 */
	unlock_page(page);
}

static const struct movable_operations demo_mops = {
	.migrate_page = demo_migrate,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2009: pages leave b_dev_info->pages only under
 * balloon_pages_lock (rule ii of the 2026 balloon header).
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

static DEFINE_SPINLOCK(balloon_pages_lock);

size_t demo_list_dequeue(struct balloon_dev_info *b, struct list_head *out, size_t want)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b->pages, lru) {
		if (n == want)
			break;
		list_del(&page->lru);	/* ok: PA2009 */
		list_add(&page->lru, out);
		n++;
	}
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return n;
}

/* Isolation finds the device through page->private, under the lock. */
static bool demo_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b;
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	b = balloon_page_device(page);
	if (!b) {
		spin_unlock_irqrestore(&balloon_pages_lock, flags);
		return false;
	}
	list_del(&page->lru);	/* ok: PA2009 */
	b->isolated_pages++;
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return true;
}

/* The same isolation with the removal moved out of the critical section. */
static bool demo_isolate_racy(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b = balloon_page_device(page);
	unsigned long flags;

	if (!b)
		return false;
	list_del(&page->lru);	/* expect: PA2009 */
	spin_lock_irqsave(&balloon_pages_lock, flags);
	b->isolated_pages++;
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return true;
}

/* Rotates the first balloon page to the tail after the lock was dropped. */
void demo_rotate(struct balloon_dev_info *b)
{
	struct page *page;
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	page = list_first_entry(&b->pages, struct page, lru);
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	list_move_tail(&page->lru, &b->pages);	/* expect: PA2009 */
}

/* Pages on the caller's own list are not the balloon list. */
size_t demo_list_enqueue(struct balloon_dev_info *b, struct list_head *pages)
{
	struct page *page, *tmp;
	size_t n = 0;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);	/* ok: PA2009 */
		n++;
	}
	return n;
}

static const struct movable_operations demo_mops = {
	.isolate_page = demo_isolate,
};

static const struct movable_operations demo_racy_mops = {
	.isolate_page = demo_isolate_racy,
};

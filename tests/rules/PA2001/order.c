// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2001: the page lock comes first, then pages_lock. Waiting
 * for a page lock with pages_lock held inverts that order; a trylock never
 * waits and is fine.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/balloon_compaction.h>

struct other_dev {
	spinlock_t pages_lock;
	struct list_head pages;
};

static void demo_wait_under_pages_lock(struct balloon_dev_info *b, struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&b->pages_lock, flags);
	lock_page(page);	/* expect: PA2001 */
	unlock_page(page);
	spin_unlock_irqrestore(&b->pages_lock, flags);
}

static void demo_right_order(struct balloon_dev_info *b, struct page *page)
{
	lock_page(page);	/* ok: PA2001 */
	spin_lock_irq(&b->pages_lock);
	spin_unlock_irq(&b->pages_lock);
	unlock_page(page);
}

static void demo_trylock_cannot_deadlock(struct balloon_dev_info *b, struct page *page)
{
	spin_lock_irq(&b->pages_lock);
	BUG_ON(!trylock_page(page));	/* ok: PA2001 */
	unlock_page(page);
	if (folio_trylock(page_folio(page)))	/* ok: PA2001 */
		folio_unlock(page_folio(page));
	spin_unlock_irq(&b->pages_lock);
}

static void demo_folio_under_pages_lock(struct balloon_dev_info *b, struct page *page)
{
	spin_lock(&b->pages_lock);
	folio_lock(page_folio(page));	/* expect: PA2001 */
	folio_unlock(page_folio(page));
	spin_unlock(&b->pages_lock);
}

static int demo_killable_waits_too(struct balloon_dev_info *b, struct page *page)
{
	int ret = 0;

	spin_lock(&b->pages_lock);
	if (lock_page_killable(page)) {	/* expect: PA2001 */
		ret = -EINTR;
		goto out;
	}
	unlock_page(page);
out:
	spin_unlock(&b->pages_lock);
	return ret;
}

static void demo_after_unlock(struct balloon_dev_info *b, struct page *page)
{
	spin_lock(&b->pages_lock);
	b->isolated_pages++;
	spin_unlock(&b->pages_lock);
	lock_page(page);	/* ok: PA2001 */
	unlock_page(page);
}

static void demo_some_paths_only(struct balloon_dev_info *b, struct page *page, bool fast)
{
	if (fast)
		spin_lock(&b->pages_lock);
	lock_page(page);	/* ok: PA2001 */
	unlock_page(page);
	if (fast)
		spin_unlock(&b->pages_lock);
}

static void demo_scoped_guard(struct balloon_dev_info *b, struct page *page)
{
	scoped_guard(spinlock_irqsave, &b->pages_lock) {
		lock_page(page);	/* expect: PA2001 */
		unlock_page(page);
	}
	lock_page(page);	/* ok: PA2001 */
	unlock_page(page);
}

static void demo_guard(struct balloon_dev_info *b, struct page *page)
{
	{
		guard(spinlock_irqsave)(&b->pages_lock);
		b->isolated_pages--;
	}
	lock_page(page);	/* ok: PA2001 */
	unlock_page(page);
	guard(spinlock)(&b->pages_lock);
	lock_page(page);	/* expect: PA2001 */
	unlock_page(page);
}

static void demo_other_struct(struct other_dev *o, struct page *page)
{
	spin_lock(&o->pages_lock);
	lock_page(page);	/* ok: PA2001 */
	unlock_page(page);
	spin_unlock(&o->pages_lock);
}

/* Only ever called with pages_lock held: the wait is reported here. */
static void demo_enqueue_helper(struct balloon_dev_info *b, struct page *page)
{
	lock_page(page);	/* expect: PA2001 */
	list_add(&page->lru, &b->pages);
	unlock_page(page);
}

void demo_enqueue(struct balloon_dev_info *b, struct page *page)
{
	spin_lock_irq(&b->pages_lock);
	demo_enqueue_helper(b, page);	/* ok: PA2001 */
	spin_unlock_irq(&b->pages_lock);
}

void demo_enqueue_again(struct balloon_dev_info *b, struct page *page)
{
	scoped_guard(spinlock_irq, &b->pages_lock)
		demo_enqueue_helper(b, page);
}

/* Exported: its callers are unknown, so a caller that holds pages_lock is reported. */
void demo_lock_and_mark(struct page *page)
{
	lock_page(page);	/* ok: PA2001 */
	SetPageDirty(page);
	unlock_page(page);
}

static void demo_calls_waiting_helper(struct balloon_dev_info *b, struct page *page)
{
	spin_lock(&b->pages_lock);
	demo_lock_and_mark(page);	/* expect: PA2001 */
	spin_unlock(&b->pages_lock);
}

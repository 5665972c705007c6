// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2008: a balloon page's page->private changes only under
 * balloon_pages_lock (rule i of the 2026 balloon header).
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

static DEFINE_SPINLOCK(balloon_pages_lock);

/* States the lock: the enqueue paths below take it. */
static void demo_insert(struct balloon_dev_info *b, struct page *page)
{
	lockdep_assert_held(&balloon_pages_lock);
	__SetPageOffline(page);
	set_page_private(page, (unsigned long)b);	/* ok: PA2008 */
	list_add(&page->lru, &b->pages);
}

/* States nothing: its only caller holds the lock, and that is inherited. */
static void demo_forget(struct page *page)
{
	set_page_private(page, 0);	/* ok: PA2008 */
}

void demo_enqueue(struct balloon_dev_info *b, struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	demo_insert(b, page);
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
}

size_t demo_dequeue(struct balloon_dev_info *b, struct list_head *out, size_t want)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b->pages, lru) {
		if (n == want)
			break;
		list_del(&page->lru);
		demo_forget(page);
		list_add(&page->lru, out);
		n++;
	}
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return n;
}

/* Deflates one page, but drops the lock before page->private is cleared. */
size_t demo_dequeue_one(struct balloon_dev_info *b, struct list_head *out)
{
	struct page *page;
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	page = list_first_entry_or_null(&b->pages, struct page, lru);
	if (page)
		list_del(&page->lru);
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	if (!page)
		return 0;
	set_page_private(page, 0);	/* expect: PA2008 */
	list_add(&page->lru, out);
	return 1;
}

/* A plain store is a write as well. */
void demo_adopt(struct balloon_dev_info *b, struct page *page)
{
	page->private = (unsigned long)b;	/* expect: PA2008 */
}

/* The lock is taken on one path only. */
void demo_drop(struct page *page, bool locked)
{
	if (locked)
		spin_lock(&balloon_pages_lock);
	set_page_private(page, 0);	/* expect: PA2008 */
	if (locked)
		spin_unlock(&balloon_pages_lock);
}

/* A page of unknown type (no declaration in this file) is not judged. */
void demo_drop_pfn(unsigned long pfn)
{
	set_page_private(pfn_to_page(pfn), 0);	/* ok: PA2008 */
}

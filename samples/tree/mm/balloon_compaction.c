// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm/balloon_compaction.c
 *
 * Common code for balloon drivers whose pages compaction may move.
 *
 * Copyright (C) 2016 Sample Systems Ltd.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/export.h>
#include <linux/cleanup.h>
#include <linux/balloon_compaction.h>

/**
 * balloon_page_alloc - allocate a page for a balloon
 *
 * The allocation gives up early and quietly: growing a balloon is never
 * worth pushing the guest into reclaim or into its emergency reserves.
 *
 * Return: the new page, or NULL.
 */
struct page *balloon_page_alloc(void)
{
	return alloc_page(balloon_mapping_gfp_mask() | __GFP_NOMEMALLOC |
			  __GFP_NORETRY | __GFP_NOWARN);
}
EXPORT_SYMBOL_GPL(balloon_page_alloc);

/*
 * A trylock is enough and cannot fail: nobody else knows the page yet.
 * Waiting for the page lock here, with pages_lock held, would invert the
 * lock order of rule i; a trylock never waits.
 */
static void balloon_page_enqueue_one(struct balloon_dev_info *b_dev_info,
				     struct page *page)
	__must_hold(&b_dev_info->pages_lock)
{
	BUG_ON(!trylock_page(page));
	balloon_page_insert(b_dev_info, page);
	unlock_page(page);
	__count_vm_event(BALLOON_INFLATE);
}

/**
 * balloon_page_enqueue - hand one page to the balloon
 * @b_dev_info: the balloon device
 * @page: a page from balloon_page_alloc(), not yet seen by anybody else
 *
 * Context: any context; takes pages_lock with interrupts disabled.
 */
void balloon_page_enqueue(struct balloon_dev_info *b_dev_info,
			  struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	balloon_page_enqueue_one(b_dev_info, page);
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
}
EXPORT_SYMBOL_GPL(balloon_page_enqueue);

/**
 * balloon_page_list_enqueue - hand a list of pages to the balloon
 * @b_dev_info: the balloon device
 * @pages: pages from balloon_page_alloc(), linked through page->lru
 *
 * The caller may have shown these pages to others already (a shrinker
 * may walk its list), so each page is locked with lock_page() before
 * pages_lock is taken, as rule i asks.
 *
 * Context: process context; may sleep.
 * Return: the number of pages enqueued, which empties @pages.
 */
size_t balloon_page_list_enqueue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n_pages = 0;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		lock_page(page);
		spin_lock_irqsave(&b_dev_info->pages_lock, flags);
		list_del(&page->lru);
		balloon_page_insert(b_dev_info, page);
		__count_vm_event(BALLOON_INFLATE);
		spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
		unlock_page(page);
		n_pages++;
	}
	return n_pages;
}
EXPORT_SYMBOL_GPL(balloon_page_list_enqueue);

/**
 * balloon_page_list_dequeue - take pages back from the balloon
 * @b_dev_info: the balloon device
 * @pages: where to put the pages, linked through page->lru
 * @n_req_pages: how many pages the caller wants back
 *
 * A page whose lock somebody else holds is skipped: it is most likely on
 * its way to isolation, and waiting for its lock under pages_lock would
 * invert the lock order of rule i.
 *
 * Context: any context; takes pages_lock with interrupts disabled.
 * Return: the number of pages moved to @pages, at most @n_req_pages.
 */
size_t balloon_page_list_dequeue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages, size_t n_req_pages)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n_pages = 0;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b_dev_info->pages, lru) {
		if (n_pages == n_req_pages)
			break;
		if (!trylock_page(page))
			continue;
#ifdef CONFIG_BALLOON_COMPACTION
		/* isolation takes a page off this list before marking it */
		VM_BUG_ON_PAGE(PageIsolated(page), page);
#endif
		balloon_page_delete(page);
		__count_vm_event(BALLOON_DEFLATE);
		list_add(&page->lru, pages);
		unlock_page(page);
		n_pages++;
	}
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);

	return n_pages;
}
EXPORT_SYMBOL_GPL(balloon_page_list_dequeue);

/**
 * balloon_page_dequeue - take one page back from the balloon
 * @b_dev_info: the balloon device
 *
 * Context: any context; takes pages_lock with interrupts disabled.
 * Return: a page the caller now owns, or NULL if none could be taken.
 */
struct page *balloon_page_dequeue(struct balloon_dev_info *b_dev_info)
{
	LIST_HEAD(pages);

	if (!balloon_page_list_dequeue(b_dev_info, &pages, 1))
		return NULL;
	/*
	 * The caller reuses page->lru for its own lists; the list head on
	 * our stack simply goes away with this frame.
	 */
	return list_first_entry(&pages, struct page, lru);
}
EXPORT_SYMBOL_GPL(balloon_page_dequeue);

#ifdef CONFIG_BALLOON_COMPACTION

/*
 * The callbacks below are reached through balloon_mapping from the
 * migration core, which holds the page lock of @page (and of @newpage
 * when migrating) whenever it calls them.
 */

bool balloon_page_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b_dev_info = balloon_page_device(page);
	unsigned long flags;

	if (WARN_ON_ONCE(!b_dev_info))
		return false;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	list_del(&page->lru);
	b_dev_info->isolated_pages++;
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);

	return true;
}

void balloon_page_putback(struct page *page)
{
	struct balloon_dev_info *b_dev_info = balloon_page_device(page);

	scoped_guard(spinlock_irqsave, &b_dev_info->pages_lock) {
		list_add(&page->lru, &b_dev_info->pages);
		b_dev_info->isolated_pages--;
	}
}

int balloon_page_migrate(struct address_space *mapping,
			 struct page *newpage, struct page *page,
			 enum migrate_mode mode)
{
	struct balloon_dev_info *b_dev_info = balloon_page_device(page);

	/*
	 * A balloon page has no contents worth copying, and the driver has
	 * to talk to the hypervisor to swap the pages: a mode that forbids
	 * both cannot be served.
	 */
	if (mode == MIGRATE_SYNC_NO_COPY)
		return -EINVAL;

	VM_BUG_ON_PAGE(!PageLocked(page), page);
	VM_BUG_ON_PAGE(!PageLocked(newpage), newpage);

	if (!b_dev_info->migratepage)
		return -EOPNOTSUPP;
	return b_dev_info->migratepage(b_dev_info, newpage, page, mode);
}

static const struct address_space_operations balloon_aops = {
	.migratepage	= balloon_page_migrate,
	.isolate_page	= balloon_page_isolate,
	.putback_page	= balloon_page_putback,
};

/*
 * All balloon pages share this one mapping: it only carries the
 * operations above, the owning device is found through page_private().
 */
struct address_space balloon_mapping = {
	.a_ops		= &balloon_aops,
};
EXPORT_SYMBOL_GPL(balloon_mapping);

#endif /* CONFIG_BALLOON_COMPACTION */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm/balloon_compaction.c
 *
 * The balloon core: the device page lists, and moving balloon pages for
 * compaction.
 *
 * Copyright (C) 2016 Sample Systems Ltd.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/export.h>
#include <linux/cleanup.h>
#include <linux/balloon_compaction.h>

/*
 * One lock for the lists of all balloon devices: a guest has one balloon,
 * rarely two.  It does not live in the device, because isolation has to
 * take it before it knows whether a page still has a device at all.
 */
static DEFINE_SPINLOCK(balloon_pages_lock);

/*
 * balloon_page_device - the device a balloon page belongs to, or NULL
 * @page: a page that was, or is, a balloon page
 *
 * NULL means the page is being inflated or deflated.
 */
static struct balloon_dev_info *balloon_page_device(struct page *page)
{
	return (struct balloon_dev_info *)page_private(page);
}

/**
 * balloon_page_insert - insert a page into the balloon's page list and make
 *			 the page->private assignment accordingly.
 * @balloon : pointer to balloon device
 * @page    : page to be assigned as a 'balloon page'
 *
 * Caller must ensure the balloon_pages_lock is held.
 */
static void balloon_page_insert(struct balloon_dev_info *balloon,
				struct page *page)
{
	lockdep_assert_held(&balloon_pages_lock);
	__SetPageOffline(page);
	SetPageMovableOps(page);
	set_page_private(page, (unsigned long)balloon);
	list_add(&page->lru, &balloon->pages);
}

/**
 * balloon_page_finalize - prepare a balloon page that was removed from the
 *			   balloon list for release to the page allocator
 * @page: page to be released to the page allocator
 *
 * Caller must ensure the balloon_pages_lock is held.
 */
static void balloon_page_finalize(struct page *page)
{
	lockdep_assert_held(&balloon_pages_lock);
	set_page_private(page, 0);
	/* PageOffline() stays until the page allocator takes the page back. */
}

/* Called by both enqueue paths, each with balloon_pages_lock held. */
static void balloon_page_enqueue_one(struct balloon_dev_info *b_dev_info,
				     struct page *page)
{
	balloon_page_insert(b_dev_info, page);
	if (b_dev_info->adjust_managed_page_count)
		adjust_managed_page_count(page, -1);
	__count_vm_event(BALLOON_INFLATE);
}

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
	return alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC |
			  __GFP_NORETRY | __GFP_NOWARN);
}
EXPORT_SYMBOL_GPL(balloon_page_alloc);

/**
 * balloon_page_enqueue - hand one page to the balloon
 * @b_dev_info: the balloon device
 * @page: a page from balloon_page_alloc(), its ->lru unused
 *
 * Context: any context; takes balloon_pages_lock with interrupts disabled.
 */
void balloon_page_enqueue(struct balloon_dev_info *b_dev_info,
			  struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	balloon_page_enqueue_one(b_dev_info, page);
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
}
EXPORT_SYMBOL_GPL(balloon_page_enqueue);

/**
 * balloon_page_list_enqueue - hand a list of pages to the balloon
 * @b_dev_info: the balloon device
 * @pages: pages from balloon_page_alloc(), linked through page->lru
 *
 * Context: any context; takes balloon_pages_lock with interrupts disabled.
 * Return: the number of pages enqueued, which empties @pages.
 */
size_t balloon_page_list_enqueue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n_pages = 0;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		balloon_page_enqueue_one(b_dev_info, page);
		n_pages++;
	}
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return n_pages;
}
EXPORT_SYMBOL_GPL(balloon_page_list_enqueue);

/**
 * balloon_page_list_dequeue - take pages back from the balloon
 * @b_dev_info: the balloon device
 * @pages: where to put the pages, linked through page->lru
 * @n_req_pages: how many pages the caller wants back
 *
 * Pages isolated for migration are not on the list: fewer than
 * @n_req_pages may come back even if the balloon holds more.
 *
 * Context: any context; takes balloon_pages_lock with interrupts disabled.
 * Return: the number of pages moved to @pages, at most @n_req_pages.
 */
size_t balloon_page_list_dequeue(struct balloon_dev_info *b_dev_info,
				 struct list_head *pages, size_t n_req_pages)
{
	struct page *page, *tmp;
	unsigned long flags;
	size_t n_pages = 0;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	list_for_each_entry_safe(page, tmp, &b_dev_info->pages, lru) {
		if (n_pages == n_req_pages)
			break;
		list_del(&page->lru);
		balloon_page_finalize(page);
		if (b_dev_info->adjust_managed_page_count)
			adjust_managed_page_count(page, 1);
		__count_vm_event(BALLOON_DEFLATE);
		list_add(&page->lru, pages);
		n_pages++;
	}
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return n_pages;
}
EXPORT_SYMBOL_GPL(balloon_page_list_dequeue);

/**
 * balloon_page_dequeue - take one page back from the balloon
 * @b_dev_info: the balloon device
 *
 * Context: any context; takes balloon_pages_lock with interrupts disabled.
 * Return: the page, or NULL when every page left is isolated.
 */
struct page *balloon_page_dequeue(struct balloon_dev_info *b_dev_info)
{
	LIST_HEAD(pages);

	if (balloon_page_list_dequeue(b_dev_info, &pages, 1) != 1)
		return NULL;
	return list_first_entry(&pages, struct page, lru);
}
EXPORT_SYMBOL_GPL(balloon_page_dequeue);

/*
 * Isolation starts from a page the scanner found without any lock: under
 * balloon_pages_lock, a page whose device is gone is being deflated.
 */
static bool balloon_page_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b_dev_info;

	guard(spinlock_irqsave)(&balloon_pages_lock);
	b_dev_info = balloon_page_device(page);
	if (!b_dev_info)
		return false;
	list_del(&page->lru);
	b_dev_info->isolated_pages++;
	return true;
}

static void balloon_page_putback(struct page *page)
{
	struct balloon_dev_info *b_dev_info = balloon_page_device(page);
	unsigned long flags;

	/* An isolated page cannot be deflated: its device is still there. */
	if (WARN_ON_ONCE(!b_dev_info))
		return;
	spin_lock_irqsave(&balloon_pages_lock, flags);
	list_add(&page->lru, &b_dev_info->pages);
	b_dev_info->isolated_pages--;
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
}

/*
 * The driver tells the hypervisor first; then, under balloon_pages_lock,
 * the new page takes the old one's place on the list and the old page is
 * made ready for the page allocator.
 */
static int balloon_page_migrate(struct page *newpage, struct page *page,
				enum migrate_mode mode)
{
	struct balloon_dev_info *b_dev_info = balloon_page_device(page);
	unsigned long flags;
	int rc;

	if (WARN_ON_ONCE(!b_dev_info))
		return -EAGAIN;
	rc = b_dev_info->migratepage(b_dev_info, newpage, page, mode);
	if (rc < 0 && rc != -ENOENT)
		return rc;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	if (!rc) {
		get_page(newpage);
		balloon_page_insert(b_dev_info, newpage);
		__count_vm_event(BALLOON_MIGRATE);
	} else {
		/* The old page was deflated, and no new one inflated. */
		__count_vm_event(BALLOON_DEFLATE);
	}
	b_dev_info->isolated_pages--;
	balloon_page_finalize(page);
	spin_unlock_irqrestore(&balloon_pages_lock, flags);

	put_page(page);
	return 0;
}

static const struct movable_operations balloon_mops = {
	.migrate_page = balloon_page_migrate,
	.isolate_page = balloon_page_isolate,
	.putback_page = balloon_page_putback,
};

static int __init balloon_init(void)
{
	return set_movable_ops(&balloon_mops, PGTY_offline);
}
core_initcall(balloon_init);

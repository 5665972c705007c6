/* SPDX-License-Identifier: GPL-2.0 */
/*
 * include/linux/balloon_compaction.h
 *
 * Shared helpers for balloon drivers whose pages compaction may move.
 *
 * Balloon pages are moved with the generic non-lru movable page support:
 *  - page->private points to the struct balloon_dev_info that owns the
 *    page, see balloon_page_device();
 *  - page->mapping is balloon_mapping, whose operations isolate a page,
 *    migrate it and put it back when migration fails.
 *
 * The compaction scanner picks its candidate pages without holding any
 * lock on them, so it can race with the driver inflating or deflating the
 * very page it looks at.  Balloon code must therefore keep to these two
 * rules:
 *
 *   i. when updating a balloon's page ->mapping element, strictly do it
 *      under the following lock order, independently of the far superior
 *      locking scheme (lru_lock, balloon_lock):
 *	    +-page_lock(page);
 *	      +--spin_lock_irq(&b_dev_info->pages_lock);
 *	            ... page->mapping updates here ...
 *
 *  ii. isolation or dequeueing procedure must remove the page from balloon
 *      device page list under b_dev_info->pages_lock.
 *
 * The extra reference and PagePrivate() dance that earlier versions of
 * this comment asked for is gone: the migration core does the refcount
 * and re-check work for every non-lru movable page.
 *
 * Copyright (C) 2016 Sample Systems Ltd.
 */
#ifndef _LINUX_BALLOON_COMPACTION_H
#define _LINUX_BALLOON_COMPACTION_H

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/migrate.h>
#include <linux/page-flags.h>
#include <linux/spinlock.h>

/*
 * struct balloon_dev_info - what the common code knows of a balloon device
 * @isolated_pages: pages currently isolated for migration
 * @pages_lock: protects @pages and @isolated_pages
 * @pages: the pages handed to the hypervisor, linked through page->lru
 * @migratepage: swaps @page for @newpage in the balloon; called with both
 *	pages locked, returns MIGRATEPAGE_SUCCESS or a negative errno
 */
struct balloon_dev_info {
	unsigned long isolated_pages;
	spinlock_t pages_lock;
	struct list_head pages;
	int (*migratepage)(struct balloon_dev_info *b_dev_info,
			   struct page *newpage, struct page *page,
			   enum migrate_mode mode);
};

extern struct page *balloon_page_alloc(void);
extern void balloon_page_enqueue(struct balloon_dev_info *b_dev_info,
				 struct page *page);
extern struct page *balloon_page_dequeue(struct balloon_dev_info *b_dev_info);
extern size_t balloon_page_list_enqueue(struct balloon_dev_info *b_dev_info,
					struct list_head *pages);
extern size_t balloon_page_list_dequeue(struct balloon_dev_info *b_dev_info,
					struct list_head *pages,
					size_t n_req_pages);

static inline void balloon_devinfo_init(struct balloon_dev_info *b_dev_info)
{
	b_dev_info->isolated_pages = 0;
	spin_lock_init(&b_dev_info->pages_lock);
	INIT_LIST_HEAD(&b_dev_info->pages);
	b_dev_info->migratepage = NULL;
}

#ifdef CONFIG_BALLOON_COMPACTION
extern struct address_space balloon_mapping;
extern bool balloon_page_isolate(struct page *page, isolate_mode_t mode);
extern void balloon_page_putback(struct page *page);
extern int balloon_page_migrate(struct address_space *mapping,
				struct page *newpage, struct page *page,
				enum migrate_mode mode);

/**
 * balloon_page_insert - put a page on the balloon's list and mark it offline
 * @balloon: the balloon device that now owns @page
 * @page: the page handed to the hypervisor
 *
 * Caller must ensure the page is locked and the spin_lock protecting balloon
 * pages list is held before inserting a page into the balloon device.
 */
static inline void balloon_page_insert(struct balloon_dev_info *balloon,
				       struct page *page)
{
	__SetPageOffline(page);
	__SetPageMovable(page, &balloon_mapping);
	set_page_private(page, (unsigned long)balloon);
	list_add(&page->lru, &balloon->pages);
}

/**
 * balloon_page_delete - take a page off the balloon's list and unmark it
 * @page: the page the hypervisor gave back
 *
 * Caller must ensure the page is locked and the spin_lock protecting balloon
 * pages list is held before deleting a page from the balloon device.
 */
static inline void balloon_page_delete(struct page *page)
{
	__ClearPageOffline(page);
	__ClearPageMovable(page);
	set_page_private(page, 0);
	/*
	 * An isolated page is off the list already, and its ->lru belongs
	 * to the migration code until it comes back: leave it alone.
	 */
	if (!PageIsolated(page))
		list_del(&page->lru);
}

/* The balloon device that owns @page, as recorded by balloon_page_insert(). */
static inline struct balloon_dev_info *balloon_page_device(struct page *page)
{
	return (struct balloon_dev_info *)page_private(page);
}

static inline gfp_t balloon_mapping_gfp_mask(void)
{
	return GFP_HIGHUSER_MOVABLE;
}

#else /* !CONFIG_BALLOON_COMPACTION */

static inline void balloon_page_insert(struct balloon_dev_info *balloon,
				       struct page *page)
{
	__SetPageOffline(page);
	list_add(&page->lru, &balloon->pages);
}

static inline void balloon_page_delete(struct page *page)
{
	__ClearPageOffline(page);
	list_del(&page->lru);
}

static inline gfp_t balloon_mapping_gfp_mask(void)
{
	return GFP_HIGHUSER;
}

#endif /* CONFIG_BALLOON_COMPACTION */
#endif /* _LINUX_BALLOON_COMPACTION_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * include/linux/balloon_compaction.h
 *
 * Shared code for balloon drivers whose pages compaction may move.
 *
 * A balloon driver hands guest pages to the hypervisor and keeps them on
 * the page list of its struct balloon_dev_info.  Compaction may move such
 * a page: it isolates the page, asks the driver to swap it for a new one
 * and puts it back if that fails.
 *
 * page->private is used to reference the responsible balloon device.
 * The page type PageOffline() together with the movable-ops flag tells
 * the migration code which operations move the page.
 *
 * While page->private is set, the page is on its device's list or
 * isolated for migration.  While it is not, the page is being inflated or
 * deflated and must be left alone: isolation checks page->private first.
 *
 * The compaction scanner picks its pages without any lock, so it races
 * with inflation and deflation.  One lock of the balloon core,
 * balloon_pages_lock, serialises them for every device:
 *
 *   i. Inflation/deflation must set/clear page->private under the
 *      balloon_pages_lock
 *
 *  ii. isolation or dequeueing procedure must remove the page from balloon
 *      device page list under balloon_pages_lock
 *
 * Copyright (C) 2016 Sample Systems Ltd.
 */
#ifndef _LINUX_BALLOON_COMPACTION_H
#define _LINUX_BALLOON_COMPACTION_H

#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/migrate.h>
#include <linux/page-flags.h>

/*
 * struct balloon_dev_info - what the balloon core knows of a device
 * @isolated_pages: pages currently isolated for migration
 * @pages: the pages handed to the hypervisor, linked through page->lru
 * @migratepage: tells the hypervisor that @newpage replaces @page;
 *	returns 0, or -ENOENT when the old page was deflated all the same
 * @adjust_managed_page_count: whether inflating takes pages out of the
 *	managed page count of their zone
 */
struct balloon_dev_info {
	unsigned long isolated_pages;
	struct list_head pages;
	int (*migratepage)(struct balloon_dev_info *b_dev_info,
			   struct page *newpage, struct page *page,
			   enum migrate_mode mode);
	bool adjust_managed_page_count;
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
	INIT_LIST_HEAD(&b_dev_info->pages);
	b_dev_info->migratepage = NULL;
	b_dev_info->adjust_managed_page_count = false;
}

#endif /* _LINUX_BALLOON_COMPACTION_H */

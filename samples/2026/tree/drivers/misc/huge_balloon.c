// SPDX-License-Identifier: GPL-2.0-only
/*
 * drivers/misc/huge_balloon.c - a balloon that also lends whole huge pages
 *
 * Small pages go through the balloon core, which marks them PageOffline()
 * and lets compaction move them.  Huge pages cannot move: the driver keeps
 * them on a list of its own and marks each of their frames itself, so that
 * dump tools and hibernation leave them alone while the host has them.
 *
 * Copyright (C) 2016 Sample Systems Ltd.
 */
#include <linux/balloon_compaction.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/spinlock.h>

#define HUGE_ORDER	9

struct huge_balloon {
	struct balloon_dev_info b_dev_info;
	spinlock_t huge_lock;		/* protects huge_pages and nr_huge */
	struct list_head huge_pages;
	unsigned long nr_huge;
};

static struct huge_balloon hb;

/* Every frame of a huge page the host holds is logically offline. */
static void huge_mark_offline(struct page *page)
{
	unsigned long i;

	for (i = 0; i < (1UL << HUGE_ORDER); i++)
		__SetPageOffline(page + i);
}

static void huge_mark_online(struct page *page)
{
	unsigned long i;

	for (i = 0; i < (1UL << HUGE_ORDER); i++)
		__ClearPageOffline(page + i);
}

static int huge_lend_one(void)
{
	struct page *page;

	page = alloc_pages(GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN, HUGE_ORDER);
	if (!page)
		return -ENOMEM;
	if (huge_host_take(page_to_pfn(page), HUGE_ORDER)) {
		__free_pages(page, HUGE_ORDER);
		return -EIO;
	}
	huge_mark_offline(page);
	spin_lock(&hb.huge_lock);
	list_add(&page->lru, &hb.huge_pages);
	hb.nr_huge++;
	spin_unlock(&hb.huge_lock);
	return 0;
}

static int huge_take_back_one(void)
{
	struct page *page;

	spin_lock(&hb.huge_lock);
	page = list_first_entry_or_null(&hb.huge_pages, struct page, lru);
	if (page) {
		list_del(&page->lru);
		hb.nr_huge--;
	}
	spin_unlock(&hb.huge_lock);
	if (!page)
		return -ENOENT;
	huge_host_give_back(page_to_pfn(page), HUGE_ORDER);
	huge_mark_online(page);
	__free_pages(page, HUGE_ORDER);
	return 0;
}

static int huge_lend_small(void)
{
	struct page *page = balloon_page_alloc();

	if (!page)
		return -ENOMEM;
	balloon_page_enqueue(&hb.b_dev_info, page);
	huge_host_take(page_to_pfn(page), 0);
	return 0;
}

static int huge_take_back_small(void)
{
	struct page *page = balloon_page_dequeue(&hb.b_dev_info);

	if (!page)
		return -EAGAIN;
	huge_host_give_back(page_to_pfn(page), 0);
	put_page(page);
	return 0;
}

/* The host wants @delta more pages (positive) or gives some back. */
void huge_balloon_adjust(long delta, bool huge)
{
	while (delta > 0 && !(huge ? huge_lend_one() : huge_lend_small()))
		delta--;
	while (delta < 0 && !(huge ? huge_take_back_one() : huge_take_back_small()))
		delta++;
}

static int huge_migratepage(struct balloon_dev_info *b_dev_info,
			    struct page *newpage, struct page *page,
			    enum migrate_mode mode)
{
	if (huge_host_take(page_to_pfn(newpage), 0))
		return -EAGAIN;
	huge_host_give_back(page_to_pfn(page), 0);
	return 0;
}

static int __init huge_balloon_init(void)
{
	balloon_devinfo_init(&hb.b_dev_info);
	hb.b_dev_info.migratepage = huge_migratepage;
	spin_lock_init(&hb.huge_lock);
	INIT_LIST_HEAD(&hb.huge_pages);
	hb.nr_huge = 0;
	return 0;
}
module_init(huge_balloon_init);

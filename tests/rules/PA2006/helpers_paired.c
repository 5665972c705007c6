// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: helpers that mark and clear a range of frames, both
 * called; the clearing helper runs from a work item, which counts as called.
 */
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/workqueue.h>

static LIST_HEAD(demo_huge);
static struct work_struct demo_work;

static void demo_mark_offline(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		__SetPageOffline(page + i);	/* ok: PA2006 */
}

static void demo_mark_online(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		__ClearPageOffline(page + i);
}

void demo_inflate_huge(struct page *page)
{
	demo_mark_offline(page, 9);
	list_add(&page->lru, &demo_huge);
}

static void demo_deflate_work(struct work_struct *work)
{
	struct page *page = list_first_entry(&demo_huge, struct page, lru);

	list_del(&page->lru);
	demo_mark_online(page, 9);
	__free_pages(page, 9);
}

void demo_init(void)
{
	INIT_WORK(&demo_work, demo_deflate_work);
}

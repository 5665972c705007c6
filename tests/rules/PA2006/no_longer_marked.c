// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: the inflate path stopped calling the helper that marks
 * the pages it hands to the host, while the deflate path still clears.
 */
#include <linux/mm.h>
#include <linux/list.h>

static LIST_HEAD(demo_huge);

static void demo_mark_offline(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		__SetPageOffline(page + i);	/* expect: PA2006 */
}

static void demo_mark_online(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		__ClearPageOffline(page + i);
}

void demo_inflate_huge(struct page *page)
{
	demo_hyp_give(page_to_pfn(page), 9);
	list_add(&page->lru, &demo_huge);
}

void demo_deflate_huge(void)
{
	struct page *page = list_first_entry(&demo_huge, struct page, lru);

	list_del(&page->lru);
	demo_mark_online(page, 9);
	__free_pages(page, 9);
}

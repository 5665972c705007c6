// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: the driver marks and clears through its own helpers,
 * a loop over the frames of a huge page, called from its inflate and
 * deflate paths. A clearing helper that nobody calls clears nothing.
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

/* Was called from demo_deflate_huge() before it was open-coded away. */
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

void demo_deflate_huge(void)
{
	struct page *page = list_first_entry(&demo_huge, struct page, lru);

	list_del(&page->lru);
	__free_pages(page, 9);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: this driver marks inflated pages offline but its
 * deflate path hands them back without clearing the mark.
 */
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/mutex.h>

static LIST_HEAD(demo_pages);
static DEFINE_MUTEX(demo_lock);

static void demo_mark_range(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		__SetPageOffline(page + i);	/* expect: PA2006 */
}

int demo_inflate(unsigned int nr)
{
	struct page *page;

	while (nr--) {
		page = alloc_page(GFP_HIGHUSER | __GFP_NORETRY);
		if (!page)
			return -ENOMEM;
		__SetPageOffline(page);	/* expect: PA2006 */
		mutex_lock(&demo_lock);
		list_add(&page->lru, &demo_pages);
		mutex_unlock(&demo_lock);
	}
	return 0;
}

int demo_inflate_huge(unsigned int order)
{
	struct page *page = alloc_pages(GFP_HIGHUSER | __GFP_NORETRY, order);

	if (!page)
		return -ENOMEM;
	demo_mark_range(page, order);
	mutex_lock(&demo_lock);
	list_add(&page->lru, &demo_pages);
	mutex_unlock(&demo_lock);
	return 0;
}

void demo_deflate(unsigned int nr)
{
	struct page *page, *tmp;

	mutex_lock(&demo_lock);
	list_for_each_entry_safe(page, tmp, &demo_pages, lru) {
		if (!nr--)
			break;
		list_del(&page->lru);
		/* PageOffline() is still set here. */
		__free_page(page);
	}
	mutex_unlock(&demo_lock);
}

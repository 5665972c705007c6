// SPDX-License-Identifier: GPL-2.0
/*
 * demo_balloon: hands pages to the host and takes them back.
 */
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/mutex.h>

static LIST_HEAD(demo_pages);
static DEFINE_MUTEX(demo_lock);

#define DEMO_ORDER	9

static void demo_mark_offline(struct page *page)
{
	unsigned long i;

	for (i = 0; i < (1UL << DEMO_ORDER); i++)
		__SetPageOffline(page + i);
}

static void demo_mark_online(struct page *page)
{
	unsigned long i;

	for (i = 0; i < (1UL << DEMO_ORDER); i++)
		__ClearPageOffline(page + i);
}

int demo_inflate_huge(void)
{
	struct page *page = alloc_pages(GFP_HIGHUSER | __GFP_NORETRY, DEMO_ORDER);

	if (!page)
		return -ENOMEM;
	demo_mark_offline(page);
	mutex_lock(&demo_lock);
	list_add(&page->lru, &demo_pages);
	mutex_unlock(&demo_lock);
	return 0;
}

void demo_deflate_huge(void)
{
	struct page *page;

	mutex_lock(&demo_lock);
	page = list_first_entry_or_null(&demo_pages, struct page, lru);
	if (page)
		list_del(&page->lru);
	mutex_unlock(&demo_lock);
	if (!page)
		return;
	demo_mark_online(page);
	__free_pages(page, DEMO_ORDER);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * demo_balloon: hands pages to the host and takes them back.
 */
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/mutex.h>

static LIST_HEAD(demo_pages);
static DEFINE_MUTEX(demo_lock);

static void demo_inflate_one(struct page *page)
{
	__SetPageOffline(page);
	adjust_managed_page_count(page, -1);
	mutex_lock(&demo_lock);
	list_add(&page->lru, &demo_pages);
	mutex_unlock(&demo_lock);
}

static void demo_deflate_one(struct page *page)
{
	__ClearPageOffline(page);
	adjust_managed_page_count(page, 1);
	__free_page(page);
}

int demo_inflate(unsigned int nr)
{
	struct page *page;

	while (nr--) {
		page = alloc_page(GFP_HIGHUSER | __GFP_NORETRY);
		if (!page)
			return -ENOMEM;
		demo_inflate_one(page);
	}
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
		demo_deflate_one(page);
	}
	mutex_unlock(&demo_lock);
}

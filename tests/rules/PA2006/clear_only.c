// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: a driver that only clears the mark (memory onlining
 * marked the pages) has nothing to pair.
 */
#include <linux/mm.h>

static void demo_online_page(struct page *page, unsigned int order)
{
	__ClearPageOffline(page);
	generic_online_page(page, order);
}

void demo_init(void)
{
	set_online_page_callback(&demo_online_page);
}

/* A comment about __SetPageOffline() is not a call. */
static void demo_unused(struct page *page)
{
	adjust_managed_page_count(page, -1);	/* ok: PA2006 */
}

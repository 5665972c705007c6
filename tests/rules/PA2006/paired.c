// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2006: set on inflate, cleared on deflate; a comment that
 * names __SetPageOffline() is not code.
 */
#include <linux/mm.h>

static void demo_inflate_one(struct page *page)
{
	/* __SetPageOffline() before the host may drop the contents. */
	__SetPageOffline(page);	/* ok: PA2006 */
	adjust_managed_page_count(page, -1);
}

static void demo_deflate_one(struct page *page)
{
	__ClearPageOffline(page);
	adjust_managed_page_count(page, 1);
	__free_page(page);
}

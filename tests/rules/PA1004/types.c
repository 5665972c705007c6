// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA1004: the PG_balloon page-type bit became PG_offline. */
#include <linux/mm.h>

static bool page_type_is_ballooned(const struct page *page)
{
	return (page->page_type & PG_balloon) == 0;	/* expect: PA1004 */
}

static bool page_type_is_offline(const struct page *page)
{
	/* PG_balloon was cleared for ballooned pages, PG_offline is now. */
	return (page->page_type & PG_offline) == 0;	/* ok: PA1004 */
}

#ifdef PG_balloon	/* expect: PA1004 */
#define KPF_SOURCE_BIT PG_balloon	/* expect: PA1004 */
#endif

// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA1001: PageBalloon() is gone once PG_offline exists. */
#include <linux/mm.h>
#include <linux/page-flags.h>

#define pfn_is_balloon(pfn) PageBalloon(pfn_to_page(pfn))	/* expect: PA1001 */

/*
 * Pages that PageBalloon() reported used to be skipped here; the comment may
 * keep the old name, only code counts.
 */
static bool skip_page(struct page *page)
{
	const char *why = "PageBalloon";	/* ok: PA1001 */

	if (PageBalloon(page))	/* expect: PA1001 */
		return true;
	if (PageOffline(page))	/* ok: PA1001 */
		return true;
	pr_debug("%s\n", why);
	return page_is_guard(page) || !PageBalloonish(page);	/* ok: PA1001 */
}

static unsigned long count_skipped(unsigned long start, unsigned long end)
{
	unsigned long pfn, skipped = 0;

	for (pfn = start; pfn < end; pfn++) {
		struct page *page = pfn_to_online_page(pfn);

		if (page && (PageReserved(page) ||
			     PageBalloon(page)))	/* expect: PA1001 */
			skipped++;
	}
	return skipped;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * demo_balloon: gives the host's pages back one at a time.
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

struct demo_balloon {
	struct balloon_dev_info b_dev_info;
};

struct page *demo_take_back_one(struct demo_balloon *db)
{
	struct page *page = balloon_page_dequeue(&db->b_dev_info);	/* ok: PA2002 */

	return page;	/* ok: PA2002 */
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The isolation callback of a demo balloon core.
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

static bool demo_page_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b_dev_info = balloon_page_device(page);
	unsigned long flags;

	spin_lock_irqsave(&b_dev_info->pages_lock, flags);
	list_del_init(&page->lru);	/* ok: PA2002 */
	b_dev_info->isolated_pages++;	/* ok: PA2002 */
	spin_unlock_irqrestore(&b_dev_info->pages_lock, flags);
	return true;
}

const struct movable_operations demo_mops = {
	.isolate_page = demo_page_isolate,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * The isolation callback of a demo balloon core, 2026 style.
 */
#include <linux/mm.h>
#include <linux/balloon_compaction.h>

static DEFINE_SPINLOCK(balloon_pages_lock);

static bool demo_page_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b_dev_info;
	unsigned long flags;

	spin_lock_irqsave(&balloon_pages_lock, flags);
	b_dev_info = balloon_page_device(page);
	if (!b_dev_info) {
		spin_unlock_irqrestore(&balloon_pages_lock, flags);
		return false;
	}
	b_dev_info->isolated_pages++;	/* expect: PA2009 */
	spin_unlock_irqrestore(&balloon_pages_lock, flags);
	return true;
}

static const struct movable_operations demo_mops = {
	.isolate_page = demo_page_isolate,
};

// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA1002: __SetPageBalloon() was renamed __SetPageOffline(). */
#include <linux/mm.h>
#include <linux/list.h>

static LIST_HEAD(hyp_pages);
static DEFINE_SPINLOCK(hyp_lock);

static void hyp_track_page(struct page *page)
{
	unsigned long flags;

	spin_lock_irqsave(&hyp_lock, flags);
	__SetPageBalloon(page);	/* expect: PA1002 */
	list_add(&page->lru, &hyp_pages);
	spin_unlock_irqrestore(&hyp_lock, flags);
}

static void hyp_track_page_new(struct page *page)
{
	/* __SetPageBalloon(page) was the old way of doing this. */
	__SetPageOffline(page);	/* ok: PA1002 */
	SetPageBalloonAccounted(page);	/* ok: PA1002 */
}

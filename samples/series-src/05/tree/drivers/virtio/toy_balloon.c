// SPDX-License-Identifier: GPL-2.0-only
/*
 * Toy balloon driver: give guest memory back to the sample hypervisor.
 *
 * The host sets a target size; a work item inflates or deflates the
 * balloon in batches until the size matches.  Inflated pages live on the
 * list of the common struct balloon_dev_info, so that compaction can move
 * them.
 *
 * The driver also takes part in free page hinting: during a hint round it
 * lends free pages to the host, which may drop their contents, and gets
 * them back all at once when the round ends.  Hinted pages are not
 * balloon pages: they stay on a list of their own, out of compaction's
 * reach.  Like balloon pages they are PageOffline() while the host may
 * have dropped their contents.
 *
 * Lock ordering: @balloon_lock -> page lock -> @vb_dev_info.pages_lock.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/sample_hv.h>
#include <linux/balloon_compaction.h>

#define TOY_BALLOON_BATCH	64
#define TOY_HINT_MAX		1024

struct toy_balloon {
	struct balloon_dev_info vb_dev_info;
	struct work_struct update_work;

	/* serialises inflation, deflation and migration; protects below */
	struct mutex balloon_lock;
	unsigned int num_pages;
	unsigned int num_pfns;
	unsigned long pfns[TOY_BALLOON_BATCH];

	spinlock_t hint_lock;		/* protects the two fields below */
	struct list_head hint_pages;
	unsigned int num_hints;
};

static struct toy_balloon *toy_balloon;

static void toy_tell_host(struct toy_balloon *tb, bool inflate)
	__must_hold(&tb->balloon_lock)
{
	int err;

	if (inflate)
		err = hv_pages_give(tb->pfns, tb->num_pfns);
	else
		err = hv_pages_take(tb->pfns, tb->num_pfns);
	WARN_ONCE(err, "toy_balloon: host refused %u pages: %d\n",
		  tb->num_pfns, err);
}

static void toy_collect_pfns(struct toy_balloon *tb, struct list_head *pages)
	__must_hold(&tb->balloon_lock)
{
	struct page *page;

	tb->num_pfns = 0;
	list_for_each_entry(page, pages, lru)
		tb->pfns[tb->num_pfns++] = page_to_pfn(page);
}

static unsigned int toy_fill_balloon(struct toy_balloon *tb, unsigned int num)
{
	unsigned int num_allocated = 0;
	struct page *page;
	LIST_HEAD(pages);

	num = min_t(unsigned int, num, TOY_BALLOON_BATCH);

	/* Allocate before taking the lock: the allocator may reclaim. */
	while (num_allocated < num) {
		page = balloon_page_alloc();
		if (!page)
			break;
		list_add(&page->lru, &pages);
		num_allocated++;
	}

	mutex_lock(&tb->balloon_lock);
	toy_collect_pfns(tb, &pages);
	tb->num_pages += balloon_page_list_enqueue(&tb->vb_dev_info, &pages);
	if (tb->num_pfns)
		toy_tell_host(tb, true);
	mutex_unlock(&tb->balloon_lock);

	return num_allocated;
}

static unsigned int toy_leak_balloon(struct toy_balloon *tb, unsigned int num)
{
	struct page *page, *next;
	LIST_HEAD(pages);
	size_t n_pages;

	num = min_t(unsigned int, num, TOY_BALLOON_BATCH);

	mutex_lock(&tb->balloon_lock);
	n_pages = balloon_page_list_dequeue(&tb->vb_dev_info, &pages, num);
	tb->num_pages -= n_pages;
	toy_collect_pfns(tb, &pages);
	/* The host must let go of the pages before the guest reuses them. */
	if (tb->num_pfns)
		toy_tell_host(tb, false);
	mutex_unlock(&tb->balloon_lock);

	list_for_each_entry_safe(page, next, &pages, lru)
		put_page(page);

	return n_pages;
}

/*
 * Lend up to @num free pages to the host for the running hint round.
 * A page the host refuses goes straight back to the allocator.
 */
static int toy_hint_start(struct toy_balloon *tb, unsigned int num)
{
	struct page *page;
	unsigned int i;
	int err;

	for (i = 0; i < num; i++) {
		page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!page)
			return -ENOMEM;
		/* Offline before the host may drop the contents. */
		__SetPageOffline(page);
		err = hv_page_hint(page_to_pfn(page));
		if (err)
			goto err_online;

		spin_lock_irq(&tb->hint_lock);
		list_add(&page->lru, &tb->hint_pages);
		tb->num_hints++;
		spin_unlock_irq(&tb->hint_lock);
	}
	return 0;

err_online:
	__ClearPageOffline(page);
	__free_page(page);
	return err;
}

/* The hint round is over: the host no longer uses any hinted page. */
static void toy_hint_stop(struct toy_balloon *tb)
{
	struct page *page, *next;
	LIST_HEAD(pages);

	spin_lock_irq(&tb->hint_lock);
	list_splice_init(&tb->hint_pages, &pages);
	tb->num_hints = 0;
	spin_unlock_irq(&tb->hint_lock);

	list_for_each_entry_safe(page, next, &pages, lru) {
		__ClearPageBalloon(page);
		__free_page(page);
	}
}

static void toy_update_balloon(struct work_struct *work)
{
	struct toy_balloon *tb = container_of(work, struct toy_balloon,
					      update_work);
	unsigned int hints = hv_hint_wanted();
	long diff;

	if (!hints)
		toy_hint_stop(tb);
	else if (hints > tb->num_hints && tb->num_hints < TOY_HINT_MAX)
		toy_hint_start(tb, min(hints, TOY_HINT_MAX) - tb->num_hints);

	diff = (long)hv_balloon_target() - (long)tb->num_pages;
	if (diff > 0)
		diff = toy_fill_balloon(tb, diff);
	else if (diff < 0)
		diff = toy_leak_balloon(tb, -diff);

	/* Made progress: there may be more to do, come back for it. */
	if (diff)
		queue_work(system_freezable_wq, work);
}

#ifdef CONFIG_BALLOON_COMPACTION
/*
 * Swap @page for @newpage.  The balloon core calls this with both pages
 * locked by the migration code, so pages_lock is the only lock left to
 * take around balloon_page_insert() and balloon_page_delete().
 */
static int toy_balloon_migratepage(struct balloon_dev_info *vb_dev_info,
				   struct page *newpage, struct page *page,
				   enum migrate_mode mode)
{
	struct toy_balloon *tb = container_of(vb_dev_info, struct toy_balloon,
					      vb_dev_info);
	unsigned long flags;

	/* Inflation or deflation is running: compaction retries later. */
	if (!mutex_trylock(&tb->balloon_lock))
		return -EAGAIN;

	get_page(newpage);	/* the balloon's reference */

	/* Give the new page first, so the balloon never shrinks meanwhile. */
	tb->num_pfns = 1;
	tb->pfns[0] = page_to_pfn(newpage);
	toy_tell_host(tb, true);

	spin_lock_irqsave(&vb_dev_info->pages_lock, flags);
	balloon_page_insert(vb_dev_info, newpage);
	vb_dev_info->isolated_pages--;
	__count_vm_event(BALLOON_MIGRATE);
	spin_unlock_irqrestore(&vb_dev_info->pages_lock, flags);

	tb->pfns[0] = page_to_pfn(page);
	toy_tell_host(tb, false);

	spin_lock_irqsave(&vb_dev_info->pages_lock, flags);
	balloon_page_delete(page);
	spin_unlock_irqrestore(&vb_dev_info->pages_lock, flags);

	mutex_unlock(&tb->balloon_lock);
	put_page(page);		/* drop the balloon's reference */

	return MIGRATEPAGE_SUCCESS;
}
#endif /* CONFIG_BALLOON_COMPACTION */

static void toy_balloon_kick(void *data)
{
	struct toy_balloon *tb = data;

	queue_work(system_freezable_wq, &tb->update_work);
}

static int __init toy_balloon_init(void)
{
	struct toy_balloon *tb;
	int err;

	if (!hv_present())
		return -ENODEV;

	tb = kzalloc(sizeof(*tb), GFP_KERNEL);
	if (!tb)
		return -ENOMEM;

	balloon_devinfo_init(&tb->vb_dev_info);
#ifdef CONFIG_BALLOON_COMPACTION
	tb->vb_dev_info.migratepage = toy_balloon_migratepage;
#endif
	mutex_init(&tb->balloon_lock);
	spin_lock_init(&tb->hint_lock);
	INIT_LIST_HEAD(&tb->hint_pages);
	INIT_WORK(&tb->update_work, toy_update_balloon);

	err = hv_subscribe(HV_EVENT_BALLOON_TARGET, toy_balloon_kick, tb);
	if (err)
		goto err_free;
	err = hv_subscribe(HV_EVENT_HINT, toy_balloon_kick, tb);
	if (err)
		goto err_unsubscribe;

	toy_balloon = tb;
	queue_work(system_freezable_wq, &tb->update_work);
	return 0;

err_unsubscribe:
	hv_unsubscribe(HV_EVENT_BALLOON_TARGET, tb);
err_free:
	kfree(tb);
	return err;
}

static void __exit toy_balloon_exit(void)
{
	struct toy_balloon *tb = toy_balloon;

	hv_unsubscribe(HV_EVENT_HINT, tb);
	hv_unsubscribe(HV_EVENT_BALLOON_TARGET, tb);
	cancel_work_sync(&tb->update_work);

	toy_hint_stop(tb);
	while (tb->num_pages)
		toy_leak_balloon(tb, tb->num_pages);
	kfree(tb);
}

module_init(toy_balloon_init);
module_exit(toy_balloon_exit);
MODULE_DESCRIPTION("Toy balloon driver for the sample hypervisor");
MODULE_LICENSE("GPL");

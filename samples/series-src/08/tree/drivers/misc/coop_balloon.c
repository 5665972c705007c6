// SPDX-License-Identifier: GPL-2.0-only
/*
 * coop_balloon: lend guest pages to the sample hypervisor's shared pool.
 *
 * The host says how many pages it would like on loan; a work item lends
 * or takes back one page at a time until the loan matches.  Loaned pages
 * live on the list of a struct balloon_dev_info: the balloon core marks
 * them PageOffline() and lets compaction move them.
 *
 * Lock ordering: @cb->lock -> page lock -> @cb->b_dev_info.pages_lock.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/sample_hv.h>
#include <linux/balloon_compaction.h>

#define COOP_BATCH	128

struct coop_balloon {
	struct balloon_dev_info b_dev_info;
	/* serialises lending, taking back and migration; protects below */
	struct mutex lock;
	unsigned long loaned;
	struct delayed_work dwork;
};

static struct coop_balloon coop_balloon;

static int coop_lend_one(struct coop_balloon *cb)
	__must_hold(&cb->lock)
{
	struct balloon_dev_info *b = &cb->b_dev_info;
	struct page *page;
	unsigned long flags;
	int err;

	page = balloon_page_alloc();
	if (!page)
		return -ENOMEM;

	err = hv_page_loan(page_to_pfn(page));
	if (err) {
		__free_page(page);
		return err;
	}

	/* Nobody else knows the page yet: pages_lock is all it takes. */
	spin_lock_irqsave(&b->pages_lock, flags);
	balloon_page_insert(b, page);
	spin_unlock_irqrestore(&b->pages_lock, flags);
	cb->loaned++;
	return 0;
}

static int coop_take_back_one(struct coop_balloon *cb)
	__must_hold(&cb->lock)
{
	struct balloon_dev_info *b = &cb->b_dev_info;
	struct page *page;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&b->pages_lock, flags);
	page = list_first_entry_or_null(&b->pages, struct page, lru);
	spin_unlock_irqrestore(&b->pages_lock, flags);
	if (!page)
		return -ENOENT;

	err = hv_page_unloan(page_to_pfn(page));
	if (err) {
		/* The host still uses it: try the others first next time. */
		list_move_tail(&page->lru, &b->pages);
		return err;
	}

	lock_page(page);
	spin_lock_irqsave(&b->pages_lock, flags);
	balloon_page_delete(page);
	spin_unlock_irqrestore(&b->pages_lock, flags);
	unlock_page(page);
	cb->loaned--;
	put_page(page);
	return 0;
}

/*
 * Unloading: take back what the host lets go of, leak the rest.  A page
 * that compaction is moving right now is waited for.
 */
static void coop_take_back_all(struct coop_balloon *cb)
{
	struct balloon_dev_info *b = &cb->b_dev_info;
	struct page *page, *tmp;
	LIST_HEAD(pages);

	mutex_lock(&cb->lock);
	spin_lock_irq(&b->pages_lock);
	list_for_each_entry_safe(page, tmp, &b->pages, lru) {
		lock_page(page);
		balloon_page_delete(page);
		unlock_page(page);
		list_add(&page->lru, &pages);
	}
	spin_unlock_irq(&b->pages_lock);

	list_for_each_entry_safe(page, tmp, &pages, lru) {
		if (hv_page_unloan(page_to_pfn(page)))
			continue;
		list_del(&page->lru);
		cb->loaned--;
		put_page(page);
	}
	mutex_unlock(&cb->lock);
}

#ifdef CONFIG_BALLOON_COMPACTION
/*
 * Swap @page for @newpage in the loan.  The balloon core calls this with
 * both pages locked by the migration code.
 */
static int coop_migratepage(struct balloon_dev_info *b, struct page *newpage,
			    struct page *page, enum migrate_mode mode)
{
	struct coop_balloon *cb = container_of(b, struct coop_balloon,
					       b_dev_info);
	unsigned long flags;
	int err;

	/* Lending or taking back is running: compaction retries later. */
	if (!mutex_trylock(&cb->lock))
		return -EAGAIN;

	/* Lend the new page first, so the loan never shrinks meanwhile. */
	err = hv_page_loan(page_to_pfn(newpage));
	if (err)
		goto out_unlock;
	get_page(newpage);	/* the balloon's reference */

	spin_lock_irqsave(&b->pages_lock, flags);
	balloon_page_insert(b, newpage);
	b->isolated_pages--;
	spin_unlock_irqrestore(&b->pages_lock, flags);

	WARN_ON_ONCE(hv_page_unloan(page_to_pfn(page)));
	/* @page is isolated, so it is on no list that pages_lock protects. */
	balloon_page_delete(page);
	put_page(page);		/* drop the balloon's reference */
	err = MIGRATEPAGE_SUCCESS;

out_unlock:
	mutex_unlock(&cb->lock);
	return err;
}
#endif /* CONFIG_BALLOON_COMPACTION */

static void coop_balloon_work(struct work_struct *work)
{
	struct coop_balloon *cb = container_of(to_delayed_work(work),
					       struct coop_balloon, dwork);
	unsigned long target = hv_loan_target();
	unsigned int i;
	int err = 0;

	mutex_lock(&cb->lock);
	for (i = 0; !err && i < COOP_BATCH && cb->loaned != target; i++) {
		if (cb->loaned < target)
			err = coop_lend_one(cb);
		else
			err = coop_take_back_one(cb);
	}
	mutex_unlock(&cb->lock);

	/* A refused page is asked for again later; a full batch goes on now. */
	if (err || i == COOP_BATCH)
		queue_delayed_work(system_freezable_wq, &cb->dwork,
				   err ? HZ : 0);
}

static void coop_balloon_kick(void *data)
{
	struct coop_balloon *cb = data;

	mod_delayed_work(system_freezable_wq, &cb->dwork, 0);
}

static int __init coop_balloon_init(void)
{
	struct coop_balloon *cb = &coop_balloon;

	if (!hv_present())
		return -ENODEV;

	balloon_devinfo_init(&cb->b_dev_info);
#ifdef CONFIG_BALLOON_COMPACTION
	cb->b_dev_info.migratepage = coop_migratepage;
#endif
	mutex_init(&cb->lock);
	INIT_DELAYED_WORK(&cb->dwork, coop_balloon_work);

	return hv_subscribe(HV_EVENT_LOAN_TARGET, coop_balloon_kick, cb);
}

static void __exit coop_balloon_exit(void)
{
	struct coop_balloon *cb = &coop_balloon;

	hv_unsubscribe(HV_EVENT_LOAN_TARGET, cb);
	cancel_delayed_work_sync(&cb->dwork);
	coop_take_back_all(cb);
}

module_init(coop_balloon_init);
module_exit(coop_balloon_exit);
MODULE_DESCRIPTION("Cooperative memory balloon for the sample hypervisor");
MODULE_LICENSE("GPL");

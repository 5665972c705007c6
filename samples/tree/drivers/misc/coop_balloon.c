// SPDX-License-Identifier: GPL-2.0-only
/*
 * coop_balloon: lend guest pages to the sample hypervisor's shared pool.
 *
 * The host says how many pages it would like on loan; a work item lends
 * or takes back one page at a time until the loan matches.  Loaned pages
 * wait on a list of the driver's own.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/sample_hv.h>

#define COOP_BATCH	128

struct coop_balloon {
	struct mutex lock;		/* protects all fields below */
	struct list_head pages;		/* loaned pages, linked by lru */
	unsigned long loaned;
	struct delayed_work dwork;
};

static struct coop_balloon coop_balloon;

static int coop_lend_one(struct coop_balloon *cb)
	__must_hold(&cb->lock)
{
	struct page *page;
	int err;

	page = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN | __GFP_NORETRY |
			  __GFP_NOMEMALLOC);
	if (!page)
		return -ENOMEM;

	err = hv_page_loan(page_to_pfn(page));
	if (err) {
		__free_page(page);
		return err;
	}

	list_add(&page->lru, &cb->pages);
	cb->loaned++;
	return 0;
}

static int coop_take_back_one(struct coop_balloon *cb)
	__must_hold(&cb->lock)
{
	struct page *page;
	int err;

	page = list_first_entry_or_null(&cb->pages, struct page, lru);
	if (!page)
		return -ENOENT;

	err = hv_page_unloan(page_to_pfn(page));
	if (err) {
		/* The host still uses it: try the others first next time. */
		list_move_tail(&page->lru, &cb->pages);
		return err;
	}

	list_del(&page->lru);
	cb->loaned--;
	__free_page(page);
	return 0;
}

/* Unloading: take back what the host lets go of, leak the rest. */
static void coop_take_back_all(struct coop_balloon *cb)
{
	struct page *page, *tmp;

	mutex_lock(&cb->lock);
	list_for_each_entry_safe(page, tmp, &cb->pages, lru) {
		if (hv_page_unloan(page_to_pfn(page)))
			continue;
		list_del(&page->lru);
		cb->loaned--;
		__free_page(page);
	}
	mutex_unlock(&cb->lock);
}

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

	mutex_init(&cb->lock);
	INIT_LIST_HEAD(&cb->pages);
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * resv_balloon: fit the guest into the memory reservation the host grants.
 *
 * When the host shrinks the reservation, the driver takes pages away from
 * the guest and releases them to the host; when the host grows it again,
 * the driver reclaims released pages and gives them back to the page
 * allocator.  A released page has no memory behind it: it waits on a
 * list of the driver's own, and nothing outside this file looks at it.
 * It is PageOffline() for as long as the host has it, so that dump tools
 * and hibernation do not read it.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/sample_hv.h>

#define RESV_BATCH	256

struct resv_balloon {
	struct mutex lock;		/* protects all fields below */
	struct list_head released;	/* linked through page->lru */
	unsigned long nr_released;
	unsigned long backed;		/* guest pages the host backs */
	struct work_struct work;
};

static struct resv_balloon resv_balloon;

/* Hand one page to the host; a page the host refuses stays with us. */
static int resv_release_one(struct resv_balloon *rb)
	__must_hold(&rb->lock)
{
	struct page *page;
	int err;

	page = alloc_page(GFP_HIGHUSER | __GFP_NOWARN | __GFP_NORETRY);
	if (!page)
		return -ENOMEM;

	err = hv_reservation_release(page_to_pfn(page));
	if (err) {
		__free_page(page);
		return err;
	}

	/* The host has the page now: nobody may read it any more. */
	__SetPageOffline(page);
	list_add(&page->lru, &rb->released);
	rb->nr_released++;
	rb->backed--;
	return 0;
}

static int resv_reclaim_one(struct resv_balloon *rb)
	__must_hold(&rb->lock)
{
	struct page *page;
	int err;

	page = list_first_entry_or_null(&rb->released, struct page, lru);
	if (!page)
		return -ENOENT;

	/* Until the host backs the page again, it must stay on our list. */
	err = hv_reservation_reclaim(page_to_pfn(page));
	if (err)
		return err;

	list_del(&page->lru);
	rb->nr_released--;
	rb->backed++;
	__free_page(page);
	return 0;
}

static void resv_balloon_work(struct work_struct *work)
{
	struct resv_balloon *rb = container_of(work, struct resv_balloon, work);
	unsigned long target = hv_reservation();
	unsigned int i;
	bool again;
	int err = 0;

	mutex_lock(&rb->lock);
	for (i = 0; !err && i < RESV_BATCH && rb->backed != target; i++) {
		if (rb->backed > target)
			err = resv_release_one(rb);
		else
			err = resv_reclaim_one(rb);
	}
	again = !err && rb->backed != target;
	mutex_unlock(&rb->lock);

	/* A full batch and more to do: let others run before the next one. */
	if (again)
		queue_work(system_freezable_wq, work);
}

static void resv_balloon_kick(void *data)
{
	struct resv_balloon *rb = data;

	queue_work(system_freezable_wq, &rb->work);
}

static int __init resv_balloon_init(void)
{
	struct resv_balloon *rb = &resv_balloon;

	if (!hv_present())
		return -ENODEV;

	mutex_init(&rb->lock);
	INIT_LIST_HEAD(&rb->released);
	INIT_WORK(&rb->work, resv_balloon_work);
	rb->backed = totalram_pages();

	return hv_subscribe(HV_EVENT_RESERVATION, resv_balloon_kick, rb);
}

static void __exit resv_balloon_exit(void)
{
	struct resv_balloon *rb = &resv_balloon;

	hv_unsubscribe(HV_EVENT_RESERVATION, rb);
	cancel_work_sync(&rb->work);

	/* Pages the host does not give back stay released: leak them. */
	mutex_lock(&rb->lock);
	while (!resv_reclaim_one(rb))
		;
	mutex_unlock(&rb->lock);
}

module_init(resv_balloon_init);
module_exit(resv_balloon_exit);
MODULE_DESCRIPTION("Memory reservation balloon for the sample hypervisor");
MODULE_LICENSE("GPL");

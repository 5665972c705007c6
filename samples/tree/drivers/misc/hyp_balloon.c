// SPDX-License-Identifier: GPL-2.0-only
/*
 * hyp_balloon: balloon driver for hypervisors that pin what they are given.
 *
 * The host takes memory in 4 KiB pages or, when it supports them, in
 * 2 MiB chunks.  It pins whatever it holds, so these pages can never be
 * migrated: the driver keeps them on lists of its own instead of using
 * the balloon_compaction core, and nothing outside this file looks at
 * those lists.
 *
 * Lock ordering: @hb->lock is taken first and is never held while the
 * page allocator is asked to reclaim hard.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/cleanup.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>
#include <linux/sample_hv.h>

#define HYP_CHUNK_ORDER		9	/* 2 MiB chunks of 4 KiB pages */
#define HYP_CHUNK_PAGES		(1UL << HYP_CHUNK_ORDER)

enum hyp_page_size {
	HYP_PAGE_SMALL,
	HYP_PAGE_CHUNK,
	HYP_NR_PAGE_SIZES,
};

struct hyp_balloon {
	struct mutex lock;		/* protects all fields below */
	struct list_head pages[HYP_NR_PAGE_SIZES];
	unsigned long size;		/* in 4 KiB pages */
	unsigned long target;		/* in 4 KiB pages */
	unsigned long refused;		/* pages the host did not take */
	bool chunks;			/* the host takes 2 MiB chunks */
	struct delayed_work dwork;
	struct dentry *debugfs;
};

static struct hyp_balloon hyp_balloon;

static unsigned int hyp_page_order(enum hyp_page_size ps)
{
	return ps == HYP_PAGE_CHUNK ? HYP_CHUNK_ORDER : 0;
}

static struct page *hyp_alloc(enum hyp_page_size ps)
{
	/* Chunks are nice to have, never worth compaction or a warning. */
	if (ps == HYP_PAGE_CHUNK)
		return alloc_pages(__GFP_HIGHMEM | __GFP_NOWARN |
				   __GFP_NORETRY | __GFP_NOMEMALLOC,
				   HYP_CHUNK_ORDER);
	return alloc_page(GFP_HIGHUSER | __GFP_NOWARN | __GFP_NORETRY |
			  __GFP_NOMEMALLOC);
}

static int hyp_inflate_one(struct hyp_balloon *hb, enum hyp_page_size ps)
	__must_hold(&hb->lock)
{
	unsigned int order = hyp_page_order(ps);
	struct page *page;
	int err;

	page = hyp_alloc(ps);
	if (!page)
		return -ENOMEM;

	err = hv_range_give(page_to_pfn(page), 1UL << order);
	if (err)
		goto err_free;

	/*
	 * Only single pages carry the balloon page type: a chunk is not a
	 * compound page, the type would cover its first 4 KiB only.
	 */
	if (ps == HYP_PAGE_SMALL)
		__SetPageBalloon(page);
	list_add(&page->lru, &hb->pages[ps]);
	hb->size += 1UL << order;
	return 0;

err_free:
	hb->refused += 1UL << order;
	__free_pages(page, order);
	return err;
}

static int hyp_deflate_one(struct hyp_balloon *hb, enum hyp_page_size ps)
	__must_hold(&hb->lock)
{
	unsigned int order = hyp_page_order(ps);
	struct page *page;
	int err;

	page = list_first_entry_or_null(&hb->pages[ps], struct page, lru);
	if (!page)
		return -ENOENT;

	/* While the host still holds the page, it stays on our list. */
	err = hv_range_take(page_to_pfn(page), 1UL << order);
	if (err)
		return err;

	list_del(&page->lru);
	hb->size -= 1UL << order;
	if (ps == HYP_PAGE_SMALL)
		__ClearPageBalloon(page);
	__free_pages(page, order);
	return 0;
}

static void hyp_balloon_work(struct work_struct *work)
{
	struct hyp_balloon *hb = container_of(to_delayed_work(work),
					      struct hyp_balloon, dwork);
	enum hyp_page_size ps;
	int err = 0;

	guard(mutex)(&hb->lock);

	hb->target = hv_balloon_target();

	/* Chunks first while they fit; single pages fill the last gap. */
	ps = hb->chunks ? HYP_PAGE_CHUNK : HYP_PAGE_SMALL;
	while (!err && hb->size < hb->target) {
		if (hb->target - hb->size < HYP_CHUNK_PAGES)
			ps = HYP_PAGE_SMALL;
		err = hyp_inflate_one(hb, ps);
		if (err == -ENOMEM && ps == HYP_PAGE_CHUNK) {
			ps = HYP_PAGE_SMALL;
			err = 0;
		}
	}

	/* Deflate single pages first: they are cheaper to get back. */
	for (ps = HYP_PAGE_SMALL; !err && ps < HYP_NR_PAGE_SIZES; ps++) {
		unsigned long nr = 1UL << hyp_page_order(ps);

		while (!err && hb->size >= hb->target + nr)
			err = hyp_deflate_one(hb, ps);
		if (err == -ENOENT)
			err = 0;
	}

	queue_delayed_work(system_freezable_wq, &hb->dwork,
			   err ? 10 * HZ : round_jiffies_relative(HZ));
}

static int hyp_balloon_show(struct seq_file *m, void *unused)
{
	struct hyp_balloon *hb = m->private;

	scoped_guard(mutex, &hb->lock) {
		seq_printf(m, "target:  %lu\n", hb->target);
		seq_printf(m, "size:    %lu\n", hb->size);
		seq_printf(m, "refused: %lu\n", hb->refused);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hyp_balloon);

static void hyp_balloon_kick(void *data)
{
	struct hyp_balloon *hb = data;

	mod_delayed_work(system_freezable_wq, &hb->dwork, 0);
}

static int __init hyp_balloon_init(void)
{
	struct hyp_balloon *hb = &hyp_balloon;
	enum hyp_page_size ps;
	int err;

	if (!hv_present())
		return -ENODEV;

	mutex_init(&hb->lock);
	for (ps = HYP_PAGE_SMALL; ps < HYP_NR_PAGE_SIZES; ps++)
		INIT_LIST_HEAD(&hb->pages[ps]);
	INIT_DELAYED_WORK(&hb->dwork, hyp_balloon_work);
	hb->chunks = hv_chunks_supported();

	hb->debugfs = debugfs_create_file("hyp_balloon", 0444, NULL, hb,
					  &hyp_balloon_fops);

	err = hv_subscribe(HV_EVENT_BALLOON_TARGET, hyp_balloon_kick, hb);
	if (err)
		goto err_debugfs;

	queue_delayed_work(system_freezable_wq, &hb->dwork, 0);
	return 0;

err_debugfs:
	debugfs_remove(hb->debugfs);
	return err;
}

static void __exit hyp_balloon_exit(void)
{
	struct hyp_balloon *hb = &hyp_balloon;
	enum hyp_page_size ps;

	hv_unsubscribe(HV_EVENT_BALLOON_TARGET, hb);
	cancel_delayed_work_sync(&hb->dwork);
	debugfs_remove(hb->debugfs);

	mutex_lock(&hb->lock);
	for (ps = HYP_PAGE_SMALL; ps < HYP_NR_PAGE_SIZES; ps++)
		while (!list_empty(&hb->pages[ps]))
			if (hyp_deflate_one(hb, ps))
				goto out_unlock;
out_unlock:
	mutex_unlock(&hb->lock);
}

module_init(hyp_balloon_init);
module_exit(hyp_balloon_exit);
MODULE_DESCRIPTION("Balloon driver for the sample hypervisor");
MODULE_LICENSE("GPL");

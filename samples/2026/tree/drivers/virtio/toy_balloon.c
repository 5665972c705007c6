// SPDX-License-Identifier: GPL-2.0-only
/*
 * drivers/virtio/toy_balloon.c - a toy balloon built on the balloon core
 *
 * The host asks for pages through a config field; the driver inflates
 * with balloon_page_enqueue() and deflates with balloon_page_list_dequeue(),
 * and tells the host the frame numbers over one queue.  Compaction may move
 * the pages: the core calls toy_migratepage() to tell the host.
 *
 * Copyright (C) 2016 Sample Systems Ltd.
 */
#include <linux/balloon_compaction.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/virtio.h>

#define TOY_PFNS_PER_MESSAGE	64

struct toy_balloon {
	struct virtio_device *vdev;
	struct balloon_dev_info b_dev_info;
	struct mutex message_lock;	/* protects pfns and num_pfns */
	u32 pfns[TOY_PFNS_PER_MESSAGE];
	unsigned int num_pfns;
	unsigned int num_pages;		/* pages the host holds */
};

/* Sends pfns[0 .. num_pfns) as an inflate or a deflate message. */
static void toy_tell_host(struct toy_balloon *tb, bool inflate)
	__must_hold(&tb->message_lock)
{
	toy_send(tb->vdev, inflate, tb->pfns, tb->num_pfns);
	tb->num_pfns = 0;
}

static unsigned int toy_fill(struct toy_balloon *tb, unsigned int num)
{
	LIST_HEAD(pages);
	struct page *page, *tmp;
	unsigned int n = 0;

	num = min_t(unsigned int, num, TOY_PFNS_PER_MESSAGE);
	while (n < num) {
		page = balloon_page_alloc();
		if (!page)
			break;
		list_add(&page->lru, &pages);
		n++;
	}

	mutex_lock(&tb->message_lock);
	list_for_each_entry_safe(page, tmp, &pages, lru) {
		list_del(&page->lru);
		tb->pfns[tb->num_pfns++] = page_to_pfn(page);
		balloon_page_enqueue(&tb->b_dev_info, page);
	}
	tb->num_pages += n;
	toy_tell_host(tb, true);
	mutex_unlock(&tb->message_lock);
	return n;
}

static unsigned int toy_leak(struct toy_balloon *tb, unsigned int num)
{
	LIST_HEAD(pages);
	struct page *page, *tmp;
	size_t n;

	num = min_t(unsigned int, num, TOY_PFNS_PER_MESSAGE);
	mutex_lock(&tb->message_lock);
	n = balloon_page_list_dequeue(&tb->b_dev_info, &pages, num);
	list_for_each_entry(page, &pages, lru)
		tb->pfns[tb->num_pfns++] = page_to_pfn(page);
	tb->num_pages -= n;
	toy_tell_host(tb, false);
	mutex_unlock(&tb->message_lock);

	list_for_each_entry_safe(page, tmp, &pages, lru) {
		list_del(&page->lru);
		put_page(page);
	}
	return n;
}

/*
 * Called by the balloon core for a page compaction wants to move: the host
 * learns of the new page before it forgets the old one.  The core puts
 * @newpage on the balloon list and releases @page afterwards.
 */
static int toy_migratepage(struct balloon_dev_info *b_dev_info,
			   struct page *newpage, struct page *page,
			   enum migrate_mode mode)
{
	struct toy_balloon *tb = container_of(b_dev_info, struct toy_balloon,
					      b_dev_info);

	/* A message may be half built by toy_fill(): do not wait for it. */
	if (!mutex_trylock(&tb->message_lock))
		return -EAGAIN;
	tb->pfns[tb->num_pfns++] = page_to_pfn(newpage);
	toy_tell_host(tb, true);
	tb->pfns[tb->num_pfns++] = page_to_pfn(page);
	toy_tell_host(tb, false);
	mutex_unlock(&tb->message_lock);
	return 0;
}

/* Moves the balloon towards the size the host asked for. */
void toy_balloon_update(struct toy_balloon *tb, unsigned int target)
{
	if (target > tb->num_pages)
		toy_fill(tb, target - tb->num_pages);
	else if (target < tb->num_pages)
		toy_leak(tb, tb->num_pages - target);
}

int toy_balloon_probe(struct virtio_device *vdev, struct toy_balloon *tb)
{
	tb->vdev = vdev;
	mutex_init(&tb->message_lock);
	tb->num_pfns = 0;
	tb->num_pages = 0;
	balloon_devinfo_init(&tb->b_dev_info);
	tb->b_dev_info.migratepage = toy_migratepage;
	return 0;
}

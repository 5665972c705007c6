// SPDX-License-Identifier: GPL-2.0
/*
 * A toy balloon driver. Its comments name page flags and members; the ones
 * the code stopped using are stale. (The top comment of a .c file is not an
 * interface comment: PageDirty here is not judged.)
 */
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/spinlock.h>

struct toy_balloon {
	spinlock_t lock;		/* protects tb->pages and tb->nr_pages */
	struct list_head pages;		/* formerly tb->page_list */ /* expect: PA3101 */
	unsigned long nr_pages;		/* under the far superior lru_lock */ /* ok: PA3101 */
};

/**
 * toy_balloon_inflate() - take a page away from the kernel
 * @tb: the balloon
 * @page: the page
 *
 * Marks the page PageOffline (PG_offline) and queues it on tb->pages under
 * page_lock(page) and tb->lock; page->private and ->mapping are untouched.
 * It used to set PagePrivate as well. /* expect: PA3101 */
static void toy_balloon_inflate(struct toy_balloon *tb, struct page *page)
{
	__SetPageOffline(page);
	spin_lock(&tb->lock);
	list_add(&page->lru, &tb->pages);
	tb->nr_pages++;
	spin_unlock(&tb->lock);
}

/**
 * toy_balloon_deflate() - give a page back
 * @tb: the balloon
 * @page: the page
 *
 * Clears PageOffline; vb->other is a member of a struct defined elsewhere. /* ok: PA3101 */
static void toy_balloon_deflate(struct toy_balloon *tb, struct page *page)
{
	spin_lock(&tb->lock);
	list_del(&page->lru);
	tb->nr_pages--;
	spin_unlock(&tb->lock);
	/* A body comment is no interface comment: PageReserved, tb->gone. */ /* ok: PA3101 */
	__ClearPageOffline(page);
}

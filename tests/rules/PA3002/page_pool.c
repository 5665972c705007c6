// SPDX-License-Identifier: GPL-2.0
/*
 * A toy page pool whose kernel-doc comments miss parameters.
 */
#include <linux/list.h>
#include <linux/mm.h>

struct page_pool {
	spinlock_t lock;
	struct list_head pages;
	unsigned long count;
};

/**
 * page_pool_add() - put a page back into the pool
 * @page: the page to add
 */
static void page_pool_add(struct page_pool *pool, struct page *page) /* expect: PA3002 */
{
	list_add(&page->lru, &pool->pages);
}

/**
 * page_pool_take() - take a page out of the pool
 * @pool: the pool to take from
 * @gfp: how to allocate when the pool is empty
 *
 * Return: a page, or NULL.
 */
static struct page *page_pool_take(struct page_pool *pool, gfp_t gfp) /* ok: PA3002 */
{
	return NULL;
}

/**
 * page_pool_log() - print a message about a pool
 * @pool: the pool the message is about
 * @fmt: printf-style format
 *
 * The variadic arguments need no description of their own.
 */
static void page_pool_log(struct page_pool *pool, const char *fmt, ...) /* ok: PA3002 */
{
}

/**
 * page_pool_reset() - forget every page
 *
 * Takes no argument: (void) declares none.
 */
static void page_pool_reset(void) /* ok: PA3002 */
{
}

/**
 * page_pool_first() - the first page of a pool
 * @pool: the pool
 */
#define page_pool_first(pool, member) list_first_entry(&(pool)->pages, struct page, member) /* expect: PA3002 */

/**
 * page_pool_remove() - the name line names another function
 * @pool: the pool
 *
 * scripts/kernel-doc reads the parameters before it compares the names, so
 * the undescribed @page is reported even though the names differ.
 */
static void page_pool_del(struct page_pool *pool, struct page *page) /* expect: PA3002 */
{
	list_del(&page->lru);
}

/*
 * page_pool_count - a plain comment, not this rule's business
 * @pool: the pool
 */
static unsigned long page_pool_count(struct page_pool *pool, bool locked) /* ok: PA3002 */
{
	return pool->count;
}

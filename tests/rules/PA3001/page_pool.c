// SPDX-License-Identifier: GPL-2.0
/*
 * A small pool of pages for a toy driver: kernel-doc comments whose
 * parameters drifted away from the functions they describe.
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
 * @head: the pool's page list
 * @page: the page to add
 *
 * The parameter was renamed from @head to @pool; the comment still says @head.
 */
static void page_pool_add(struct page_pool *pool, struct page *page) /* expect: PA3001 */
{
	spin_lock(&pool->lock);
	list_add(&page->lru, &pool->pages);
	pool->count++;
	spin_unlock(&pool->lock);
}

/**
 * page_pool_init() - set up an empty pool
 * @pool: the pool to set up
 */
static void page_pool_init(struct page_pool *pool) /* ok: PA3001 */
{
	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->pages);
	pool->count = 0;
}

/**
 * page_pool_drain() - give every page back to the page allocator
 * @pool: the pool to empty
 * @gfp: allocation flags, no longer needed since draining stopped allocating
 * @order: the order of the pages, always 0 now
 */
static void page_pool_drain(struct page_pool *pool) /* expect: PA3001 */
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &pool->pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	pool->count = 0;
}

/**
 * page_pool_log() - print a message about the pool
 * @pool: the pool the message is about
 * @fmt: printf-style format
 * @...: arguments for @fmt
 */
static void page_pool_log(struct page_pool *pool, const char *fmt, ...) /* ok: PA3001 */
{
}

/**
 * page_pool_empty() - whether the pool holds no page
 *
 * Return: true when the pool is empty.
 */
static bool page_pool_empty(void) /* ok: PA3001 */
{
	return true;
}

/**
 * page_pool_for_each() - walk the pages of a pool
 * @pool: the pool to walk
 * @pos: the cursor
 * @gfp: left over from an older version of the macro
 */
#define page_pool_for_each(pool, pos) list_for_each_entry(pos, &(pool)->pages, lru) /* expect: PA3001 */

/**
 * page_pool_warn() - warn about a pool
 * @pool: the pool
 * @args: the format and its arguments
 */
#define page_pool_warn(pool, args...) pr_warn(args) /* ok: PA3001 */

/*
 * page_pool_count - number of pages in a pool
 * @head: a plain comment: not kernel-doc, so not this rule's business
 */
static unsigned long page_pool_count(struct page_pool *pool) /* ok: PA3001 */
{
	return pool->count;
}

static void page_pool_shrink(struct page_pool *pool)
{
	/**
	 * page_pool_inner() - a comment inside a body is never kernel-doc
	 * @nothing: not a parameter of anything
	 */
	pool->count = 0; /* ok: PA3001 */
}

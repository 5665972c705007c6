// SPDX-License-Identifier: GPL-2.0
/*
 * A toy page pool whose kernel-doc comments forget to describe return values.
 */
#include <linux/list.h>
#include <linux/mm.h>

struct page_pool;

/**
 * page_pool_count() - number of pages in a pool
 * @pool: the pool
 */
static unsigned long page_pool_count(struct page_pool *pool) /* expect: PA3004 */
{
	return 0;
}

/**
 * page_pool_take() - take a page out of the pool
 * @pool: the pool
 *
 * Returns the page, or NULL when the pool is empty: prose, not a section.
 */
static struct page *page_pool_take(struct page_pool *pool) /* expect: PA3004 */
{
	return NULL;
}

/**
 * page_pool_buffer() - the pool's scratch buffer
 * @pool: the pool
 *
 * "void *" returns a value.
 */
static void *page_pool_buffer(struct page_pool *pool) /* expect: PA3004 */
{
	return NULL;
}

/**
 * page_pool_full() - whether the pool holds its maximum
 * @pool: the pool
 *
 * Return:
 */
static bool page_pool_full(struct page_pool *pool) /* ok: PA3004 */
{
	return false;
}

/**
 * page_pool_empty() - whether the pool holds no page
 * @pool: the pool
 *
 * Return: true when the pool is empty.
 */
static bool page_pool_empty(struct page_pool *pool) /* ok: PA3004 */
{
	return true;
}

/**
 * page_pool_grow() - add pages to a pool
 * @pool: the pool
 * @nr: how many pages to add
 *
 * Returns:
 * the number of pages added, which may be less than @nr.
 */
static int page_pool_grow(struct page_pool *pool, int nr) /* ok: PA3004 */
{
	return 0;
}

/**
 * page_pool_clear() - drop every page
 * @pool: the pool
 */
static void page_pool_clear(struct page_pool *pool) /* ok: PA3004 */
{
}

/**
 * page_pool_size() - a macro is never asked for a Return: section
 * @pool: the pool
 */
#define page_pool_size(pool) ((pool)->count) /* ok: PA3004 */

/*
 * page_pool_shrink - a plain comment is not kernel-doc
 * @pool: the pool
 */
static int page_pool_shrink(struct page_pool *pool) /* ok: PA3004 */
{
	return 0;
}

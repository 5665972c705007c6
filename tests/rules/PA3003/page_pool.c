// SPDX-License-Identifier: GPL-2.0
/*
 * A toy page pool whose kernel-doc comments name the wrong function.
 */
#include <linux/list.h>
#include <linux/mm.h>

struct page_pool;

/**
 * page_pool_insert() - put a page back into the pool
 * @pool: the pool
 * @page: the page to add
 *
 * The function was renamed to page_pool_add(); the comment was not.
 */
static void page_pool_add(struct page_pool *pool, struct page *page) /* expect: PA3003 */
{
}

/**
 * page_pool_alloc - allocate a pool
 * @gfp: allocation flags
 *
 * Memory allocation profiling renames the function to page_pool_alloc_noprof()
 * behind a page_pool_alloc() macro; the comment rightly documents the macro's name.
 *
 * Return: the pool, or NULL.
 */
struct page_pool *page_pool_alloc_noprof(gfp_t gfp) /* ok: PA3003 */
{
	return NULL;
}

/**
 * page_pool_first - the first page of a pool
 * @pool: the pool
 */
#define page_pool_head(pool) list_first_entry(&(pool)->pages, struct page, lru) /* expect: PA3003 */

/**
 * define page_pool_last - the last page of a pool
 * @pool: the pool
 */
#define page_pool_last(pool) list_last_entry(&(pool)->pages, struct page, lru) /* ok: PA3003 */

/*
 * page_pool_fill - a plain comment naming the wrong function is PA3007's business
 * @pool: the pool
 */
static void page_pool_refill(struct page_pool *pool) /* ok: PA3003 */
{
}

// SPDX-License-Identifier: GPL-2.0
/*
 * A toy balloon driver whose plain kernel-doc-form comments kept the names
 * of functions that were renamed.
 */
#include <linux/list.h>
#include <linux/mm.h>

struct toy_balloon;

/*
 * __toy_balloon_fill - inflate the balloon by some pages
 * @tb: the balloon
 * @nr: how many pages
 *
 * The function lost its underscores; the comment kept them.
 */
static unsigned int toy_balloon_fill(struct toy_balloon *tb, unsigned int nr) /* expect: PA3007 */
{
	return 0;
}

/*
 * toy_balloon_leak() - deflate the balloon by some pages
 * @tb: the balloon
 * @nr: how many pages
 */
static unsigned int toy_balloon_leak(struct toy_balloon *tb, unsigned int nr) /* ok: PA3007 */
{
	return 0;
}

/*
 * toy_balloon_size - a macro renamed from toy_balloon_size()
 * @tb: the balloon
 */
#define toy_balloon_pages(tb) ((tb)->nr_pages) /* expect: PA3007 */

/*
 * Locking - the pages list is protected by tb->lock; this prose comment has
 * no @param: line and documents no function.
 */
static void toy_balloon_reset(struct toy_balloon *tb) /* ok: PA3007 */
{
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Code that does not use struct balloon_dev_info: the balloon comment does
 * not govern how it uses page->private.
 */
#include <linux/mm.h>

struct buffer_head;

static void attach_buffers(struct page *page, struct buffer_head *head)
{
	page->private = (unsigned long)head; /* ok: PA3201 */
	set_page_private(page, (unsigned long)head); /* ok: PA3201 */
}

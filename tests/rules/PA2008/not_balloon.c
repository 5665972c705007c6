// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2008: code that never speaks of a balloon device keeps its
 * own data in page->private; rule i is not about it.
 */
#include <linux/mm.h>

void demo_fs_attach(struct page *page, void *data)
{
	set_page_private(page, (unsigned long)data);	/* ok: PA2008 */
	SetPagePrivate(page);
}

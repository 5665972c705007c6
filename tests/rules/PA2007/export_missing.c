// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2007: the note tells dump tools about free pages but not
 * about PageOffline() pages, which they must skip as well.
 */
#include <linux/init.h>
#include <linux/page-flags.h>

static int __init demo_note_init(void)
{
	VMCOREINFO_NUMBER(PG_lru);
	VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);	/* expect: PA2007 */
	VMCOREINFO_NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * What a demo kernel tells dump tools about its pages: PageBuddy() and
 * PageOffline() pages are skipped by makedumpfile.
 */
#include <linux/crash_core.h>
#include <linux/page-flags.h>

static int __init crash_info_init(void)
{
	VMCOREINFO_OFFSET(page, flags);
	VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);
	VMCOREINFO_NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE);
	VMCOREINFO_NUMBER(PG_hwpoison);
	return 0;
}
subsys_initcall(crash_info_init);

// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA2007: both page types are exported. */
#include <linux/init.h>
#include <linux/page-flags.h>

static int __init demo_note_init(void)
{
	VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);	/* ok: PA2007 */
#define PAGE_OFFLINE_MAPCOUNT_VALUE	(PGTY_offline << 24)
	VMCOREINFO_NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE);
	return 0;
}

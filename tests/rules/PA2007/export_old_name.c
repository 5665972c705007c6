// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2007: PageOffline() pages exported under the pre-5.1 name;
 * PA1005 reports the name, this rule does not report it a second time.
 */
#include <linux/init.h>

static int __init demo_note_init(void)
{
	VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);	/* ok: PA2007 */
	VMCOREINFO_NUMBER(PAGE_BALLOON_MAPCOUNT_VALUE);
	return 0;
}

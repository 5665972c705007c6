// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA2007: a note from before the logically-offline page type
 * existed: nothing here knows of it, so nothing is missing.
 */
#include <linux/init.h>

static int __init demo_note_init(void)
{
	VMCOREINFO_NUMBER(PG_private);
	VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);	/* ok: PA2007 */
	return 0;
}

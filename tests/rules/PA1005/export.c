// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA1005: dump tools read PAGE_OFFLINE_MAPCOUNT_VALUE since 5.1. */
#include <linux/kexec.h>

static int __init crash_save_page_types(void)
{
	VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);	/* ok: PA1005 */
	VMCOREINFO_NUMBER(PAGE_BALLOON_MAPCOUNT_VALUE);	/* expect: PA1005 */
	VMCOREINFO_NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE);	/* ok: PA1005 */
	pr_info("exported %s\n", "PAGE_BALLOON_MAPCOUNT_VALUE");	/* ok: PA1005 */
	return 0;
}
subsys_initcall(crash_save_page_types);

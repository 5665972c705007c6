// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/crash_info.c - describe the memory layout to dump tools
 *
 * The note built here is saved with a crash dump.  Tools such as
 * makedumpfile read it to find the page structures and to learn which
 * pages they may leave out of the dump: free pages, page tables if asked
 * to, and pages that are logically offline.
 */
#include <linux/crash_info.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-flags.h>
#include <linux/spinlock.h>

static char crash_info_buf[CRASH_INFO_BYTES];
static size_t crash_info_len;
static DEFINE_SPINLOCK(crash_info_lock);

/**
 * crash_info_append_str - append formatted text to the crash info note
 * @fmt: printf-style format string
 *
 * Text that does not fit is cut off with a warning: the note is only read
 * after a crash, there is nobody to hand an error to.
 *
 * Context: any context.
 */
void crash_info_append_str(const char *fmt, ...)
{
	unsigned long flags;
	va_list args;
	size_t room;
	int len;

	spin_lock_irqsave(&crash_info_lock, flags);
	room = sizeof(crash_info_buf) - crash_info_len;
	va_start(args, fmt);
	len = vscnprintf(crash_info_buf + crash_info_len, room, fmt, args);
	va_end(args);
	WARN_ONCE(len + 1 >= room, "crash_info: note truncated\n");
	crash_info_len += len;
	spin_unlock_irqrestore(&crash_info_lock, flags);
}

static int __init crash_info_init(void)
{
	VMCOREINFO_SYMBOL(mem_map);
	VMCOREINFO_STRUCT_SIZE(page);
	VMCOREINFO_OFFSET(page, flags);
	VMCOREINFO_OFFSET(page, _mapcount);
	VMCOREINFO_OFFSET(page, lru);
	VMCOREINFO_OFFSET(page, private);

	VMCOREINFO_NUMBER(PG_locked);
	VMCOREINFO_NUMBER(PG_private);
	VMCOREINFO_NUMBER(PG_reserved);
	/* Free pages hold nothing worth dumping. */
	VMCOREINFO_NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE);
	VMCOREINFO_NUMBER(PAGE_TABLE_MAPCOUNT_VALUE);
	/*
	 * PageOffline() pages, such as inflated balloon pages, may not even be
	 * backed by memory any more: reading them would only make the
	 * hypervisor hand out zeroed pages.  Let dump tools skip them.
	 */
	VMCOREINFO_NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE);

	return 0;
}
subsys_initcall(crash_info_init);

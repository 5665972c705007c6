// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/pagetypes and /proc/pagetypes_summary: tell userspace what the
 * physical pages are used for.
 *
 * /proc/pagetypes holds one u64 per page frame, indexed by pfn, with one
 * bit for each PTF_* kind the page has.  /proc/pagetypes_summary counts
 * the pages of each page type.
 */
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/memblock.h>
#include <linux/page-flags.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "internal.h"

/* Bits of the u64 reported per page: userspace knows them, never renumber. */
#define PTF_LOCKED		0
#define PTF_PRIVATE		1
#define PTF_RESERVED		2
#define PTF_BUDDY		3
#define PTF_BALLOON		4
#define PTF_PGTABLE		5
#define PTF_NOPAGE		20

static const struct pagetype_name {
	unsigned int	mask;
	const char	*name;
} pagetype_names[] = {
	{ PG_buddy,	"buddy"   },
	{ PG_balloon,	"balloon" },
	{ PG_table,	"table"   },
};

static struct page *pagetypes_pfn_to_page(unsigned long pfn)
{
	return pfn_valid(pfn) ? pfn_to_page(pfn) : NULL;
}

static u64 pagetypes_of(const struct page *page)
{
	u64 u = 0;

	if (!page)
		return BIT_ULL(PTF_NOPAGE);

	if (PageLocked(page))
		u |= BIT_ULL(PTF_LOCKED);
	if (PagePrivate(page))
		u |= BIT_ULL(PTF_PRIVATE);
	if (PageReserved(page))
		u |= BIT_ULL(PTF_RESERVED);
	if (PageBuddy(page))
		u |= BIT_ULL(PTF_BUDDY);
	if (PageBalloon(page))
		u |= BIT_ULL(PTF_BALLOON);
	if (PageTable(page))
		u |= BIT_ULL(PTF_PGTABLE);

	return u;
}

static ssize_t pagetypes_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	u64 __user *out = (u64 __user *)buf;
	unsigned long pfn = *ppos / sizeof(u64);
	ssize_t ret = 0;

	if (*ppos % sizeof(u64) || count % sizeof(u64))
		return -EINVAL;

	for (; count && pfn < max_pfn; pfn++, count -= sizeof(u64)) {
		if (put_user(pagetypes_of(pagetypes_pfn_to_page(pfn)), out)) {
			ret = -EFAULT;
			break;
		}
		out++;
		cond_resched();
	}

	*ppos += (char __user *)out - buf;
	return ret ? ret : (char __user *)out - buf;
}

static const struct proc_ops pagetypes_proc_ops = {
	.proc_lseek	= mem_lseek,
	.proc_read	= pagetypes_read,
};

static int pagetypes_summary_show(struct seq_file *m, void *unused)
{
	unsigned long count[ARRAY_SIZE(pagetype_names)] = { };
	unsigned long pfn;
	unsigned int type;
	size_t i;

	for (pfn = 0; pfn < max_pfn; pfn++) {
		struct page *page = pagetypes_pfn_to_page(pfn);

		if (!page || !page_has_type(page))
			continue;
		/* A page type is a bit cleared in _mapcount, see page-flags.h. */
		type = atomic_read(&page->_mapcount);
		for (i = 0; i < ARRAY_SIZE(pagetype_names); i++)
			if (!(type & pagetype_names[i].mask))
				count[i]++;
		cond_resched();
	}

	for (i = 0; i < ARRAY_SIZE(pagetype_names); i++)
		seq_printf(m, "%-8s %lu\n", pagetype_names[i].name, count[i]);
	return 0;
}
DEFINE_PROC_SHOW_ATTRIBUTE(pagetypes_summary);

static int __init proc_pagetypes_init(void)
{
	proc_create("pagetypes", 0400, NULL, &pagetypes_proc_ops);
	proc_create("pagetypes_summary", 0400, NULL, &pagetypes_summary_proc_ops);
	return 0;
}
fs_initcall(proc_pagetypes_init);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page flags and page types, trimmed down to what the balloon drivers,
 * the dump exporter and the hibernation walker of this tree use.
 */
#ifndef _LINUX_PAGE_FLAGS_H
#define _LINUX_PAGE_FLAGS_H

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/mmdebug.h>
#include <linux/mm_types.h>

/*
 * Bits in page->flags.  Only the ones this tree tests are listed; the
 * order is arbitrary but fixed, dump tools learn it through crash_info.
 */
enum pageflags {
	PG_locked,		/* the page is locked, see lock_page() */
	PG_referenced,
	PG_private,		/* page_private() holds data for the owner */
	PG_reserved,		/* never handed to the page allocator */
	PG_highmem,		/* not permanently mapped in the kernel */
	PG_isolated,		/* a movable page taken aside for migration */
	__NR_PAGEFLAGS,
};

#define TESTPAGEFLAG(uname, lname)					\
static __always_inline bool Page##uname(const struct page *page)	\
{									\
	return test_bit(PG_##lname, &page->flags);			\
}

TESTPAGEFLAG(Locked, locked)
TESTPAGEFLAG(Private, private)
TESTPAGEFLAG(Reserved, reserved)
TESTPAGEFLAG(HighMem, highmem)
TESTPAGEFLAG(Isolated, isolated)

/*
 * A page that is never mapped to userspace may use page->_mapcount to say
 * what it is used for: its page type.  A page has at most one type.
 *
 * The type is stored inverted, so that a page without a type keeps the
 * _mapcount of -1 that means "not mapped":
 *  - PAGE_TYPE_BASE is always set in the _mapcount of a typed page;
 *  - the bits of PAGE_TYPE_RESERVED stay set, so that a _mapcount that
 *    underflowed by less than 128 is never taken for a type;
 *  - each type owns one bit in between, clear while the type is set.
 */
#define PAGE_TYPE_BASE		0xf0000000
#define PAGE_TYPE_RESERVED	0x0000007f
#define PG_buddy		0x00000080
#define PG_offline		0x00000100
#define PG_table		0x00000200

/* The _mapcount of a page that carries the page type @flag. */
#define PAGE_TYPE_MAPCOUNT(flag)	((int)~(flag))

#define PAGE_BUDDY_MAPCOUNT_VALUE	PAGE_TYPE_MAPCOUNT(PG_buddy)
#define PAGE_OFFLINE_MAPCOUNT_VALUE	PAGE_TYPE_MAPCOUNT(PG_offline)
#define PAGE_TABLE_MAPCOUNT_VALUE	PAGE_TYPE_MAPCOUNT(PG_table)

static __always_inline bool page_has_type(const struct page *page)
{
	return atomic_read(&page->_mapcount) < -(int)PAGE_TYPE_RESERVED - 1;
}

/*
 * PAGE_MAPCOUNT_OPS() generates the helpers of one page type: Page<Name>()
 * tests it, __SetPage<Name>() gives it to a page that has no type and no
 * mapping, __ClearPage<Name>() takes it away again.  The leading
 * underscores say that the caller owns the page: nothing here is atomic
 * against another user of _mapcount.
 */
#define PAGE_MAPCOUNT_OPS(uname, UNAME)					\
static __always_inline bool Page##uname(const struct page *page)	\
{									\
	return atomic_read(&page->_mapcount) ==				\
		PAGE_##UNAME##_MAPCOUNT_VALUE;				\
}									\
static __always_inline void __SetPage##uname(struct page *page)	\
{									\
	VM_BUG_ON_PAGE(atomic_read(&page->_mapcount) != -1, page);	\
	atomic_set(&page->_mapcount, PAGE_##UNAME##_MAPCOUNT_VALUE);	\
}									\
static __always_inline void __ClearPage##uname(struct page *page)	\
{									\
	VM_BUG_ON_PAGE(!Page##uname(page), page);			\
	atomic_set(&page->_mapcount, -1);				\
}

/*
 * PageBuddy() marks the first page of a free block that the buddy
 * allocator owns; page_private() holds the order of the block.
 */
PAGE_MAPCOUNT_OPS(Buddy, BUDDY)

/*
 * PageOffline() indicates that the page is logically offline although the
 * containing section is online. (e.g. inflated in a balloon driver or
 * not onlined when onlining the section).  Its contents are of no interest to
 * anybody: a balloon driver may have handed the page to the hypervisor, or
 * a driver may keep it away from the page allocator for some other reason.
 * The page must not be read: dump tools skip it, and so does hibernation.
 *
 * Only the owner of the page sets and clears the type.  Balloon pages are
 * the most common PageOffline() pages: the type was called PageBalloon()
 * before other users appeared.
 */
PAGE_MAPCOUNT_OPS(Offline, OFFLINE)

/* PageTable() marks a page that holds page table entries. */
PAGE_MAPCOUNT_OPS(Table, TABLE)

#endif /* _LINUX_PAGE_FLAGS_H */

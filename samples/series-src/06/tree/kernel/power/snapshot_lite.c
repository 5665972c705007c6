// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/power/snapshot_lite.c - pick the pages that go into the image
 *
 * A small cousin of the hibernation snapshot code: it walks the page
 * frames of every populated zone and decides which of them hold contents
 * that must survive the power cycle.
 *
 * Pages that are logically offline (PageOffline()) never do: a balloon
 * may have handed them to the hypervisor, and reading them would at best
 * make the hypervisor hand out zeroed memory.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/highmem.h>
#include <linux/page-flags.h>
#include <linux/suspend.h>
#include <asm/sections.h>

/* The image loader's own state lives here; restoring it would clobber it. */
static bool pfn_is_nosave(unsigned long pfn)
{
	unsigned long begin = PFN_DOWN(__pa(&__nosave_begin));
	unsigned long end = PFN_UP(__pa(&__nosave_end));

	return pfn >= begin && pfn < end;
}

static struct page *zone_pfn_to_page(struct zone *zone, unsigned long pfn)
{
	struct page *page;

	if (!pfn_valid(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	return page_zone(page) == zone ? page : NULL;
}

/**
 * saveable_highmem_page - the highmem page at @pfn, if the image needs it
 * @zone: the zone being walked
 * @pfn: a page frame in @zone
 *
 * Return: the page, or NULL if its contents need not be saved.
 */
static struct page *saveable_highmem_page(struct zone *zone, unsigned long pfn)
{
	struct page *page = zone_pfn_to_page(zone, pfn);

	if (!page)
		return NULL;
	BUG_ON(!PageHighMem(page));

	/* Free pages hold nothing; reserved highmem is not ours to save. */
	if (PageBuddy(page) || PageReserved(page))
		return NULL;
	if (PageBalloon(page))
		return NULL;
	return page;
}

/**
 * saveable_page - the lowmem page at @pfn, if the image needs it
 * @zone: the zone being walked
 * @pfn: a page frame in @zone
 *
 * Return: the page, or NULL if its contents need not be saved.
 */
static struct page *saveable_page(struct zone *zone, unsigned long pfn)
{
	struct page *page = zone_pfn_to_page(zone, pfn);

	if (!page)
		return NULL;
	BUG_ON(PageHighMem(page));

	if (PageBuddy(page) || pfn_is_nosave(pfn))
		return NULL;
	if (PageOffline(page))
		return NULL;
	/* A reserved page without a kernel mapping has no contents we see. */
	if (PageReserved(page) && !kernel_page_present(page))
		return NULL;
	return page;
}

/**
 * count_saveable_pages - how many pages the image must hold
 *
 * Context: process context, with every other task frozen.
 * Return: the number of page frames whose contents must be saved.
 */
unsigned long count_saveable_pages(void)
{
	unsigned long pfn, end, n = 0;
	struct zone *zone;

	for_each_populated_zone(zone) {
		bool highmem = is_highmem(zone);

		end = zone_end_pfn(zone);
		for (pfn = zone->zone_start_pfn; pfn < end; pfn++) {
			if (highmem ? saveable_highmem_page(zone, pfn) :
				      saveable_page(zone, pfn))
				n++;
		}
	}
	return n;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sample hypervisor's memory interface, as seen by guest drivers.
 *
 * All calls may sleep.  Event callbacks run in interrupt context and must
 * only queue work.
 */
#ifndef _LINUX_SAMPLE_HV_H
#define _LINUX_SAMPLE_HV_H

#include <linux/types.h>

enum hv_event {
	HV_EVENT_BALLOON_TARGET,	/* the host changed the balloon size */
	HV_EVENT_HINT,			/* a hinting round starts or ends */
	HV_EVENT_LOAN_TARGET,		/* the host changed the loan size */
	HV_EVENT_RESERVATION,		/* the host changed the reservation */
};

typedef void (*hv_event_fn)(void *data);

bool hv_present(void);
int hv_subscribe(enum hv_event event, hv_event_fn fn, void *data);
void hv_unsubscribe(enum hv_event event, void *data);

/* The balloon size the host asks for, in 4 KiB pages. */
unsigned long hv_balloon_target(void);
/* Whether the host takes 2 MiB chunks as well as 4 KiB pages. */
bool hv_chunks_supported(void);
/* Pages the host wants for the running hint round; 0 when none runs. */
unsigned int hv_hint_wanted(void);

int hv_pages_give(const unsigned long *pfns, unsigned int nr);
int hv_pages_take(const unsigned long *pfns, unsigned int nr);
int hv_range_give(unsigned long pfn, unsigned long nr_pages);
int hv_range_take(unsigned long pfn, unsigned long nr_pages);
int hv_page_hint(unsigned long pfn);

/*
 * Cooperative memory: the guest lends single pages to the host's pool and
 * gets them back one by one.  The host may refuse to give a page back for
 * a while; asking again later works.
 */
unsigned long hv_loan_target(void);
int hv_page_loan(unsigned long pfn);
int hv_page_unloan(unsigned long pfn);

/*
 * Memory reservation: the number of guest pages the host keeps backed.
 * Releasing a page shrinks the reservation by one, reclaiming grows it.
 */
unsigned long hv_reservation(void);
int hv_reservation_release(unsigned long pfn);
int hv_reservation_reclaim(unsigned long pfn);

#endif /* _LINUX_SAMPLE_HV_H */

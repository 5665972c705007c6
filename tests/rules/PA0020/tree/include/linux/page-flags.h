/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PAGE_FLAGS_FIXTURE_H
#define PAGE_FLAGS_FIXTURE_H

/*
 * Pages handed to a hypervisor by a balloon driver carry this type.
 */
#define PAGE_BALLOON_MAPCOUNT_VALUE	(-256)

#endif

// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA0030: suppressions must say why. */
#include <linux/mm.h>

static bool legacy_is_balloon(struct page *page)
{
	/* patchaudit: ignore PA1001 -- the 4.19 compat shim keeps the old name */	/* ok: PA0030 */
	return PageBalloon(page);
}

static bool legacy_is_balloon2(struct page *page)
{
	/* patchaudit: ignore PA1001 */	/* expect: PA0030 */
	return PageBalloon(page);
}

static bool legacy_is_balloon3(struct page *page)
{
	return PageBalloon(page); /* patchaudit: ignore removed-pageballoon -- */	/* expect: PA0030 */
}

/* The words patchaudit and ignore in prose are no marker. */	/* ok: PA0030 */

// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>

static int toy_count;

static int toy_get(void)
{
	return toy_count;
}

static void toy_put(int value)
{
	toy_count = value;
}

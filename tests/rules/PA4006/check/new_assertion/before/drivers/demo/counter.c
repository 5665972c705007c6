// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA4006: a patch adds contracts to helpers that existing callers break. */
#include <linux/spinlock.h>
#include <linux/mutex.h>

struct counter {
	spinlock_t lock;
	struct mutex wait_mutex;
	int n;
};

static void counter_bump(struct counter *c)
{
	c->n++;
}

static void counter_settle(struct counter *c)
{
	c->n = c->n;
}

static void counter_check(struct counter *c)
{
	c->n--;
}

void counter_add(struct counter *c)
{
	spin_lock(&c->lock);
	counter_bump(c);
	counter_settle(c);
	spin_unlock(&c->lock);
	counter_check(c);
}

void counter_reset(struct counter *c)
{
	counter_bump(c);
	spin_lock(&c->lock);
	c->n = 0;
	spin_unlock(&c->lock);
}

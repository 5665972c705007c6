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
	lockdep_assert_held(&c->lock);		/* expect: PA4006 */
	c->n++;
}

static void counter_settle(struct counter *c)
{
	might_sleep();				/* expect: PA4006 */
	c->n = c->n;
}

/* Its only caller calls it after the unlock: the new rule is kept. */
static void counter_check(struct counter *c)
{
	lockdep_assert_not_held(&c->lock);	/* ok: PA4006 */
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

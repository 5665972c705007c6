// SPDX-License-Identifier: GPL-2.0
/* Fixture for PA4006: a patch makes helpers take locks that callers hold, or stops taking one. */
#include <linux/spinlock.h>
#include <linux/mutex.h>

struct pool {
	spinlock_t lock;
	struct mutex resize_mutex;
	int free;
	int size;
};

static void pool_put(struct pool *p)
{
	spin_lock(&p->lock);			/* expect: PA4006 */
	p->free++;
	spin_unlock(&p->lock);
}

/* Caller must hold p->lock. */		/* expect: PA4006 */
static void pool_trim(struct pool *p)
{
	spin_lock(&p->lock);			/* expect: PA4006 */
	p->free = 0;
	spin_unlock(&p->lock);
}

/* Takes and releases p->resize_mutex. */	/* expect: PA4006 */
static void pool_grow(struct pool *p)
{
	p->size++;
}

/* Takes the lock itself only when its caller does not hold it. */
static void pool_count(struct pool *p, bool locked)
{
	if (!locked)
		spin_lock(&p->lock);		/* ok: PA4006 */
	p->free--;
	if (!locked)
		spin_unlock(&p->lock);
}

void pool_release(struct pool *p)
{
	spin_lock(&p->lock);
	pool_put(p);
	pool_trim(p);
	pool_count(p, true);
	spin_unlock(&p->lock);
	pool_grow(p);
}

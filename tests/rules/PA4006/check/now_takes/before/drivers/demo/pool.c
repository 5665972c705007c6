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
	p->free++;
}

/* Caller must hold p->lock. */
static void pool_trim(struct pool *p)
{
	p->free = 0;
}

/* Takes and releases p->resize_mutex. */
static void pool_grow(struct pool *p)
{
	mutex_lock(&p->resize_mutex);
	p->size++;
	mutex_unlock(&p->resize_mutex);
}

/* Takes the lock itself only when its caller does not hold it. */
static void pool_count(struct pool *p, bool locked)
{
	p->free--;
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

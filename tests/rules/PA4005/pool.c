// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4005: a documented lock hierarchy.
 *
 * Lock ordering:
 *
 *   pool->resize_mutex
 *     pool->lock
 *       slot->lock
 */
#include <linux/mutex.h>
#include <linux/spinlock.h>

struct slot {
	spinlock_t lock;
	int used;
};

struct pool {
	struct mutex resize_mutex;
	spinlock_t lock;
	struct slot slots[8];
};

void pool_take(struct pool *pool, struct slot *slot)
{
	spin_lock(&pool->lock);
	spin_lock(&slot->lock);			/* ok: PA4005 */
	slot->used = 1;
	spin_unlock(&slot->lock);
	spin_unlock(&pool->lock);
}

void pool_bad(struct pool *pool, struct slot *slot)
{
	spin_lock(&slot->lock);
	spin_lock(&pool->lock);			/* expect: PA4005 */
	spin_unlock(&pool->lock);
	spin_unlock(&slot->lock);
}

void pool_resize_bad(struct pool *pool, struct slot *slot)
{
	spin_lock(&slot->lock);
	slot->used = 0;
	spin_unlock(&slot->lock);
	spin_lock(&pool->lock);			/* ok: PA4005 */
	mutex_lock(&pool->resize_mutex);	/* expect: PA4005 */
	mutex_unlock(&pool->resize_mutex);
	spin_unlock(&pool->lock);
}

void pool_resize(struct pool *pool)
{
	mutex_lock(&pool->resize_mutex);
	spin_lock(&pool->lock);			/* ok: PA4005 */
	spin_unlock(&pool->lock);
	mutex_unlock(&pool->resize_mutex);
}

/* Nesting annotated: the author says the order is deliberate. */
void pool_nested(struct pool *pool, struct slot *slot)
{
	spin_lock(&slot->lock);
	spin_lock_nested(&pool->lock, SINGLE_DEPTH_NESTING);	/* ok: PA4005 */
	spin_unlock(&pool->lock);
	spin_unlock(&slot->lock);
}

/* The order broken through a call: the helper takes the outer lock. */
static void pool_grow(struct pool *pool)
{
	mutex_lock(&pool->resize_mutex);
	mutex_unlock(&pool->resize_mutex);
}

void pool_refill(struct pool *pool)
{
	spin_lock(&pool->lock);
	pool_grow(pool);			/* expect: PA4005 */
	spin_unlock(&pool->lock);
	pool_grow(pool);			/* ok: PA4005 */
}

/* Entered with the slot's lock, it drops it before it takes the pool's. */
static void pool_wait_slot(struct pool *pool, struct slot *slot)
{
	spin_unlock(&slot->lock);
	spin_lock(&pool->lock);
	pool->slots[0].used = 0;
	spin_unlock(&pool->lock);
}

void pool_drain(struct pool *pool, struct slot *slot)
{
	spin_lock(&slot->lock);
	pool_wait_slot(pool, slot);		/* ok: PA4005 */
}

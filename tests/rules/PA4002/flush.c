// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4002: a function that waits for its workers must not be
 * called with the lock its workers take.
 */
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/lockdep.h>

struct queue {
	struct mutex lock;
	spinlock_t stat_lock;
	int pending;
};

/**
 * queue_drain - wait until every queued request is done
 * @q: the queue
 *
 * Context: Process context. Must not be called with @q->lock held.
 */
static void queue_drain(struct queue *q)
{
	mutex_lock(&q->lock);
	q->pending = 0;
	mutex_unlock(&q->lock);
}

static void queue_stats(struct queue *q)
{
	lockdep_assert_not_held(&q->stat_lock);
	spin_lock(&q->stat_lock);
	spin_unlock(&q->stat_lock);
}

void queue_stop(struct queue *q)
{
	mutex_lock(&q->lock);
	q->pending = -1;
	queue_drain(q);				/* expect: PA4002 */
	mutex_unlock(&q->lock);
	queue_drain(q);				/* ok: PA4002 */
}

void queue_report(struct queue *q)
{
	spin_lock(&q->stat_lock);
	queue_stats(q);				/* expect: PA4002 */
	spin_unlock(&q->stat_lock);
	queue_stats(q);				/* ok: PA4002 */
}

/* Held on some paths only: not reported. */
void queue_maybe(struct queue *q, bool locked)
{
	if (locked)
		mutex_lock(&q->lock);
	queue_drain(q);				/* ok: PA4002 */
	if (locked)
		mutex_unlock(&q->lock);
}

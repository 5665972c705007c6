// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4001: a function that takes a lock through a helper tells
 * that its callers do not hold it, but only on the paths that reach the
 * helper. cmdq_commit() has two modes: with a NULL buffer its callers hold
 * cur_mutex since cmdq_reserve() and it returns before taking the lock.
 */
#include <linux/mutex.h>
#include <linux/lockdep.h>

struct cmdq {
	struct mutex cur_mutex;
	void *cur;
	int pos;
};

static void cmdq_unlock(struct cmdq *q)
{
	mutex_unlock(&q->cur_mutex);
}

/* Commits into the current buffer and drops cur_mutex, taken by the reserve. */
static void cmdq_commit_cur(struct cmdq *q, int size)
{
	lockdep_assert_held(&q->cur_mutex);
	q->pos += size;
	cmdq_unlock(q);
}

static int cmdq_lock(struct cmdq *q, bool interruptible)
{
	if (interruptible) {
		if (mutex_lock_interruptible(&q->cur_mutex))
			return -ERESTARTSYS;
	} else {
		mutex_lock(&q->cur_mutex);
	}
	return 0;
}

void cmdq_commit(struct cmdq *q, int size, void *buf)
{
	if (!buf) {
		cmdq_commit_cur(q, size);	/* ok: PA4001 */
		return;
	}
	(void)cmdq_lock(q, false);
	q->cur = buf;
	q->pos = size;
	cmdq_unlock(q);
}

void cmdq_restart(struct cmdq *q, int size)
{
	cmdq_commit_cur(q, size);		/* expect: PA4001 */
	(void)cmdq_lock(q, false);
	q->pos = 0;
	cmdq_unlock(q);
}

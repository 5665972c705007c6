// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4004: a list head documented as protected by a lock is a
 * member too; putting an entry on it changes it.
 */
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/slab.h>

struct job {
	struct list_head node;
};

struct runner {
	spinlock_t lock;
	struct list_head pending;	/* protected by lock */
};

void runner_submit(struct runner *r, struct job *job)
{
	spin_lock(&r->lock);
	list_add_tail(&job->node, &r->pending);	/* ok: PA4004 */
	spin_unlock(&r->lock);
}

void runner_requeue(struct runner *r, struct job *job)
{
	spin_lock(&r->lock);
	spin_unlock(&r->lock);
	list_add(&job->node, &r->pending);	/* expect: PA4004 */
}

struct runner *runner_create(void)
{
	struct runner *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return NULL;
	spin_lock_init(&r->lock);
	INIT_LIST_HEAD(&r->pending);
	return r;
}

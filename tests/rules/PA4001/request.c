// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4001: a helper that keeps a lock on one of its returns
 * (it creates a request, whose timeline mutex stays held until the request
 * is added) changes its callers' state in a way they cannot know, even
 * when its own entry state is unknown: after it, the mutex is not "not held",
 * though the thread that calls it starts with nothing held.
 */
#include <linux/mutex.h>
#include <linux/lockdep.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/kthread.h>

struct timeline {
	struct mutex mutex;
	u32 seqno;
};

struct request {
	struct timeline *tl;
};

struct work {
	struct request *req;
	struct timeline *tl;
};

/* Adds the request and drops its timeline's mutex, held since the create. */
void request_add(struct request *rq)
{
	lockdep_assert_held(&rq->tl->mutex);
	rq->tl->seqno++;
	mutex_unlock(&rq->tl->mutex);
}

struct request *request_create(struct timeline *tl)
{
	struct request *rq;

	mutex_lock(&tl->mutex);
	rq = kzalloc(sizeof(*rq), GFP_KERNEL);
	if (!rq) {
		mutex_unlock(&tl->mutex);
		return ERR_PTR(-ENOMEM);
	}
	rq->tl = tl;
	return rq;
}

/* Creates the work's request unless it has one: 0 both ways. */
static int work_req_alloc(struct work *w, struct timeline *tl)
{
	struct request *rq;

	if (w->req)
		return 0;
	rq = request_create(tl);
	if (IS_ERR(rq))
		return PTR_ERR(rq);
	w->req = rq;
	return 0;
}

static void work_dispatch(struct work *w, struct timeline *tl)
{
	if (work_req_alloc(w, tl))
		return;
	request_add(w->req);			/* ok: PA4001 */
}

static int work_thread(void *data)
{
	struct work *w = data;

	work_dispatch(w, w->tl);
	return 0;
}

void work_start(struct work *w)
{
	kthread_run(work_thread, w, "work");
}

void work_retire(struct work *w, struct timeline *tl)
{
	mutex_lock(&tl->mutex);
	tl->seqno = 0;
	mutex_unlock(&tl->mutex);
	request_add(w->req);			/* expect: PA4001 */
}

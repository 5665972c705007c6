// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4001: a request made by a helper that returns with its
 * timeline's mutex held unless it returns an error pointer. The function
 * that adds the request has no lock call of its own: the helper's result,
 * tested with IS_ERR(), is all that says the mutex is held.
 */
#include <linux/mutex.h>
#include <linux/lockdep.h>
#include <linux/err.h>

struct timeline {
	struct mutex mutex;
	int seqno;
};

struct request {
	struct timeline *tl;
};

static void request_add(struct request *rq)
{
	lockdep_assert_held(&rq->tl->mutex);
	rq->tl->seqno++;
}

static struct request *request_create(struct timeline *tl, struct request *rq)
{
	if (mutex_lock_interruptible(&tl->mutex))
		return ERR_PTR(-EINTR);
	rq->tl = tl;
	return rq;
}

static int request_emit(struct timeline *tl, struct request *slot)
{
	struct request *rq = request_create(tl, slot);

	if (IS_ERR(rq))
		return PTR_ERR(rq);
	request_add(rq);			/* ok: PA4001 */
	return 0;
}

static int request_emit_unchecked(struct timeline *tl, struct request *slot)
{
	request_add(slot);			/* expect: PA4001 */
	return 0;
}

int timeline_kick(struct timeline *tl, struct request *slot)
{
	mutex_lock(&tl->mutex);
	tl->seqno = 0;
	mutex_unlock(&tl->mutex);
	request_emit_unchecked(tl, slot);
	return request_emit(tl, slot);
}

/*
 * A second timeline of the same class, locked and unlocked while the
 * request's is held: all timelines are one lockdep class, and unlocking
 * the second leaves the first held.
 */
static int request_wrap(struct timeline *other, struct timeline *tl, struct request *slot)
{
	struct request *rq = request_create(tl, slot);

	if (IS_ERR(rq))
		return PTR_ERR(rq);
	mutex_lock_nested(&other->mutex, SINGLE_DEPTH_NESTING);
	other->seqno = -4;
	mutex_unlock(&other->mutex);
	request_add(rq);			/* ok: PA4001 */
	return 0;
}

/* Both released: the class is not held any more. */
static void timeline_pair(struct timeline *a, struct timeline *b, struct request *rq)
{
	mutex_lock(&a->mutex);
	mutex_lock_nested(&b->mutex, SINGLE_DEPTH_NESTING);
	b->seqno = a->seqno;
	mutex_unlock(&b->mutex);
	request_add(rq);			/* ok: PA4001 */
	mutex_unlock(&a->mutex);
	request_add(rq);			/* expect: PA4001 */
}

int timeline_wrap(struct timeline *other, struct timeline *tl, struct request *slot)
{
	timeline_pair(other, tl, slot);
	return request_wrap(other, tl, slot);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4001: callees state the locks their callers hold, in
 * code (lockdep_assert_held) and in words (kernel-doc Context:, comments).
 */
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/lockdep.h>
#include <linux/list.h>

struct widget {
	spinlock_t lock;
	struct mutex update_mutex;
	struct list_head items;
	int count;
};

static void widget_count_locked(struct widget *w)
{
	lockdep_assert_held(&w->lock);
	w->count++;
}

/**
 * widget_refresh - redo the widget's view of its items
 * @w: the widget
 *
 * Context: Process context. Must be called with @w->update_mutex held.
 */
static void widget_refresh(struct widget *w)
{
	w->count = 0;
}

/* Caller must hold w->lock. */
static void widget_drop_items(struct widget *w)
{
	INIT_LIST_HEAD(&w->items);
}

void widget_good(struct widget *w)
{
	spin_lock(&w->lock);
	widget_count_locked(w);			/* ok: PA4001 */
	widget_drop_items(w);			/* ok: PA4001 */
	spin_unlock(&w->lock);

	mutex_lock(&w->update_mutex);
	widget_refresh(w);			/* ok: PA4001 */
	mutex_unlock(&w->update_mutex);
}

/* Called after the unlock. */
void widget_bad(struct widget *w)
{
	spin_lock(&w->lock);
	w->count = 0;
	spin_unlock(&w->lock);
	widget_count_locked(w);			/* expect: PA4001 */
	mutex_lock(&w->update_mutex);
	mutex_unlock(&w->update_mutex);
	widget_refresh(w);			/* expect: PA4001 */
}

/* Called before the function takes the lock itself. */
void widget_bad_early(struct widget *w)
{
	widget_drop_items(w);			/* expect: PA4001 */
	spin_lock(&w->lock);
	widget_count_locked(w);			/* ok: PA4001 */
	spin_unlock(&w->lock);
}

/* A static helper whose only caller holds nothing. */
static void widget_helper_unlocked(struct widget *w)
{
	widget_count_locked(w);			/* expect: PA4001 */
}

void widget_outer(struct widget *w)
{
	widget_helper_unlocked(w);
	mutex_lock(&w->update_mutex);
	mutex_unlock(&w->update_mutex);
	spin_lock(&w->lock);
	spin_unlock(&w->lock);
}

/* Guards take and release the lock around their scope. */
void widget_guarded(struct widget *w)
{
	scoped_guard(spinlock, &w->lock)
		widget_count_locked(w);		/* ok: PA4001 */
	guard(mutex)(&w->update_mutex);
	widget_refresh(w);			/* ok: PA4001 */
}

/* A trylock holds the lock only where it succeeded. */
void widget_try(struct widget *w)
{
	if (!spin_trylock(&w->lock))
		return;
	widget_count_locked(w);			/* ok: PA4001 */
	spin_unlock(&w->lock);
}

/* Held on some paths only: not reported (counted as partial). */
void widget_sometimes(struct widget *w, bool locked)
{
	if (locked)
		spin_lock(&w->lock);
	widget_count_locked(w);			/* ok: PA4001 */
	if (locked)
		spin_unlock(&w->lock);
}

/* Only called below, with the lock held: the caller's caller holds it. */
static void widget_step(struct widget *w)
{
	widget_count_locked(w);			/* ok: PA4001 */
}

void widget_walk(struct widget *w)
{
	spin_lock(&w->lock);
	widget_step(w);
	spin_unlock(&w->lock);
}

/* Exported without a stated context: its callers are unknown, never "not held". */
void widget_exported_step(struct widget *w)
{
	widget_count_locked(w);			/* ok: PA4001 */
}
EXPORT_SYMBOL_GPL(widget_exported_step);

/* Takes the lock unless the caller holds it already: held on return either way. */
static inline void widget_lock_unless(struct widget *w, bool held)
{
	if (!held)
		spin_lock(&w->lock);
	lockdep_assert_held(&w->lock);
}

static inline void widget_unlock_unless(struct widget *w, bool held)
{
	lockdep_assert_held(&w->lock);
	if (!held)
		spin_unlock(&w->lock);
}

void widget_conditional(struct widget *w, bool held)
{
	widget_lock_unless(w, held);		/* ok: PA4001 */
	widget_count_locked(w);			/* ok: PA4001 */
	widget_unlock_unless(w, held);		/* ok: PA4001 */
}

/*
 * A notifier callback runs with what its chain's caller holds (netdevice
 * notifiers under RTNL): its entry is unknown, never "nothing held".
 */
static struct widget the_widget;

static int widget_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	widget_count_locked(&the_widget);	/* ok: PA4001 */
	return 0;
}

static struct notifier_block widget_nb = {
	.notifier_call = widget_event,
};

/*
 * A member that points to a lock: which lock it is (here the timeline's own)
 * is set at run time, so holding it cannot be seen by class.
 */
struct widget_fence {
	spinlock_t *lock;
	unsigned long seqno;
};

struct widget_timeline {
	spinlock_t lock;
	struct widget_fence fence;
	struct work_struct work;
};

static void widget_fence_signal_locked(struct widget_fence *f)
{
	lockdep_assert_held(f->lock);
	f->seqno++;
}

/* A work item: it starts with nothing held, and takes the lock the fence points to. */
static void widget_timeline_work(struct work_struct *work)
{
	struct widget_timeline *tl = container_of(work, struct widget_timeline, work);

	spin_lock(&tl->lock);
	widget_fence_signal_locked(&tl->fence);	/* ok: PA4001 */
	spin_unlock(&tl->lock);
}

void widget_timeline_init(struct widget_timeline *tl)
{
	tl->fence.lock = &tl->lock;
	INIT_WORK(&tl->work, widget_timeline_work);
}

/* A seqlock's writers hold it between write_seqlock() and write_sequnlock(). */
struct widget_stats {
	seqlock_t seq;
	u64 bytes;
};

/* Must be called with st->seq held for writing. */
static void widget_stats_add(struct widget_stats *st, u64 n)
{
	st->bytes += n;
}

void widget_stats_account(struct widget_stats *st, u64 n)
{
	write_seqlock(&st->seq);
	widget_stats_add(st, n);		/* ok: PA4001 */
	write_sequnlock(&st->seq);
	widget_stats_add(st, n);		/* expect: PA4001 */
}

/* Takes the lock itself: its callers cannot hold it. */
static void widget_count_unlocked(struct widget *w)
{
	spin_lock(&w->lock);
	widget_count_locked(w);			/* ok: PA4001 */
	spin_unlock(&w->lock);
}

/* Callers holding w->lock say so with 'locked': a flag the analysis cannot follow. */
void widget_publish(struct widget *w, bool locked)
{
	if (locked)
		widget_count_locked(w);		/* ok: PA4001 */
	else
		widget_count_unlocked(w);
}

/* The flag as an enumeration, compared (lpfc's locked == MBOX_THD_LOCKED). */
enum widget_ctx { WIDGET_UNLOCKED, WIDGET_LOCKED };

void widget_publish_ctx(struct widget *w, enum widget_ctx locked)
{
	if (locked == WIDGET_LOCKED)
		widget_count_locked(w);		/* ok: PA4001 */
	else
		widget_count_unlocked(w);
}

/* The same shape with a flag that says nothing of the lock. */
void widget_publish_fast(struct widget *w, bool fast)
{
	if (fast)
		widget_count_locked(w);		/* expect: PA4001 */
	else
		widget_count_unlocked(w);
}

/*
 * Helpers that return holding the mutex when they succeed: the result's
 * test decides. widget_lock_interruptible() gives 0 or -EINTR,
 * widget_lock_view() the locked widget or ERR_PTR(), widget_begin() passes
 * widget_lock_view()'s locked result on and unlocks on its own failure.
 */
static int widget_lock_interruptible(struct widget *w)
{
	return mutex_lock_interruptible(&w->update_mutex);
}

static struct widget *widget_lock_view(struct widget *w, bool parent)
{
	int err;

	if (parent)
		err = mutex_lock_interruptible_nested(&w->update_mutex, 0);
	else
		err = mutex_lock_interruptible(&w->update_mutex);
	if (err)
		return ERR_PTR(err);
	return w;
}

static struct widget *widget_begin(struct widget *w, int n)
{
	struct widget *v;

	v = widget_lock_view(w, n > 1);
	if (IS_ERR(v))
		return ERR_CAST(v);
	if (n < 0)
		goto err_unlock;
	return v;

err_unlock:
	mutex_unlock(&w->update_mutex);
	return v;
}

/* Passes widget_begin()'s result on untested: held when it is no error. */
static struct widget *widget_begin_one(struct widget *w)
{
	struct widget *v;

	v = widget_begin(w, 1);
	return v;
}

int widget_refresh_one(struct widget *w)
{
	struct widget *v = widget_begin_one(w);

	if (IS_ERR(v))
		return PTR_ERR(v);
	widget_refresh(v);			/* ok: PA4001 */
	mutex_unlock(&v->update_mutex);
	widget_refresh(w);			/* expect: PA4001 */
	return 0;
}

int widget_refresh_interruptible(struct widget *w)
{
	int err;

	err = widget_lock_interruptible(w);
	if (err)
		return err;
	widget_refresh(w);			/* ok: PA4001 */
	mutex_unlock(&w->update_mutex);
	return 0;
}

int widget_refresh_view(struct widget *w, int n)
{
	struct widget *v = widget_begin(w, n);

	if (IS_ERR(v))
		return PTR_ERR(v);
	widget_refresh(v);			/* ok: PA4001 */
	mutex_unlock(&v->update_mutex);
	widget_refresh(w);			/* expect: PA4001 */
	return 0;
}

/**
 * widget_lock_all() - take the widget's update mutex
 * @w: the widget
 *
 * The update_mutex must be held for any change of the widget's view, including
 * its teardown.
 */
static void widget_lock_all(struct widget *w)
{
	mutex_lock(&w->update_mutex);
}

void widget_change(struct widget *w)
{
	mutex_lock(&w->update_mutex);
	w->count++;
	mutex_unlock(&w->update_mutex);
	widget_lock_all(w);			/* ok: PA4001 */
	widget_refresh(w);			/* ok: PA4001 */
	mutex_unlock(&w->update_mutex);
}

/*
 * "The lock" resolves to the one lock of the struct the function is about,
 * but a function that drops and retakes another lock to wait means that
 * one: not judged.
 */
struct widget_pool {
	struct mutex pool_mutex;
	struct widget *w;
};

/*
 * widget_pool_drain - wait for the pool's widget to go idle
 * @pool: the pool
 *
 * Should be entered with lock held. Exits with lock held.
 */
static void widget_pool_drain(struct widget_pool *pool)
{
	struct widget *w = pool->w;

	while (w->count) {
		spin_unlock_irq(&w->lock);
		cpu_relax();
		spin_lock_irq(&w->lock);
	}
}

void widget_pool_reset(struct widget_pool *pool)
{
	struct widget *w = pool->w;

	mutex_lock(&pool->pool_mutex);
	mutex_unlock(&pool->pool_mutex);
	spin_lock_irq(&w->lock);
	widget_pool_drain(pool);		/* ok: PA4001 */
	spin_unlock_irq(&w->lock);
}

/* Should be called with lock held. */
static void widget_pool_gather(struct widget_pool *pool)
{
	pool->w->count = 0;
}

void widget_pool_collect(struct widget_pool *pool)
{
	struct widget *w = pool->w;

	mutex_lock(&pool->pool_mutex);
	mutex_unlock(&pool->pool_mutex);
	spin_lock_irq(&w->lock);
	widget_pool_gather(pool);		/* ok: PA4001 */
	spin_unlock_irq(&w->lock);
	widget_pool_gather(pool);		/* expect: PA4001 */
}

/* A word "lock" inside the condition is no flag: only a whole operand is. */
void widget_scan(struct widget *w, struct widget *lock)
{
	spin_lock(&w->lock);
	spin_unlock(&w->lock);
	if (lock->count)
		widget_count_locked(w);		/* expect: PA4001 */
}

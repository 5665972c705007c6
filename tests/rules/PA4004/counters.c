// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4004: members documented as protected by a lock.
 */
#include <linux/spinlock.h>
#include <linux/slab.h>

struct meter {
	spinlock_t lock;
	unsigned long hits;	/* protected by lock */
	unsigned long misses;	/* protected by lock */
	int id;			/* set once at creation */
};

void meter_hit(struct meter *m)
{
	spin_lock(&m->lock);
	m->hits++;				/* ok: PA4004 */
	spin_unlock(&m->lock);
}

void meter_miss(struct meter *m)
{
	m->misses++;				/* expect: PA4004 */
	spin_lock(&m->lock);
	m->hits = 0;				/* ok: PA4004 */
	spin_unlock(&m->lock);
	m->hits = 1;				/* expect: PA4004 */
}

void meter_rename(struct meter *m, int id)
{
	m->id = id;				/* ok: PA4004 */
}

/* Nobody else can see the object before it is returned. */
struct meter *meter_make(int id)
{
	struct meter *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return NULL;
	spin_lock_init(&m->lock);
	m->hits = 0;				/* ok: PA4004 */
	m->id = id;
	return m;
}

/* Construction and teardown functions are not judged. */
void meter_init(struct meter *m)
{
	m->hits = 0;				/* ok: PA4004 */
	m->misses = 0;				/* ok: PA4004 */
}

/* Held on some paths only: not reported. */
void meter_sometimes(struct meter *m, bool locked)
{
	if (locked)
		spin_lock(&m->lock);
	m->misses = 0;				/* ok: PA4004 */
	if (locked)
		spin_unlock(&m->lock);
}

/* Fresh until another object is put in the same variable. */
void meter_pick(struct meter *shared, bool reuse)
{
	struct meter *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return;
	m->hits = 1;				/* ok: PA4004 */
	if (reuse) {
		kfree(m);
		m = shared;
	}
	spin_lock(&m->lock);
	m->hits++;				/* ok: PA4004 */
	spin_unlock(&m->lock);
	m->misses = 2;				/* expect: PA4004 */
}

/* Called only while the meter is being set up: no one else can see it yet. */
static void meter_load(struct meter *m)
{
	spin_lock(&m->lock);
	spin_unlock(&m->lock);
	m->hits = 10;				/* ok: PA4004 */
}

int meter_setup(struct meter *m)
{
	meter_load(m);
	return 0;
}

/* The same shape, called from a function that runs on a live meter. */
static void meter_reload(struct meter *m)
{
	spin_lock(&m->lock);
	spin_unlock(&m->lock);
	m->hits = 10;				/* expect: PA4004 */
}

void meter_refresh(struct meter *m)
{
	meter_reload(m);
}

/*
 * The function says why it goes without the lock: its own words are a
 * reason the analysis cannot check, so no finding. A comment about
 * another lock, or one that does not say so, changes nothing.
 */
void meter_rollover(struct meter *m)
{
	spin_lock(&m->lock);
	spin_unlock(&m->lock);
	/*
	 * Note, we do not lock 'm->lock': the meter is quiesced while it
	 * rolls over and nobody else counts.
	 */
	m->hits = 0;				/* ok: PA4004 */
}

void meter_rollover_racy(struct meter *m)
{
	spin_lock(&m->lock);
	spin_unlock(&m->lock);
	/* The lock must be taken by whoever reads the counts. */
	m->misses = 0;				/* expect: PA4004 */
	/* We do not take the stats_mutex here. */
	m->hits = 0;				/* expect: PA4004 */
}

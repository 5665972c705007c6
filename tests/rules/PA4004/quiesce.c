// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4004: a member documented as protected by two locks. The
 * waiter sets it under both; the completion side holds one of them, which
 * is enough to serialise with the waiter. A write with neither is reported,
 * and so is one with a single lock to a member whose text needs both.
 */
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/completion.h>

struct radio {
	struct mutex fw_mutex;
	spinlock_t tx_lock;
	/* drain completion, protected by fw_mutex and tx_lock */
	struct completion *drained;
	int pending;
	/* Must hold fw_mutex and tx_lock to change. */
	unsigned int mode;
};

void radio_wait_drained(struct radio *r, struct completion *done)
{
	mutex_lock(&r->fw_mutex);
	spin_lock_bh(&r->tx_lock);
	r->drained = done;			/* ok: PA4004 */
	spin_unlock_bh(&r->tx_lock);
	wait_for_completion(done);
	spin_lock_bh(&r->tx_lock);
	r->drained = NULL;			/* ok: PA4004 */
	spin_unlock_bh(&r->tx_lock);
	mutex_unlock(&r->fw_mutex);
}

void radio_tx_done(struct radio *r)
{
	spin_lock(&r->tx_lock);
	if (r->drained && !--r->pending) {
		complete(r->drained);
		r->drained = NULL;		/* ok: PA4004 */
	}
	spin_unlock(&r->tx_lock);
}

/* Process context: counts under fw_mutex, then clears under tx_lock alone. */
void radio_flush(struct radio *r)
{
	mutex_lock(&r->fw_mutex);
	r->pending = 0;
	mutex_unlock(&r->fw_mutex);
	spin_lock_bh(&r->tx_lock);
	r->drained = NULL;			/* ok: PA4004 */
	spin_unlock_bh(&r->tx_lock);
}

void radio_reset(struct radio *r)
{
	mutex_lock(&r->fw_mutex);
	spin_lock_bh(&r->tx_lock);
	r->pending = 0;
	spin_unlock_bh(&r->tx_lock);
	mutex_unlock(&r->fw_mutex);
	r->drained = NULL;			/* expect: PA4004 */
}

void radio_set_mode(struct radio *r, unsigned int mode)
{
	mutex_lock(&r->fw_mutex);
	spin_lock_bh(&r->tx_lock);
	r->mode = mode;				/* ok: PA4004 */
	spin_unlock_bh(&r->tx_lock);
	r->mode |= 1;				/* expect: PA4004 */
	mutex_unlock(&r->fw_mutex);
}

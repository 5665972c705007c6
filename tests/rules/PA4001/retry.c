// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4001: an assertion that only a goto reaches states what
 * that path needs, not what every caller must hold.
 */
#include <linux/spinlock.h>
#include <linux/lockdep.h>

struct chan {
	spinlock_t rx_lock;
	spinlock_t tx_lock;
	int credits;
	int nak;
};

static int chan_reserve(struct chan *c)
{
	return c->credits > 0 ? 0 : -EAGAIN;
}

/* Sends a NAK when the receive path runs out of credits; only the receive
 * path, which holds rx_lock, asks for that. */
static void chan_refill(struct chan *c, bool from_rx)
{
	int ret;

	lockdep_assert_held(&c->tx_lock);
	ret = chan_reserve(c);
	if (ret == -EAGAIN && from_rx)
		goto send_nak;
	return;

send_nak:
	lockdep_assert_held(&c->rx_lock);
	c->nak = 1;
}

void chan_kick(struct chan *c)
{
	spin_lock(&c->rx_lock);
	c->nak = 0;
	spin_unlock(&c->rx_lock);
	spin_lock(&c->tx_lock);
	chan_refill(c, false);			/* ok: PA4001 */
	spin_unlock(&c->tx_lock);
}

void chan_kick_late(struct chan *c)
{
	spin_lock(&c->tx_lock);
	c->credits++;
	spin_unlock(&c->tx_lock);
	chan_refill(c, false);			/* expect: PA4001 */
}

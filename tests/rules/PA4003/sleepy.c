// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture for PA4003: sleeping calls in atomic context, direct and through
 * helpers whose text or code says they sleep.
 */
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include <linux/interrupt.h>

/* As <linux/slab.h> defines it: its flags decide, not its body. */
static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

struct port {
	spinlock_t lock;
	struct mutex cfg_mutex;
	void *buf;
	int state;
};

/**
 * port_reconfigure - apply a new configuration
 * @p: the port
 *
 * Context: Process context. May sleep.
 */
static void port_reconfigure(struct port *p)
{
	p->state = 2;
}

/* Sleeps on its straight line: mutex_lock() always runs. */
static void port_apply(struct port *p)
{
	mutex_lock(&p->cfg_mutex);
	p->state = 1;
	mutex_unlock(&p->cfg_mutex);
}

/* Sleeps only when asked to: not a sleeping function. */
static void port_maybe_wait(struct port *p, bool wait)
{
	if (wait)
		msleep(10);
}

void port_bad(struct port *p)
{
	spin_lock(&p->lock);
	p->buf = kmalloc(64, GFP_KERNEL);	/* expect: PA4003 */
	port_reconfigure(p);			/* expect: PA4003 */
	port_apply(p);				/* expect: PA4003 */
	spin_unlock(&p->lock);
}

void port_rcu_bad(struct port *p)
{
	rcu_read_lock();
	msleep(1);				/* expect: PA4003 */
	rcu_read_unlock();
}

void port_good(struct port *p)
{
	void *buf = kmalloc(64, GFP_KERNEL);	/* ok: PA4003 */

	spin_lock(&p->lock);
	p->buf = kmalloc(64, GFP_ATOMIC);	/* ok: PA4003 */
	port_maybe_wait(p, false);		/* ok: PA4003 */
	spin_unlock(&p->lock);
	port_apply(p);				/* ok: PA4003 */
	kfree(buf);
}

/* The lock is dropped around the sleeping call. */
void port_drop_around(struct port *p)
{
	spin_lock(&p->lock);
	p->state = 0;
	spin_unlock(&p->lock);
	port_reconfigure(p);			/* ok: PA4003 */
	spin_lock(&p->lock);
	p->state = 3;
	spin_unlock(&p->lock);
}

/* A mutex is not atomic context. */
void port_under_mutex(struct port *p)
{
	mutex_lock(&p->cfg_mutex);
	port_reconfigure(p);			/* ok: PA4003 */
	mutex_unlock(&p->cfg_mutex);
}

/* An interrupt handler runs in atomic context. */
static irqreturn_t port_irq(int irq, void *data)
{
	struct port *p = data;

	port_reconfigure(p);			/* expect: PA4003 */
	return IRQ_HANDLED;
}

int port_setup(struct port *p, int irq)
{
	return request_irq(irq, port_irq, 0, "port", p);
}

/* Drops the RCU read lock its caller holds before it sleeps. */
static void port_wait_unlocked(struct port *p)
{
	rcu_read_unlock();
	mutex_lock(&p->cfg_mutex);
	mutex_unlock(&p->cfg_mutex);
	rcu_read_lock();
}

void port_scan(struct port *p)
{
	rcu_read_lock();
	port_wait_unlocked(p);			/* ok: PA4003 */
	rcu_read_unlock();
}

/* An allocation that cannot sleep, through a wrapper of the same file. */
void port_refill(struct port *p)
{
	spin_lock(&p->lock);
	p->buf = kzalloc(64, GFP_NOWAIT | __GFP_NOWARN);	/* ok: PA4003 */
	spin_unlock(&p->lock);
}

/*
 * Allocates a frame with the caller's flags. May sleep.
 * (It sleeps only when the flags allow it: the caller's GFP_ATOMIC says not.)
 */
static void *port_alloc_frame(struct port *p, size_t len, gfp_t gfp)
{
	return kmalloc(len, gfp);
}

/* Handed GFP_ATOMIC, the helper is asked for its non-sleeping path. */
void port_send_atomic(struct port *p)
{
	spin_lock(&p->lock);
	p->buf = port_alloc_frame(p, 64, GFP_ATOMIC);	/* ok: PA4003 */
	spin_unlock(&p->lock);
}

void port_send(struct port *p)
{
	spin_lock(&p->lock);
	p->buf = port_alloc_frame(p, 64, GFP_KERNEL);	/* expect: PA4003 */
	spin_unlock(&p->lock);
}

/*
 * Stated to run in atomic context, yet its own body waits for a mutex on
 * every path: the statement is about something else (a callback it is
 * handed, a threaded handler), and is not taken as its context.
 */
/**
 * port_poll_events - poll the port's event ring
 * @p: the port
 *
 * This is called from the interrupt handler.
 */
void port_poll_events(struct port *p)
{
	mutex_lock(&p->cfg_mutex);		/* ok: PA4003 */
	port_reconfigure(p);			/* ok: PA4003 */
	mutex_unlock(&p->cfg_mutex);
}

/* Stated so, and nothing in its body sleeps on every path: taken at its word. */
/**
 * port_ack_events - acknowledge the port's events
 * @p: the port
 * @reset: whether to reset the port too
 *
 * This is called from the interrupt handler.
 */
void port_ack_events(struct port *p, bool reset)
{
	p->state = 0;
	if (reset)
		port_reconfigure(p);		/* expect: PA4003 */
}

void port_defer_free(const void *addr);
void port_free_pages(const void *addr);

/* Behaves as mm/vmalloc.c's: in interrupt context it defers the freeing. */
void vfree(const void *addr)
{
	if (in_interrupt()) {
		port_defer_free(addr);
		return;
	}
	might_sleep();
	port_free_pages(addr);
}

struct port_timer {
	struct timer_list timer;
	spinlock_t lock;
	void *table;
};

/* A timer callback runs in softirq context, where vfree() defers. */
static void port_timer_fn(struct timer_list *t)
{
	struct port_timer *pt = from_timer(pt, t, timer);

	vfree(pt->table);			/* ok: PA4003 */
	spin_lock(&pt->lock);
	vfree(pt->table);			/* expect: PA4003 */
	spin_unlock(&pt->lock);
}

void port_timer_start(struct port_timer *pt)
{
	timer_setup(&pt->timer, port_timer_fn, 0);
}

/*
 * User accesses sleep only to fault the page in: with page faults disabled
 * they fail instead. A "_inatomic" helper's callers disabled them.
 */
static int port_peek_inatomic(struct port *p, u32 __user *uaddr, u32 *val)
{
	int ret;

	spin_lock(&p->lock);
	ret = get_user(*val, uaddr);		/* ok: PA4003 */
	spin_unlock(&p->lock);
	return ret;
}

int port_peek(struct port *p, u32 __user *uaddr, u32 *val)
{
	int ret;

	pagefault_disable();
	spin_lock(&p->lock);
	ret = get_user(*val, uaddr);		/* ok: PA4003 */
	spin_unlock(&p->lock);
	pagefault_enable();
	if (!ret)
		ret = port_peek_inatomic(p, uaddr, val);
	spin_lock(&p->lock);
	ret = put_user(*val, uaddr);		/* expect: PA4003 */
	spin_unlock(&p->lock);
	return ret;
}

/*
 * A helper entered under spin_lock_irq() that drops the lock with
 * spin_unlock_irq() on every path: interrupts are on after it, whatever
 * they were before.
 */
static int port_queue_wait(struct port *p)
	__releases(&p->lock)
{
	if (!p->buf) {
		spin_unlock_irq(&p->lock);
		return -EINVAL;
	}
	p->state = 1;
	spin_unlock_irq(&p->lock);
	return 0;
}

int port_read(struct port *p)
{
	int ret;

	spin_lock_irq(&p->lock);
	ret = port_queue_wait(p);
	msleep(1);				/* ok: PA4003 */
	spin_lock_irq(&p->lock);
	p->state = 0;
	msleep(1);				/* expect: PA4003 */
	spin_unlock_irq(&p->lock);
	return ret;
}

/*
 * A wait helper that unlocks the lock it is handed before it schedules:
 * the caller's lock is not held over the sleep, though the analysis
 * cannot name the lock it drops.
 */
static inline void port_wait(wait_queue_head_t *wq, spinlock_t *lock)
	__releases(lock)
{
	DECLARE_WAITQUEUE(wait, current);

	add_wait_queue_exclusive(wq, &wait);
	__set_current_state(TASK_UNINTERRUPTIBLE);
	spin_unlock(lock);
	schedule();
	remove_wait_queue(wq, &wait);
}

struct port_queue {
	spinlock_t qlock;
	wait_queue_head_t wait;
	int ready;
};

void port_queue_sync(struct port_queue *q)
{
	spin_lock(&q->qlock);
	while (!q->ready) {
		port_wait(&q->wait, &q->qlock);	/* ok: PA4003 */
		spin_lock(&q->qlock);
	}
	schedule();				/* expect: PA4003 */
	spin_unlock(&q->qlock);
}

/*
 * schedule_preempt_disabled()'s shape: entered with preemption disabled,
 * it enables it to schedule and disables it again.
 */
static void port_schedule_preempted(void)
{
	sched_preempt_enable_no_resched();
	schedule();
	preempt_disable();
}

void port_park(struct port *p)
{
	preempt_disable();
	while (p->state)
		port_schedule_preempted();	/* ok: PA4003 */
	preempt_enable();
}

/*
 * Two ports' locks, one class: unlocking the peer's leaves the port's own
 * held, so the sleep after it is still under a spinlock.
 */
void port_link(struct port *p, struct port *peer)
{
	spin_lock(&p->lock);
	spin_lock_nested(&peer->lock, SINGLE_DEPTH_NESTING);
	peer->state = p->state;
	spin_unlock(&peer->lock);
	port_apply(p);				/* expect: PA4003 */
	spin_unlock(&p->lock);
	port_apply(peer);			/* ok: PA4003 */
}

/* And the led_blink_set_nosleep() shape: stated not to sleep, though it calls one that may. */

/**
 * port_kick - restart the port
 * @p: the port
 *
 * This function may sleep!
 */
void port_kick(struct port *p)
{
	p->state = 0;
}

/**
 * port_kick_nosleep - restart the port, guaranteed to not sleep
 * @p: the port
 *
 * This restarts the port and is guaranteed to not sleep: a port whose
 * restart blocks is handed to the work queue.
 */
void port_kick_nosleep(struct port *p)
{
	if (p->state > 1) {
		p->state = 3;
		return;
	}
	port_kick(p);
}

void port_kick_atomic(struct port *p)
{
	spin_lock(&p->lock);
	port_kick_nosleep(p);			/* ok: PA4003 */
	port_kick(p);				/* expect: PA4003 */
	spin_unlock(&p->lock);
}

/* Elsewhere: drops the port's lock and accounts the drop. */
void port_drop(struct port *p);

/*
 * Drops the port's lock (through a helper the analysis cannot see into),
 * then waits: its callers hold the lock, not an atomic context of its own.
 */
static void port_unlock_and_apply(struct port *p)
	__releases(&p->lock)
{
	port_drop(p);
	port_apply(p);
}

void port_handover(struct port *p)
{
	spin_lock(&p->lock);
	port_unlock_and_apply(p);		/* ok: PA4003 */
}

/* Under the RCU read lock as well: dropping the port's lock leaves that one. */
void port_handover_rcu(struct port *p)
{
	rcu_read_lock();
	spin_lock(&p->lock);
	port_unlock_and_apply(p);		/* expect: PA4003 */
	rcu_read_unlock();
}

/* As mm.h has it: unlocks the second argument. */
#define port_unmap_unlock(map, ptl)	do { spin_unlock(ptl); (void)(map); } while (0)

struct port_fault {
	spinlock_t *ptl;
	struct port *port;
};

/*
 * Entered with the fault's lock held (not annotated: only its callers say
 * so); every path drops it, the last one with pte_unmap_unlock() before the
 * call that sleeps.
 */
static int port_fault_copy(struct port_fault *f)
{
	if (f->port->state) {
		spin_unlock(f->ptl);
		return 0;
	}
	pte_unmap_unlock(NULL, f->ptl);
	port_apply(f->port);
	return 1;
}

int port_fault_handle(struct port_fault *f)
{
	spin_lock(f->ptl);
	return port_fault_copy(f);		/* ok: PA4003 */
}

/* Sets the port's mode; waits for the hardware only when its caller may sleep. */
static void port_set_mode(struct port *p, bool may_sleep)
{
	p->state = 5;
	if (!may_sleep)
		return;
	port_apply(p);
}

/* Passes its own flag on. */
static void port_set_mode_flag(struct port *p, int blocking)
{
	port_set_mode(p, blocking);
}

void port_xmit(struct port *p)
{
	spin_lock(&p->lock);
	port_set_mode(p, false);		/* ok: PA4003 */
	port_set_mode_flag(p, 0);		/* ok: PA4003 */
	port_set_mode(p, true);			/* expect: PA4003 */
	port_set_mode_flag(p, 1);		/* expect: PA4003 */
	spin_unlock(&p->lock);
}

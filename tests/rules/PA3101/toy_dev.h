/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A toy device header. Without the .c file that implements it in view, page
 * flags its comments name (PageReserved) are not judged. /* ok: PA3101 */
#ifndef _TOY_DEV_H
#define _TOY_DEV_H
#include <linux/spinlock.h>

struct toy_dev {
	spinlock_t lock;
	unsigned long flags;
};

/*
 * toy_dev_set - set flag bits of a toy device
 * @dev: the device
 * @bits: the bits to set
 *
 * Caller must hold dev->list_lock. /* expect: PA3101 */
static inline void toy_dev_set(struct toy_dev *dev, unsigned long bits)
{
	dev->flags |= bits;
}

/*
 * toy_dev_get - read the flags of a toy device
 * @dev: the device
 *
 * Caller must hold dev->lock. /* ok: PA3101 */
static inline unsigned long toy_dev_get(struct toy_dev *dev)
{
	return dev->flags;
}

#endif /* _TOY_DEV_H */

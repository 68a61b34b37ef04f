/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_ORDER_H
#define _PORTSEL_ORDER_H

#include <linux/types.h>

#include "policy.h"
#include "range.h"

/*
 * The order in which one connect() tries candidate ports: at most two
 * passes, each an arithmetic progression base + step * ((start + k) % count)
 * for k = 0 .. count - 1. No port is produced twice and every port of the
 * passes is produced once, so a pass is a permutation of its ports.
 */
struct portsel_pass {
	u16 base;
	u8 step;
	u32 count;
	u32 start;
};

struct portsel_order {
	struct portsel_pass pass[2];
	unsigned int npass;
	unsigned int cur;	/* pass being produced */
	u32 k;			/* ports produced in that pass */
};

void portsel_order_init(struct portsel_order *o, enum portsel_policy policy,
			const struct portsel_range *r, u32 start,
			bool reserve_odd, bool skip_preferred);
bool portsel_order_next(struct portsel_order *o, u16 *port);

/* The pass the port produced last belongs to: 0 or 1. */
static inline unsigned int portsel_order_pass(const struct portsel_order *o)
{
	return o->cur;
}

#endif /* _PORTSEL_ORDER_H */

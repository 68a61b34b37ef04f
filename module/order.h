/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_ORDER_H
#define _PORTSEL_ORDER_H

#include <linux/types.h>

#include "range.h"

/*
 * The order in which one connect() tries candidate ports: at most two
 * passes, each producing base + step * ((start + k * stride) % count) for
 * k = 0 .. count - 1, with stride coprime to count. No port is produced
 * twice and every port of the passes is produced once, so a pass is a
 * permutation of its ports. Policies pick a shape, not an algorithm:
 * linear (one pass, stride 1), parity (one pass per parity) or permuted
 * (one pass, any coprime stride).
 */
struct portsel_pass {
	u16 base;
	u8 step;
	u32 count;
	u32 start;
	u32 stride;
};

struct portsel_order {
	struct portsel_pass pass[2];
	unsigned int npass;
	unsigned int cur;	/* pass being produced */
	u32 k;			/* ports produced in that pass */
	u32 slot;		/* the last one's slot */
};

void portsel_order_linear(struct portsel_order *o,
			  const struct portsel_range *r, u32 start,
			  bool reserve_odd);
void portsel_order_parity(struct portsel_order *o,
			  const struct portsel_range *r, u32 start,
			  bool reserve_odd, bool other_first);
void portsel_order_permuted(struct portsel_order *o,
			    const struct portsel_range *r, u32 start,
			    u32 stride, bool reserve_odd);
u32 portsel_order_coprime(u32 count, u32 rnd);
u32 portsel_order_scan_step(u32 count, u32 width, u32 rnd);
void portsel_order_step_width(struct portsel_order *o, u32 width, u32 rnd);
bool portsel_order_next(struct portsel_order *o, u16 *port);

/*
 * The next stride portsel_order_scan_step() considers after @s: s + 1,
 * or s + 2 when that would be even with @count even (never coprime). The
 * skip spares a gcd() and changes no result; it is Linux's rule, kept so
 * that the two stay easy to compare.
 */
static inline u32 portsel_order_step_next(u32 s, u32 count)
{
	s++;
	if (!(s & 1) && !(count & 1))
		s++;
	return s;
}

/* The pass the port produced last belongs to: 0 or 1. */
static inline unsigned int portsel_order_pass(const struct portsel_order *o)
{
	return o->cur;
}

#endif /* _PORTSEL_ORDER_H */

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

static inline void portsel_order_start(struct portsel_order *o)
{
	o->npass = 0;
	o->cur = 0;
	o->k = 0;
	o->slot = 0;
}

static inline void portsel_pass_add(struct portsel_order *o, u16 base,
				    u8 step, u32 count, u32 start, u32 stride)
{
	struct portsel_pass *p = &o->pass[o->npass++];

	p->base = base;
	p->step = step;
	p->count = count;
	p->start = count ? start % count : 0;
	p->stride = count ? stride % count : 0;
}

/**
 * portsel_order_parity - one parity, then the other, in steps of 2
 * @o: the order to fill
 * @r: the effective range
 * @start: where to begin, as an offset from @r->low (any value; reduced
 *	here), rounded down to the preferred parity; the other parity
 *	resumes next to it, as the kernel's second pass does
 * @reserve_odd: the preferred parity alone
 * @other_first: the other parity first and the preferred one last
 *	(even-first, when the preferred parity is known to be full)
 *
 * Inline: even-first orders every connect with it.
 */
static inline void portsel_order_parity(struct portsel_order *o,
					const struct portsel_range *r,
					u32 start, bool reserve_odd,
					bool other_first)
{
	u32 slot = start % portsel_range_size(r) / 2;
	u32 pref = portsel_range_preferred(r);
	u32 other = portsel_range_other(r);

	portsel_order_start(o);
	if (reserve_odd) {
		if (!other_first)
			portsel_pass_add(o, r->low, 2, pref, slot, 1);
		return;
	}
	if (other_first) {
		portsel_pass_add(o, r->low + 1, 2, other, slot, 1);
		portsel_pass_add(o, r->low, 2, pref, slot, 1);
	} else {
		portsel_pass_add(o, r->low, 2, pref, slot, 1);
		portsel_pass_add(o, r->low + 1, 2, other, slot, 1);
	}
}

/*
 * The first port portsel_order_parity() would produce, without building
 * the order (even-first's common case: at low occupancy that port is
 * free, and the connect ends there). False when the order is empty.
 */
static inline bool portsel_order_parity_first(const struct portsel_range *r,
					      u32 start, bool reserve_odd,
					      bool other_first, u16 *port)
{
	u32 slot = start % portsel_range_size(r) / 2;
	u32 other = portsel_range_other(r);

	if (other_first && reserve_odd)
		return false;
	/* an empty pass produces nothing: the next one comes first */
	if (other_first && other) {
		*port = r->low + 1 + 2 * (slot % other);
		return true;
	}
	*port = r->low + 2 * (slot % portsel_range_preferred(r));
	return true;
}

void portsel_order_linear(struct portsel_order *o,
			  const struct portsel_range *r, u32 start,
			  bool reserve_odd);
void portsel_order_permuted(struct portsel_order *o,
			    const struct portsel_range *r, u32 start,
			    u32 stride, bool reserve_odd);
u32 portsel_order_coprime(u32 count, u32 rnd);
u32 portsel_order_scan_step(u32 count, u32 width, u32 rnd);
void portsel_order_step_width_apply(struct portsel_order *o, u32 width,
				    u32 rnd);

/*
 * Linux 7.1's random scan step for each pass of @o, when @width
 * (net.portsel.step_width) is set; 0 leaves @o as it is.
 */
static inline void portsel_order_step_width(struct portsel_order *o,
					    u32 width, u32 rnd)
{
	if (width)
		portsel_order_step_width_apply(o, width, rnd);
}

/**
 * portsel_order_next - the next candidate
 * @o: the order
 * @port: the candidate, when one is left
 *
 * Inline: the policies' loops call it for every candidate.
 *
 * Return: false once every port of every pass has been produced.
 */
static inline bool portsel_order_next(struct portsel_order *o, u16 *port)
{
	const struct portsel_pass *p;

	while (o->cur < o->npass) {
		p = &o->pass[o->cur];
		if (o->k < p->count) {
			if (!o->k++) {
				o->slot = p->start;
			} else {
				o->slot += p->stride;
				if (o->slot >= p->count)
					o->slot -= p->count;
			}
			*port = p->base + p->step * o->slot;
			return true;
		}
		o->cur++;
		o->k = 0;
	}
	return false;
}

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

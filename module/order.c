// SPDX-License-Identifier: GPL-2.0
/*
 * Candidate order: which ports one connect() tries, and in what order.
 *
 * Every policy walks a range as one or two arithmetic progressions. Slots
 * rather than ports are counted so that the top port of a range with an
 * odd number of ports is a slot like any other: the kernel's own loop
 * rounds the size down to even and never offers that port to connect().
 */

#include "order.h"

static void portsel_pass_set(struct portsel_pass *p, u16 base, u8 step,
			     u32 count, u32 start)
{
	p->base = base;
	p->step = step;
	p->count = count;
	p->start = count ? start % count : 0;
}

/**
 * portsel_order_init - lay out the candidate order of one connect()
 * @o: the order to fill
 * @policy: a portsel policy (not %PORTSEL_KERNEL)
 * @r: the effective range
 * @start: where to begin, as an offset from @r->low (any value; reduced here)
 * @reserve_odd: leave the other parity to bind(0)
 * @skip_preferred: even-first only: the preferred parity is known to be
 *	full, so try the other parity first and the preferred one last
 */
void portsel_order_init(struct portsel_order *o, enum portsel_policy policy,
			const struct portsel_range *r, u32 start,
			bool reserve_odd, bool skip_preferred)
{
	u32 size = portsel_range_size(r);
	u32 pref = portsel_range_preferred(r);
	u32 other = portsel_range_other(r);
	struct portsel_pass pp, po;

	start %= size;
	o->npass = 0;
	o->cur = 0;
	o->k = 0;

	if (policy != PORTSEL_EVEN_FIRST) {
		/* sequential and random walk the whole range in step 1 */
		if (reserve_odd)
			portsel_pass_set(&o->pass[o->npass++], r->low, 2,
					 pref, start / 2);
		else
			portsel_pass_set(&o->pass[o->npass++], r->low, 1,
					 size, start);
		return;
	}

	/*
	 * even-first: start on the preferred parity, at the slot holding
	 * start rounded down to that parity; the other parity resumes next to
	 * it, as the kernel's second pass does.
	 */
	portsel_pass_set(&pp, r->low, 2, pref, start / 2);
	portsel_pass_set(&po, r->low + 1, 2, other, start / 2);

	if (reserve_odd) {
		if (!skip_preferred)
			o->pass[o->npass++] = pp;
		return;
	}
	if (skip_preferred) {
		o->pass[o->npass++] = po;
		o->pass[o->npass++] = pp;
	} else {
		o->pass[o->npass++] = pp;
		o->pass[o->npass++] = po;
	}
}

/**
 * portsel_order_next - the next candidate
 * @o: the order
 * @port: the candidate, when one is left
 *
 * Return: false once every port of every pass has been produced.
 */
bool portsel_order_next(struct portsel_order *o, u16 *port)
{
	const struct portsel_pass *p;
	u32 slot;

	while (o->cur < o->npass) {
		p = &o->pass[o->cur];
		if (o->k < p->count) {
			slot = p->start + o->k++;
			if (slot >= p->count)
				slot -= p->count;
			*port = p->base + p->step * slot;
			return true;
		}
		o->cur++;
		o->k = 0;
	}
	return false;
}

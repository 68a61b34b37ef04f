// SPDX-License-Identifier: GPL-2.0
/*
 * Candidate order: which ports one connect() tries, and in what order.
 *
 * Every policy walks a range as one or two arithmetic progressions. Slots
 * rather than ports are counted so that the top port of a range with an
 * odd number of ports is a slot like any other: the kernel's own loop
 * rounds the size down to even and never offers that port to connect().
 */

#include <linux/gcd.h>
#include <linux/minmax.h>

#include "order.h"

/**
 * portsel_order_linear - every port from @start on, wrapping
 * @o: the order to fill
 * @r: the effective range
 * @start: where to begin, as an offset from @r->low (any value; reduced here)
 * @reserve_odd: only the preferred parity, from the slot at or below @start
 */
void portsel_order_linear(struct portsel_order *o,
			  const struct portsel_range *r, u32 start,
			  bool reserve_odd)
{
	portsel_order_start(o);
	start %= portsel_range_size(r);
	if (reserve_odd)
		portsel_pass_add(o, r->low, 2, portsel_range_preferred(r),
				 start / 2, 1);
	else
		portsel_pass_add(o, r->low, 1, portsel_range_size(r), start, 1);
}

/**
 * portsel_order_permuted - every port once, @stride slots apart
 * @o: the order to fill
 * @r: the effective range
 * @start: the first slot (any value; reduced here)
 * @stride: coprime to the number of slots (portsel_order_coprime())
 * @reserve_odd: the slots are the preferred parity's ports alone
 */
void portsel_order_permuted(struct portsel_order *o,
			    const struct portsel_range *r, u32 start,
			    u32 stride, bool reserve_odd)
{
	portsel_order_start(o);
	if (reserve_odd)
		portsel_pass_add(o, r->low, 2, portsel_range_preferred(r),
				 start, stride);
	else
		portsel_pass_add(o, r->low, 1, portsel_range_size(r), start,
				 stride);
}

/**
 * portsel_order_coprime - a stride for portsel_order_permuted()
 * @count: the number of slots
 * @rnd: random bits
 *
 * Return: a number in 1..@count - 1 coprime to @count, drawn from @rnd
 * (the first coprime one at or after it); 1 when @count is below 3.
 */
u32 portsel_order_coprime(u32 count, u32 rnd)
{
	u32 s;

	if (count < 3)
		return 1;
	s = 1 + rnd % (count - 1);
	while (gcd(s, count) != 1)
		s = s + 1 < count ? s + 1 : 1;
	return s;
}

/**
 * portsel_order_scan_step - Linux 7.1's random scan step for one pass
 * @count: the number of slots of the pass (the kernel's remaining / step)
 * @width: net.portsel.step_width, the largest step drawn; 0 = off
 * @rnd: random bits
 *
 * The rule of the kernel's ip_local_port_step_width (7da62262ec96): a
 * step drawn in 1..min(@count, @width), moved up while it shares a factor
 * with @count (portsel_order_step_next()), and 1 should it pass that
 * bound. A stride coprime to @count visits every slot of the pass once,
 * so the pass stays a permutation; what changes is which slot follows a
 * busy or reserved one: with steps of 1, every start inside a reserved
 * block leads to the same port after it.
 *
 * Return: the stride in slots (the pass's step of 2 ports for a parity
 * makes it the kernel's scan_step * step); 1 when @width is 0 or the
 * pass has fewer than 2 slots.
 */
u32 portsel_order_scan_step(u32 count, u32 width, u32 rnd)
{
	u32 bound, s;

	if (!width || count < 2)
		return 1;
	bound = min(count, width);
	/* 1..bound from 32 random bits, as get_random_u32_inclusive() */
	s = 1 + (u32)(((u64)rnd * bound) >> 32);
	while (gcd(s, count) != 1) {
		s = portsel_order_step_next(s, count);
		if (s > bound)
			return 1;
	}
	return s;
}

/**
 * portsel_order_step_width_apply - give each pass of @o Linux's random scan step
 * @o: an order from portsel_order_linear() or portsel_order_parity()
 * @width: net.portsel.step_width, not 0
 * @rnd: random bits, one draw for every pass
 *
 * Each pass keeps its start and gets the stride portsel_order_scan_step()
 * draws for its own count. The kernel's two parity passes have the same
 * count; here they differ by one in a range with an odd number of ports
 * (whose top port portsel offers and the kernel does not), and each pass
 * gets a stride coprime to its own count, from the same draw.
 */
void portsel_order_step_width_apply(struct portsel_order *o, u32 width,
				    u32 rnd)
{
	unsigned int i;

	for (i = 0; i < o->npass; i++) {
		struct portsel_pass *p = &o->pass[i];

		if (p->count)
			p->stride = portsel_order_scan_step(p->count, width,
							    rnd) % p->count;
	}
}

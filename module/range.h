/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_RANGE_H
#define _PORTSEL_RANGE_H

#include <linux/types.h>

/*
 * An inclusive range of local ports. The "preferred parity" is the parity
 * of @low, as in the kernel: connect() starts there and bind(0) starts on
 * the other one.
 */
struct portsel_range {
	u16 low;
	u16 high;
};

/**
 * portsel_range_narrow - apply a socket's IP_LOCAL_PORT_RANGE
 * @r: the netns range on entry, the effective range on return
 * @sk_lo: the low end of the socket's IP_LOCAL_PORT_RANGE (0 when unset)
 * @sk_hi: its high end (0 when unset)
 *
 * Each bound is taken only when it lies inside the range narrowed so far,
 * the low one first: the order and the test are those of the kernel's
 * inet_sk_get_local_port_range(), so portsel and the kernel agree on
 * which ports a socket may use.
 */
static inline void portsel_range_narrow(struct portsel_range *r, u16 sk_lo,
					u16 sk_hi)
{
	if (r->low <= sk_lo && sk_lo <= r->high)
		r->low = sk_lo;
	if (r->low <= sk_hi && sk_hi <= r->high)
		r->high = sk_hi;
}

static inline u32 portsel_range_size(const struct portsel_range *r)
{
	return (u32)r->high - r->low + 1;
}

/* Ports of the low end's parity: low, low + 2, ... (the top port included). */
static inline u32 portsel_range_preferred(const struct portsel_range *r)
{
	return (portsel_range_size(r) + 1) / 2;
}

/* Ports of the other parity: low + 1, low + 3, ... */
static inline u32 portsel_range_other(const struct portsel_range *r)
{
	return portsel_range_size(r) / 2;
}

static inline bool portsel_port_preferred(const struct portsel_range *r,
					  u16 port)
{
	return ((port ^ r->low) & 1) == 0;
}

#endif /* _PORTSEL_RANGE_H */

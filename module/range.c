// SPDX-License-Identifier: GPL-2.0
/*
 * Local port range arithmetic.
 */

#include "range.h"

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
void portsel_range_narrow(struct portsel_range *r, u16 sk_lo, u16 sk_hi)
{
	if (r->low <= sk_lo && sk_lo <= r->high)
		r->low = sk_lo;
	if (r->low <= sk_hi && sk_hi <= r->high)
		r->high = sk_hi;
}

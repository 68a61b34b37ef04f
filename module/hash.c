// SPDX-License-Identifier: GPL-2.0
/*
 * The tuple a connect() is hashed over.
 */

#include <linux/socket.h>
#include <linux/string.h>

#include "hash.h"

static void portsel_tuple_init(struct portsel_tuple *t, u32 netns,
			       u16 family, __be16 dport)
{
	memset(t, 0, sizeof(*t));
	t->netns = netns;
	t->family = family;
	t->dport = dport;
}

void portsel_tuple_v4(struct portsel_tuple *t, u32 netns, __be32 saddr,
		      __be32 daddr, __be16 dport)
{
	portsel_tuple_init(t, netns, AF_INET, dport);
	t->saddr.s6_addr32[0] = saddr;
	t->daddr.s6_addr32[0] = daddr;
}

void portsel_tuple_v6(struct portsel_tuple *t, u32 netns,
		      const struct in6_addr *saddr,
		      const struct in6_addr *daddr, __be16 dport)
{
	portsel_tuple_init(t, netns, AF_INET6, dport);
	t->saddr = *saddr;
	t->daddr = *daddr;
}

/* The rest of the key: port space, device, effective range, reserve_odd. */
void portsel_tuple_scope(struct portsel_tuple *t, u8 proto, int dev,
			 u16 low, u16 high, bool reserve_odd)
{
	t->proto = proto;
	t->dev = dev;
	t->low = low;
	t->high = high;
	t->reserve_odd = reserve_odd;
}

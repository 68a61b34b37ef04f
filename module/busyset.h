/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_BUSYSET_H
#define _PORTSEL_BUSYSET_H

#include <linux/bitops.h>
#include <linux/in6.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>

struct inet_hashinfo;
struct net;
struct sock;
struct sock_common;

/*
 * The local ports of a range that live sockets (not TIME_WAIT) hold
 * towards one destination, as the policy core reads them: bit i stands
 * for port @low + i. The core only reads it; module/busyset.c fills it.
 */
struct portsel_busyset {
	const unsigned long *map;	/* NULL: nothing known */
	u16 low;
	u16 high;
};

/* A destination: the 4-tuple less the local port, and what scopes it. */
struct portsel_busy_dest {
	struct in6_addr saddr;		/* IPv4: in s6_addr32[3] */
	struct in6_addr daddr;
	__be16 dport;
	u8 proto;
	bool v6;
	int bound_dev_if;
};

/*
 * A busy set kept for the connects after the one that walked: one per
 * netns, in struct portsel_net. Once @ready, bits are only ever cleared,
 * by the release of their port, so every bit set stands for a port that a
 * live socket holds now; a port taken since may be missing, and is then
 * asked of the kernel. Releases reach only the set in the netns' slot: one
 * replaced there is @dead, its bits all cleared, so that a connect still
 * holding it asks the kernel about every port. Freed by RCU once the netns
 * and every connect using it have dropped their reference.
 */
struct portsel_busy_cache {
	refcount_t ref;
	bool ready;			/* the walk is done */
	bool dead;			/* out of the slot: releases go elsewhere */
	unsigned long born;		/* jiffies of the walk */
	struct portsel_busy_dest dest;
	struct rcu_head rcu;
	u16 low;
	u16 high;
	unsigned long map[];
};

void portsel_busy_dest_of(struct portsel_busy_dest *d,
			  const struct sock_common *skc, u8 proto);
struct portsel_busy_cache *
portsel_busy_get(struct portsel_busy_cache __rcu **slot,
		 const struct portsel_busy_dest *d, unsigned long now);
struct portsel_busy_cache *
portsel_busy_walk(struct portsel_busy_cache __rcu **slot,
		  const struct portsel_busy_dest *d, struct net *net,
		  struct inet_hashinfo *hashinfo, const struct sock *sk,
		  int sdif, u16 low, u16 high, unsigned long now);
void portsel_busy_taken(struct portsel_busy_cache *c, struct sock *sk);
void portsel_busy_released(struct portsel_busy_cache __rcu **slot,
			   const struct sock_common *skc, u8 proto);
void portsel_busy_put(struct portsel_busy_cache *c);
void portsel_busy_drop(struct portsel_busy_cache __rcu **slot);
unsigned int portsel_busyset_walk_after(const struct inet_hashinfo *hashinfo);

/* The core's view of a cache, or of nothing. */
static inline void portsel_busyset_view(struct portsel_busyset *b,
					const struct portsel_busy_cache *c)
{
	b->map = c ? c->map : NULL;
	b->low = c ? c->low : 0;
	b->high = c ? c->high : 0;
}

static inline bool portsel_busyset_has(const struct portsel_busyset *b,
				       u16 port)
{
	return port >= b->low && port <= b->high &&
	       test_bit(port - b->low, b->map);
}

#endif /* _PORTSEL_BUSYSET_H */

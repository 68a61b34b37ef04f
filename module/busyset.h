/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_BUSYSET_H
#define _PORTSEL_BUSYSET_H

#include <linux/bitops.h>
#include <linux/types.h>

struct inet_hashinfo;
struct net;
struct sock;

/*
 * The local ports of a range that live sockets (not TIME_WAIT) hold
 * towards one destination, as one walk of the established hash found
 * them (module/busyset.c; the policy core only reads the set). Bit i
 * stands for port @low + i.
 */
struct portsel_busyset {
	unsigned long *map;	/* NULL until filled */
	u16 low;
	u16 high;
};

int portsel_busyset_fill(struct portsel_busyset *b, struct net *net,
			 struct inet_hashinfo *hashinfo, const struct sock *sk,
			 int sdif, u16 low, u16 high);
void portsel_busyset_free(struct portsel_busyset *b);
unsigned int portsel_busyset_walk_after(const struct inet_hashinfo *hashinfo);

static inline bool portsel_busyset_has(const struct portsel_busyset *b,
				       u16 port)
{
	return port >= b->low && port <= b->high &&
	       test_bit(port - b->low, b->map);
}

#endif /* _PORTSEL_BUSYSET_H */

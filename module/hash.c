// SPDX-License-Identifier: GPL-2.0
/*
 * The tuple a connect() is hashed over.
 */

#include <linux/jhash.h>
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

/**
 * portsel_ef_hash - even-first's hash of a connect's key
 * @port_offset: the kernel's hash of the connect's addresses and remote
 *	port, as passed to __inet_hash_connect()
 * @t: the rest of the key; its addresses and salt are not read
 * @salt: even-first's re-salt epoch
 * @key: portsel's per-boot key
 *
 * The caller of __inet_hash_connect() has hashed the addresses and the
 * remote port already: secure_ipv{4,6}_port_ephemeral(), SipHash with the
 * kernel's secret, re-salted every 10 s. A second SipHash over the same
 * addresses would cost a connect about 300 instructions. What the kernel
 * leaves out (netns, protocol, device, effective range, reserve_odd and
 * our own epoch) only has to keep keys apart, so keyed jhash words cover
 * it, each half over every part, so that the table index (low bits) and
 * the start offset and tag (high 32 bits) both change with any of them.
 * Both halves stay as unpredictable as the kernel's own.
 *
 * Return: the hash, split as portsel_hash()'s.
 */
u64 portsel_ef_hash(u64 port_offset, const struct portsel_tuple *t, u32 salt,
		    const siphash_key_t *key)
{
	u32 range = (u32)t->low << 16 | t->high;
	u32 kind = (u32)t->proto << 24 | (u32)t->family << 8 | t->reserve_odd;
	u32 lo, hi;

	lo = jhash_3words(t->netns, t->dev, range, (u32)key->key[1]);
	hi = jhash_3words(salt, kind, lo, (u32)(key->key[1] >> 32));
	/* and the low half again, now that the high one has every part */
	lo = jhash_2words(lo, hi, (u32)key->key[1]);
	return port_offset ^ ((u64)hi << 32 | lo);
}

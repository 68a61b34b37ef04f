/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_HASH_H
#define _PORTSEL_HASH_H

#include <linux/hash.h>
#include <linux/in6.h>
#include <linux/siphash.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/types.h>

/*
 * What the keyed hash of a connect() covers: everything that decides which
 * of its ports are free. The port space (the protocol's hash tables), the
 * bound device (an l3mdev or the socket's own, which also carries an IPv6
 * scope) and the effective range join the addresses, so that even-first's
 * memory of a full parity, keyed by this hash, never speaks for another
 * socket. IPv4 addresses sit in the first word of the in6_addr; the
 * family keeps them apart from IPv6 ones. Laid out without holes and
 * aligned for siphash(), so the hash sees only the fields, never stale
 * padding.
 */
struct portsel_tuple {
	u32 netns;		/* net->ns.inum */
	u16 family;
	__be16 dport;
	struct in6_addr saddr;
	struct in6_addr daddr;
	u32 salt;		/* re-salt epoch, 0 for none */
	s32 dev;		/* sk_bound_dev_if */
	u16 low;		/* the effective range */
	u16 high;
	u8 proto;		/* IPPROTO_TCP or IPPROTO_DCCP */
	u8 reserve_odd;
	u16 zero;
} __aligned(SIPHASH_ALIGNMENT);

static inline void portsel_tuple_init(struct portsel_tuple *t, u32 netns,
				      u16 family, __be16 dport)
{
	memset(t, 0, sizeof(*t));
	t->netns = netns;
	t->family = family;
	t->dport = dport;
}

/* The key of a connect over IPv4, without its scope (below). */
static inline void portsel_tuple_v4(struct portsel_tuple *t, u32 netns,
				    __be32 saddr, __be32 daddr, __be16 dport)
{
	portsel_tuple_init(t, netns, AF_INET, dport);
	t->saddr.s6_addr32[0] = saddr;
	t->daddr.s6_addr32[0] = daddr;
}

/* The key of a connect over IPv6, without its scope. */
static inline void portsel_tuple_v6(struct portsel_tuple *t, u32 netns,
				    const struct in6_addr *saddr,
				    const struct in6_addr *daddr, __be16 dport)
{
	portsel_tuple_init(t, netns, AF_INET6, dport);
	t->saddr = *saddr;
	t->daddr = *daddr;
}

/* The rest of the key: port space, device, effective range, reserve_odd. */
static inline void portsel_tuple_scope(struct portsel_tuple *t, u8 proto,
				       int dev, u16 low, u16 high,
				       bool reserve_odd)
{
	t->proto = proto;
	t->dev = dev;
	t->low = low;
	t->high = high;
	t->reserve_odd = reserve_odd;
}

static inline u64 portsel_hash(const struct portsel_tuple *t,
			       const siphash_key_t *key)
{
	return siphash(t, sizeof(*t), key);
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
 * kernel's secret. A second SipHash over the same addresses would cost a
 * connect about 300 instructions, and even jhash's mixing about 50. What
 * the kernel leaves out (netns, protocol, device, effective range,
 * reserve_odd and our own epoch) only has to keep keys apart, and it is
 * combined with port_offset, whose bits pass through unchanged: the table
 * index (low 32 bits) and the start offset and tag (high 32) stay as
 * unpredictable as the kernel's own.
 *
 * The parts fill two words, mixed by multiplications with an odd constant
 * and xor-shifts, each a bijection of 64-bit words: with either word
 * fixed, the hash is a bijection of the other, so two keys that differ in
 * one part (another device, range, family...) never get the same 64 bits,
 * and never share a bucket's word under one tag. The kind and the epoch
 * share 32 bits: within one epoch two keys differ there exactly when
 * their kinds do, and keys of different epochs never meet (a mark lives
 * inside its epoch). Inline: every even-first connect computes it.
 *
 * Return: the hash, split as portsel_hash()'s.
 */
static inline u64 portsel_ef_hash(u64 port_offset,
				  const struct portsel_tuple *t, u32 salt,
				  const siphash_key_t *key)
{
	u32 kind = (u32)t->proto << 24 | (u32)t->family << 8 | t->reserve_odd;
	u64 a = ((u64)t->netns << 32 | (u32)t->dev) ^ key->key[1];
	u64 b = (u64)((u32)t->low << 16 | t->high) << 32 | (kind ^ salt);
	u64 h;

	h = (a * GOLDEN_RATIO_64 ^ b) * GOLDEN_RATIO_64;
	/* the high bits' changes down into the index's low ones */
	h ^= h >> 29;
	h *= GOLDEN_RATIO_64;
	h ^= h >> 32;
	return port_offset ^ h;
}

static inline u32 portsel_hash_offset(u64 hash)
{
	return hash >> 32;
}

#endif /* _PORTSEL_HASH_H */

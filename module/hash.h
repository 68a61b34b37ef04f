/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_HASH_H
#define _PORTSEL_HASH_H

#include <linux/in6.h>
#include <linux/siphash.h>
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

void portsel_tuple_v4(struct portsel_tuple *t, u32 netns, __be32 saddr,
		      __be32 daddr, __be16 dport);
void portsel_tuple_v6(struct portsel_tuple *t, u32 netns,
		      const struct in6_addr *saddr,
		      const struct in6_addr *daddr, __be16 dport);
void portsel_tuple_scope(struct portsel_tuple *t, u8 proto, int dev,
			 u16 low, u16 high, bool reserve_odd);

/*
 * The table index comes from the low bits and the start offset from the
 * high 32 bits, so the two are independent (RFC 6056 Alg. 4 wants two
 * hashes; one 64-bit siphash split in halves gives them, as Linux does).
 */
static inline u64 portsel_hash(const struct portsel_tuple *t,
			       const siphash_key_t *key)
{
	return siphash(t, sizeof(*t), key);
}

u64 portsel_ef_hash(u64 port_offset, const struct portsel_tuple *t, u32 salt,
		    const siphash_key_t *key);

static inline u32 portsel_hash_offset(u64 hash)
{
	return hash >> 32;
}

#endif /* _PORTSEL_HASH_H */

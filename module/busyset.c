// SPDX-License-Identifier: GPL-2.0
/*
 * The busy set: one walk of the established hash that tells, for a whole
 * range, which local ports are held towards a connect's destination.
 *
 * A scan through busy ports asks about each one: the lockless lookup
 * hashes the 4-tuple and reads one chain per port, the kernel takes two
 * locks as well. A walk of every chain costs a few instructions per empty
 * chain and a comparison per socket, whatever the number of ports: once a
 * connect has met enough busy ports that the rest of its scan is likely to
 * cost more than the walk, it walks once and answers every later busy
 * port from a bitmap.
 *
 * Like the lookup, the set only ever says "busy" for a port a live socket
 * with the connect's 4-tuple held when the walk passed it. A socket that
 * comes or moves chains during the walk may be missed: its port is then
 * asked of the kernel, which decides every port actually taken. TIME_WAIT
 * sockets are left out, for the kernel may recycle them.
 */

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "busyset.h"

/*
 * Costs in instructions, measured under instruction counting (make bench,
 * part probe): a busy port that the lookup answers, and a chain of the
 * walk, empty or not. A socket of the destination costs the walk about a
 * third of a lookup, and each one it finds spares one: that part always
 * pays. The chains are the price of the walk whatever it finds, so a
 * connect first spends as much on lookups (rent, then buy: the scan
 * costs at most about twice the better choice, whatever comes next).
 */
#define PORTSEL_BUSYSET_LOOKUP_COST		400
#define PORTSEL_BUSYSET_CHAIN_COST		9
#define PORTSEL_BUSYSET_MIN_PROBES		16
/* a connect meets at most every port once, and a range is 16 bits */
#define PORTSEL_BUSYSET_WALK_AFTER_MAX		65536
/* chains read per RCU read-side section, and between reschedule points */
#define PORTSEL_BUSYSET_CHUNK			256

/*
 * What a socket of the established hash must match: the connect's 4-tuple
 * less the local port, and its bound device, as check_established() does.
 */
struct portsel_dest {
	struct net *net;
	const struct sock *sk;
	int dif;
	int sdif;
	__addrpair cookie;
	bool v6;
};

/*
 * 0: from the size of the table, as above. Another value is taken as it
 * is, the test VM's 2 making every scan that meets two busy ports walk.
 * Never 1: even-first starts watching port releases for its memory at a
 * connect's first busy port, and a set filled before that could miss a
 * release and mark a key full that is not; from the second busy port on,
 * a walk sees what any probe after the watch would.
 */
static unsigned int busy_walk_after;

static int portsel_walk_after_set(const char *val,
				  const struct kernel_param *kp)
{
	unsigned int n;
	int err;

	err = kstrtouint(val, 0, &n);
	if (err)
		return err;
	if (n == 1 || n > PORTSEL_BUSYSET_WALK_AFTER_MAX)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, n);
	return 0;
}

static const struct kernel_param_ops portsel_walk_after_ops = {
	.set = portsel_walk_after_set,
	.get = param_get_uint,
};

module_param_cb(busy_walk_after, &portsel_walk_after_ops, &busy_walk_after,
		0644);
MODULE_PARM_DESC(busy_walk_after,
		 "busy ports a connect meets before it walks the established hash once: 0 (ehash buckets * 9 / 400, the default) or 2..65536");

/**
 * portsel_busyset_walk_after - busy ports a connect meets before it walks
 * @hashinfo: the established hash the connect's socket goes into
 *
 * Return: the number of busy ports after which a walk pays off.
 */
unsigned int portsel_busyset_walk_after(const struct inet_hashinfo *hashinfo)
{
	unsigned int after = READ_ONCE(busy_walk_after);

	if (after)
		return after;
	return max_t(u64, (hashinfo->ehash_mask + 1ULL) *
			  PORTSEL_BUSYSET_CHAIN_COST / PORTSEL_BUSYSET_LOOKUP_COST,
		     PORTSEL_BUSYSET_MIN_PROBES);
}

static __always_inline bool portsel_dest_match(const struct portsel_dest *d,
					       const struct sock *s, u16 lport)
{
	const __portpair ports = INET_COMBINED_PORTS(d->sk->sk_dport, lport);

#if IS_ENABLED(CONFIG_IPV6)
	if (d->v6)
		return inet6_match(d->net, s, &d->sk->sk_v6_daddr,
				   &d->sk->sk_v6_rcv_saddr, ports, d->dif,
				   d->sdif);
#endif
	return inet_match(d->net, s, d->cookie, ports, d->dif, d->sdif);
}

/*
 * Sockets are freed and reused under RCU readers (SLAB_TYPESAFE_BY_RCU):
 * a match read without a reference may mix two sockets' fields. A port is
 * set only for a socket that still matches once referenced, as the
 * kernel's own lookup does; a mismatch at either read just leaves the
 * port to the kernel. Reserved ports are left out too: the policy's loop
 * skips the set's ports before it asks whether a port is reserved.
 */
static __always_inline void portsel_busyset_chain(struct portsel_busyset *b,
						  const struct portsel_dest *d,
						  const struct inet_ehash_bucket *head)
{
	const struct hlist_nulls_node *node;
	struct sock *s;
	u16 lport;

	sk_nulls_for_each_rcu(s, node, &head->chain) {
		/* most sockets go elsewhere: the remote port tells at once */
		if (READ_ONCE(s->sk_dport) != d->sk->sk_dport ||
		    READ_ONCE(s->sk_state) == TCP_TIME_WAIT)
			continue;
		lport = READ_ONCE(s->sk_num);
		if (lport < b->low || lport > b->high ||
		    !portsel_dest_match(d, s, lport))
			continue;
		if (!refcount_inc_not_zero(&s->sk_refcnt))
			continue;
		if (READ_ONCE(s->sk_state) != TCP_TIME_WAIT &&
		    portsel_dest_match(d, s, lport) &&
		    !inet_is_local_reserved_port(d->net, lport))
			__set_bit(lport - b->low, b->map);
		sock_gen_put(s);
	}
}

/**
 * portsel_busyset_fill - walk the established hash for @sk's destination
 * @b: the set, empty
 * @net: @sk's netns
 * @hashinfo: the hash @sk goes into
 * @sk: the connecting socket, its addresses and remote port set
 * @sdif: the l3mdev of @sk's bound device, as the kernel's lookup takes it
 * @low: first port of the range to record
 * @high: last port of it
 *
 * May sleep, between chunks of chains: the caller is the kernel's port
 * search, which does too.
 *
 * Return: 0, or -ENOMEM and @b left empty.
 */
int portsel_busyset_fill(struct portsel_busyset *b, struct net *net,
			 struct inet_hashinfo *hashinfo, const struct sock *sk,
			 int sdif, u16 low, u16 high)
{
	struct portsel_dest d = {
		.net = net,
		.sk = sk,
		.dif = sk->sk_bound_dev_if,
		.sdif = sdif,
	};
	struct inet_ehash_bucket *ehash = hashinfo->ehash;
	unsigned int start, slot, end;

#if IS_ENABLED(CONFIG_IPV6)
	d.v6 = sk->sk_family == AF_INET6 &&
	       !ipv6_addr_v4mapped(&sk->sk_v6_daddr);
#endif
	if (!d.v6) {
		INET_ADDR_COOKIE(cookie, sk->sk_daddr, sk->sk_rcv_saddr);

		d.cookie = cookie;
	}

	b->map = bitmap_zalloc(high - low + 1, GFP_KERNEL | __GFP_NOWARN);
	if (!b->map)
		return -ENOMEM;
	b->low = low;
	b->high = high;

	for (start = 0; start <= hashinfo->ehash_mask;
	     start += PORTSEL_BUSYSET_CHUNK) {
		end = min(start + PORTSEL_BUSYSET_CHUNK - 1,
			  hashinfo->ehash_mask);
		rcu_read_lock();
		for (slot = start; slot <= end; slot++)
			if (!hlist_nulls_empty(&ehash[slot].chain))
				portsel_busyset_chain(b, &d, &ehash[slot]);
		rcu_read_unlock();
		cond_resched();
	}
	return 0;
}

void portsel_busyset_free(struct portsel_busyset *b)
{
	bitmap_free(b->map);
	b->map = NULL;
}

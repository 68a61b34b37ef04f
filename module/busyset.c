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
 * The set outlives its connect: it stays in the netns for the next
 * connects to the same destination, which then walk no more. The connect
 * that walked, and each later one, add the port their own socket took;
 * every release of a port clears its bit. So a bit set always stands for
 * a port a live socket with that 4-tuple holds now, and what the set does
 * not know (a socket that came or moved chains during the walk, a port
 * another process took since) is asked of the kernel, which decides every
 * port actually taken. TIME_WAIT sockets are left out, for the kernel may
 * recycle them.
 */

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
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
 * How long a set serves later connects. Its bits follow every release, so
 * age does not make it wrong; a bound only keeps a release this does not
 * know of from hiding a port for long.
 */
#define PORTSEL_BUSYSET_TTL			(10 * HZ)

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

/* The value is read on the connect path without a lock: read it once. */
static int portsel_walk_after_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%u\n", READ_ONCE(*(unsigned int *)kp->arg));
}

static const struct kernel_param_ops portsel_walk_after_ops = {
	.set = portsel_walk_after_set,
	.get = portsel_walk_after_get,
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
 * Set @port's bit for @s, which holds it, for as long as @s stays hashed
 * with it. A release unhashes the socket, then (full barrier) clears the
 * bit (portsel_busy_released()); here the bit is set, then (full barrier)
 * the socket read again. One of the two sees the other: the release
 * clears the bit, or this finds the socket gone and clears it.
 *
 * Return: false if the socket was gone (the bit is clear again).
 */
static bool portsel_busy_hold(struct portsel_busy_cache *c,
			      const struct sock *s, u16 port)
{
	set_bit(port - c->low, c->map);
	/*
	 * the bit before the socket: pairs with the release path's smp_mb();
	 * and before @dead, with portsel_busy_kill()'s
	 */
	smp_mb__after_atomic();
	if (!hlist_unhashed_lockless(&s->sk_node) &&
	    READ_ONCE(s->sk_num) == port && !READ_ONCE(c->dead))
		return true;
	clear_bit(port - c->low, c->map);
	return false;
}

/*
 * Sockets are freed and reused under RCU readers (SLAB_TYPESAFE_BY_RCU):
 * a match read without a reference may mix two sockets' fields. A port is
 * recorded only for a socket that still matches once referenced, as the
 * kernel's own lookup does; a mismatch at either read just leaves the
 * port to the kernel. Left to the kernel as well: reserved ports (the
 * policy's loop skips the set's ports before it asks whether a port is
 * reserved), request sockets (no release tells when they go) and
 * sockets bound to their port by bind() (their port is given back when
 * they are destroyed, which can be long after they left the established
 * hash: no release tells when their 4-tuple is free).
 */
static __always_inline void portsel_busy_chain(struct portsel_busy_cache *c,
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
		if (lport < c->low || lport > c->high ||
		    !portsel_dest_match(d, s, lport))
			continue;
		if (!refcount_inc_not_zero(&s->sk_refcnt))
			continue;
		if (!sk_fullsock(s) ||
		    /* its owner may rewrite the buffer locks beside it */
		    data_race(s->sk_userlocks & SOCK_BINDPORT_LOCK) ||
		    !portsel_dest_match(d, s, lport) ||
		    inet_is_local_reserved_port(d->net, lport))
			goto put;
		/* it may have disconnected and connected elsewhere since */
		if (portsel_busy_hold(c, s, lport) &&
		    !portsel_dest_match(d, s, lport))
			clear_bit(lport - c->low, c->map);
put:
		sock_gen_put(s);
	}
}

/**
 * portsel_busy_put - drop a reference taken by get or walk
 * @c: the set, or NULL
 */
void portsel_busy_put(struct portsel_busy_cache *c)
{
	if (c && refcount_dec_and_test(&c->ref))
		kvfree_rcu(c, rcu);
}

/*
 * @c left the slot: no release clears its bits from now on. Clear them
 * all, and keep any from being set again: portsel_busy_hold() sets its
 * bit, then (full barrier) reads @dead; here @dead is set, then (full
 * barrier) every bit cleared. One of the two sees the other.
 */
static void portsel_busy_kill(struct portsel_busy_cache *c)
{
	unsigned int i;

	WRITE_ONCE(c->dead, true);
	/* @dead before the bits: see portsel_busy_hold() */
	smp_mb();
	for (i = 0; i < BITS_TO_LONGS(c->high - c->low + 1); i++)
		WRITE_ONCE(c->map[i], 0);
}

/* Put @c in @slot (NULL empties it) and drop the one it held. */
static void portsel_busy_publish(struct portsel_busy_cache __rcu **slot,
				 struct portsel_busy_cache *c)
{
	struct portsel_busy_cache *old;

	/* fully ordered: @c's fields before it is seen, and see the walk */
	old = unrcu_pointer(xchg(slot, RCU_INITIALIZER(c)));
	if (old)
		portsel_busy_kill(old);
	portsel_busy_put(old);
}

/**
 * portsel_busy_dest_of - the destination of a socket
 * @d: filled in, padding included, so that destinations compare whole
 * @skc: a socket, full or TIME_WAIT, its addresses and remote port set
 * @proto: its protocol
 *
 * An IPv6 socket connected to a v4-mapped address is hashed, and looked
 * up, as an IPv4 one.
 */
void portsel_busy_dest_of(struct portsel_busy_dest *d,
			  const struct sock_common *skc, u8 proto)
{
	memset(d, 0, sizeof(*d));
#if IS_ENABLED(CONFIG_IPV6)
	d->v6 = skc->skc_family == AF_INET6 &&
		!ipv6_addr_v4mapped(&skc->skc_v6_daddr);
	if (d->v6) {
		d->saddr = skc->skc_v6_rcv_saddr;
		d->daddr = skc->skc_v6_daddr;
	}
#endif
	if (!d->v6) {
		d->saddr.s6_addr32[3] = skc->skc_rcv_saddr;
		d->daddr.s6_addr32[3] = skc->skc_daddr;
	}
	d->dport = skc->skc_dport;
	d->proto = proto;
	d->bound_dev_if = skc->skc_bound_dev_if;
}

/**
 * portsel_busy_get - the netns' busy set, if it is about @d and still young
 * @slot: the netns' slot
 * @d: the connect's destination
 * @now: jiffies
 *
 * Return: the cache, referenced (portsel_busy_put()), or NULL.
 */
struct portsel_busy_cache *
portsel_busy_get(struct portsel_busy_cache __rcu **slot,
		 const struct portsel_busy_dest *d, unsigned long now)
{
	struct portsel_busy_cache *c;

	rcu_read_lock();
	c = rcu_dereference(*slot);
	/* the walk's bits before its ready: pairs with its store-release */
	if (c && (!smp_load_acquire(&c->ready) ||
		  !time_before(now, c->born + PORTSEL_BUSYSET_TTL) ||
		  memcmp(&c->dest, d, sizeof(*d)) ||
		  !refcount_inc_not_zero(&c->ref)))
		c = NULL;
	rcu_read_unlock();
	return c;
}

/**
 * portsel_busy_walk - walk the established hash for @sk's destination
 * @slot: the netns' slot, where the new set replaces the old one
 * @d: @sk's destination (portsel_busy_dest_of())
 * @net: @sk's netns
 * @hashinfo: the hash @sk goes into
 * @sk: the connecting socket, its addresses and remote port set
 * @sdif: the l3mdev of @sk's bound device, as the kernel's lookup takes it
 * @low: first port of the range to record
 * @high: last port of it
 * @now: jiffies
 *
 * The set is in @slot before the walk starts, so that every release from
 * then on is told to it. May sleep, between chunks of chains: the caller
 * is the kernel's port search, which does too.
 *
 * Return: the set, referenced (portsel_busy_put()); NULL without memory.
 */
struct portsel_busy_cache *
portsel_busy_walk(struct portsel_busy_cache __rcu **slot,
		  const struct portsel_busy_dest *d, struct net *net,
		  struct inet_hashinfo *hashinfo, const struct sock *sk,
		  int sdif, u16 low, u16 high, unsigned long now)
{
	struct portsel_dest m = {
		.net = net,
		.sk = sk,
		.dif = sk->sk_bound_dev_if,
		.sdif = sdif,
		.v6 = d->v6,
	};
	struct inet_ehash_bucket *ehash = hashinfo->ehash;
	unsigned int start, i, end;
	struct portsel_busy_cache *c;

	if (!m.v6) {
		INET_ADDR_COOKIE(cookie, sk->sk_daddr, sk->sk_rcv_saddr);

		m.cookie = cookie;
	}

	/*
	 * Up to 8 KiB for a whole 16-bit range: kvzalloc() may fall back to
	 * vmalloc for GFP_KERNEL sockets, and honours a socket that asks
	 * for less (GFP_NOFS, GFP_NOIO), never from the reserves of a
	 * swap socket: the set is only a shortcut. Without memory the
	 * connect goes on as if no set were kept.
	 */
	c = kvzalloc(struct_size(c, map, BITS_TO_LONGS(high - low + 1)),
		     (sk->sk_allocation & ~__GFP_MEMALLOC) | __GFP_NOWARN);
	if (!c)
		return NULL;
	/* one reference for the slot, one for the caller */
	refcount_set(&c->ref, 2);
	c->born = now;
	c->dest = *d;
	c->low = low;
	c->high = high;
	portsel_busy_publish(slot, c);

	for (start = 0; start <= hashinfo->ehash_mask;
	     start += PORTSEL_BUSYSET_CHUNK) {
		end = min(start + PORTSEL_BUSYSET_CHUNK - 1,
			  hashinfo->ehash_mask);
		rcu_read_lock();
		for (i = start; i <= end; i++)
			if (!hlist_nulls_empty(&ehash[i].chain))
				portsel_busy_chain(c, &m, &ehash[i]);
		rcu_read_unlock();
		cond_resched();
	}
	/* the bits before ready: pairs with portsel_busy_get() */
	smp_store_release(&c->ready, true);
	return c;
}

/**
 * portsel_busy_taken - the connect's own socket now holds its port
 * @c: the set the connect used (got or walked for @sk's destination), or NULL
 * @sk: the socket, hashed, locked by the caller
 *
 * The next connect to the destination then knows this port too: a fill
 * keeps its set whole without walking again.
 */
void portsel_busy_taken(struct portsel_busy_cache *c, struct sock *sk)
{
	u16 port = sk->sk_num;

	if (c && port >= c->low && port <= c->high)
		portsel_busy_hold(c, sk, port);
}

/**
 * portsel_busy_released - a socket of the netns gave its port back
 * @slot: the netns' slot
 * @skc: the socket, full or TIME_WAIT, already out of the established hash
 * @proto: its protocol
 *
 * Called after a full barrier that follows the socket's unhashing, and
 * followed by one: see portsel_busy_hold(). A TIME_WAIT socket's port
 * was never in a set, but clearing a bit is never wrong.
 *
 * The bound device is not compared: the walk of a device-bound connect
 * records unbound sockets too (as check_established() matches them), and
 * a socket may be bound to a device after it connected. A release must
 * never be stricter than the walk; clearing the bit of a port that a
 * socket of another device still holds only costs a call to the kernel.
 */
void portsel_busy_released(struct portsel_busy_cache __rcu **slot,
			   const struct sock_common *skc, u8 proto)
{
	struct portsel_busy_cache *c;
	struct portsel_busy_dest d;
	u16 port = skc->skc_num;

	if (!rcu_access_pointer(*slot))
		return;
	portsel_busy_dest_of(&d, skc, proto);
	rcu_read_lock();
	c = rcu_dereference(*slot);
	if (c)
		d.bound_dev_if = c->dest.bound_dev_if;
	if (c && port >= c->low && port <= c->high &&
	    !memcmp(&c->dest, &d, sizeof(d))) {
		clear_bit(port - c->low, c->map);
		/* the bit before even-first's watch: see portsel_watch() */
		smp_mb__after_atomic();
	}
	rcu_read_unlock();
}

/**
 * portsel_busy_drop - empty the netns' slot, once its connects are over
 * @slot: the slot
 */
void portsel_busy_drop(struct portsel_busy_cache __rcu **slot)
{
	portsel_busy_publish(slot, NULL);
}

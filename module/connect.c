// SPDX-License-Identifier: GPL-2.0
/*
 * What portsel does in place of __inet_hash_connect(): read the socket,
 * let the netns' policy order the candidates, and take a port by asking
 * the kernel's own function for exactly that one port.
 *
 * Asking is done by pinning the socket's IP_LOCAL_PORT_RANGE to [p, p] and
 * calling the original: with a one-port range it tries p alone (reserved
 * ports, bind buckets, TIME_WAIT recycling, bhash2 and ehash all its own)
 * and returns -EADDRNOTAVAIL when p is busy. The user's range is restored
 * before returning. Up to 6.6 the caller's socket lock keeps everyone else
 * from the field meanwhile; since 6.7 setsockopt() and getsockopt() take
 * no lock for it, so a getsockopt() may see the one-port pin, and a
 * setsockopt() meanwhile wins: the pin and the restore only replace what
 * this connect last wrote, and the kernel chooses with the user's new
 * range.
 */

#include <linux/bits.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/inet6_hashtables.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/l3mdev.h>
#include <net/secure_seq.h>
#include <net/tcp_states.h>

#include "busyset.h"
#include "compat.h"
#include "connect.h"
#include "hook.h"
#include "netns.h"
#include "memory.h"
#include "perturb.h"
#include "select.h"
#include "state.h"
#include "stats.h"
#include "portsel_trace.h"

struct portsel_try {
	struct inet_timewait_death_row *death_row;
	struct sock *sk;
	u64 port_offset;
	portsel_check_t check;
	int net_lo, net_hi;	/* the netns range the order was made for */
	bool look_first;	/* a port was busy: look before asking */
	int sdif;		/* l3mdev of the bound device, once looking */
	u32 busy;		/* busy ports met */
	u32 walk_after;		/* busy ports met before the busy set pays */
	bool walked;		/* at most once per connect */
	unsigned long now;
	struct portsel_busy_cache *cache;	/* referenced, or NULL */
	struct portsel_busyset set;	/* the core's view of @cache */
	const struct portsel_range *range;	/* the connect's, for the set */
	u32 busy_by_lookup;	/* probes answered without the kernel */
	u32 pinned;		/* IP_LOCAL_PORT_RANGE as we last left it */
};

/*
 * The socket of the established hash (full, request or TIME_WAIT) that
 * holds @skc's 4-tuple with local port @lport, referenced; or NULL. Matched
 * on the bound device as check_established() matches (@dif, @sdif).
 */
static struct sock *portsel_established(struct net *net,
					struct inet_hashinfo *hashinfo,
					const struct sock_common *skc,
					u16 lport, int dif, int sdif)
{
	struct sock *found;

	rcu_read_lock();
#if IS_ENABLED(CONFIG_IPV6)
	if (skc->skc_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&skc->skc_v6_daddr))
		found = __inet6_lookup_established(net, hashinfo,
						   &skc->skc_v6_daddr,
						   skc->skc_dport,
						   &skc->skc_v6_rcv_saddr,
						   lport, dif, sdif);
	else
#endif
		found = __inet_lookup_established(net, hashinfo,
						  skc->skc_daddr,
						  skc->skc_dport,
						  skc->skc_rcv_saddr,
						  lport, dif, sdif);
	rcu_read_unlock();
	return found;
}

/*
 * Is @port taken for this connect by a live socket with the same 4-tuple?
 * The kernel would say so too, after its bind bucket lock, its ehash lock
 * and a call: this lockless lookup costs less than that. A TIME_WAIT
 * socket, which the kernel may recycle, and a miss leave the answer to the
 * kernel, so every port handed out is still the kernel's decision.
 */
static bool portsel_try_taken(const struct portsel_try *t, u16 port)
{
	struct sock *sk = t->sk;
	struct sock *found;
	bool taken;

	found = portsel_established(sock_net(sk), t->death_row->hashinfo,
				    &sk->__sk_common, port,
				    sk->sk_bound_dev_if, t->sdif);
	if (!found)
		return false;
	taken = found->sk_state != TCP_TIME_WAIT;
	sock_gen_put(found);
	return taken;
}

bool portsel_try_reserved(void *arg, u16 port)
{
	struct portsel_try *t = arg;

	return inet_is_local_reserved_port(sock_net(t->sk), port);
}

/* The l3mdev of the socket's bound device, as the kernel's lookups take it. */
static int portsel_sdif(const struct sock *sk)
{
	return l3mdev_master_ifindex_by_index(sock_net(sk), sk->sk_bound_dev_if);
}

/* From now on, look a candidate up before asking the kernel about it. */
static void portsel_try_look_first(struct portsel_try *t)
{
	if (!t->look_first) {
		t->look_first = true;
		t->sdif = portsel_sdif(t->sk);
	}
}

/* Has the netns range changed since the order was made? */
static bool portsel_range_moved(const struct portsel_try *t)
{
	int lo, hi;

	inet_get_local_port_range(sock_net(t->sk), &lo, &hi);
	return lo != t->net_lo || hi != t->net_hi;
}

/*
 * One more busy port that the set did not know: once there were enough,
 * walk the established hash once and answer the scan's later busy ports
 * from the new set, which the netns keeps for the next connects. A walk
 * that cannot get its memory leaves things as they were.
 */
static void portsel_try_met_busy(struct portsel_try *t)
{
	struct sock *sk = t->sk;
	struct net *net = sock_net(sk);
	const struct portsel_busy_dest *d;
	struct portsel_busy_dest own;
	struct portsel_busy_cache *c;

	/* most connects meet no busy port: read at the first busy port */
	if (!t->busy)
		t->walk_after =
			portsel_busyset_walk_after(t->death_row->hashinfo);
	if (++t->busy != t->walk_after)
		return;
	t->walked = true;
	/* a set the connect got is about its destination already */
	if (t->cache) {
		d = &t->cache->dest;
	} else {
		portsel_busy_dest_of(&own, &sk->__sk_common, sk->sk_protocol);
		d = &own;
	}
	c = portsel_busy_walk(&portsel_net(net)->busy, d, net,
			      t->death_row->hashinfo, sk, t->sdif,
			      t->range->low, t->range->high, t->now);
	if (!c)
		return;
	portsel_busy_put(t->cache);
	t->cache = c;
	portsel_busyset_view(&t->set, c);
}

/*
 * Is @port busy, by what portsel already knows? From the busy set once it
 * was filled (the policy's loop reads it too, and asks only about the
 * ports not in it; a hint or a port probed again comes here), else from
 * a lookup once a port was busy: a connect whose first port is free, the
 * common case, would only pay for the lookup.
 */
static bool portsel_try_known_busy(struct portsel_try *t, u16 port)
{
	if (t->set.map) {
		if (!READ_ONCE(t->cache->dead))
			return portsel_busyset_has(&t->set, port);
		/* another destination's walk replaced it: look instead */
		portsel_busyset_view(&t->set, NULL);
		portsel_try_look_first(t);
	}
	if (!t->look_first || !portsel_try_taken(t, port))
		return false;
	portsel_try_met_busy(t);
	return true;
}

/*
 * Should the netns range change under a connect, the kernel would ignore a
 * pin outside the new range and scan all of it on every later try: each
 * call checks first, and the caller lets the kernel choose once instead.
 * A port found taken is busy in any range; the caller checks the range
 * once more before it reports that every port was. A write of the range
 * between this check and the kernel's own read of it, a few hundred
 * instructions later, is not seen: for that call the kernel scans the new
 * range its own way (neither the socket's range nor reserve_odd apply),
 * and the connect reports the port it got. Closing the window would take
 * the kernel's lock of the range, which its readers do not take either.
 */
int portsel_try_port(void *arg, u16 port)
{
	struct portsel_try *t = arg;
	u32 pin = (u32)port << 16 | port;
	int err;

	if (portsel_try_known_busy(t, port)) {
		t->busy_by_lookup++;
		return -EADDRNOTAVAIL;
	}
	if (portsel_range_moved(t))
		return -EAGAIN;
	/* a setsockopt() since (6.7 takes no socket lock) stands: see compat.h */
	if (!portsel_sk_port_range_swap(inet_sk(t->sk), t->pinned, pin))
		return -EAGAIN;
	t->pinned = pin;
	err = portsel_hook_call_orig(t->death_row, t->sk, t->port_offset,
				     t->check);
	if (err == -EADDRNOTAVAIL && !t->walked) {
		portsel_try_look_first(t);
		portsel_try_met_busy(t);
	}
	return err;
}

/*
 * The key of a socket, or of a TIME_WAIT socket: its addresses, port space,
 * device and the effective range, here @range.
 */
static void portsel_tuple_of(struct portsel_tuple *tuple,
			     const struct sock_common *skc, struct net *net,
			     u8 proto, const struct portsel_range *range,
			     bool reserve_odd)
{
	u32 netns = net->ns.inum;

#if IS_ENABLED(CONFIG_IPV6)
	if (skc->skc_family == AF_INET6)
		portsel_tuple_v6(tuple, netns, &skc->skc_v6_rcv_saddr,
				 &skc->skc_v6_daddr, skc->skc_dport);
	else
#endif
		portsel_tuple_v4(tuple, netns, skc->skc_rcv_saddr,
				 skc->skc_daddr, skc->skc_dport);
	portsel_tuple_scope(tuple, proto, skc->skc_bound_dev_if, range->low,
			    range->high, reserve_odd);
}

/* The netns range narrowed by a socket's IP_LOCAL_PORT_RANGE. */
static void portsel_range_of(struct net *net, u16 sk_lo, u16 sk_hi,
			     struct portsel_range *r, int *net_lo, int *net_hi)
{
	inet_get_local_port_range(net, net_lo, net_hi);
	r->low = *net_lo;
	r->high = *net_hi;
	portsel_range_narrow(r, sk_lo, sk_hi);
}

/*
 * msecs_to_jiffies() of the hold, inline: a hold is at most
 * PORTSEL_EXHAUST_HOLD_MAX ms, so the product cannot overflow, and the
 * rounding is the same (up).
 */
static unsigned long portsel_hold_jiffies(unsigned int ms)
{
	BUILD_BUG_ON((u64)PORTSEL_EXHAUST_HOLD_MAX * HZ > U32_MAX);
	return DIV_ROUND_UP(ms * HZ, MSEC_PER_SEC);
}

/* The clock of even-first's memory. */
static unsigned long portsel_jiffies(void)
{
	return jiffies;
}

/*
 * Each CPU's unused random bits. even-first reads three bits a connect:
 * get_random_u8() would spend a byte on them, and with its batch's lock,
 * IRQs off and refills cost about as much as the policy's own choice. A
 * word of get_random_u64() serves 21 connects instead, as unpredictable,
 * and no bit is handed out twice.
 */
struct portsel_rnd_pool {
	u64 bits;
	unsigned int left;
};

static DEFINE_PER_CPU(struct portsel_rnd_pool, portsel_rnd_pool);

static u32 portsel_draw_bits(unsigned int n)
{
	struct portsel_rnd_pool *p = get_cpu_ptr(&portsel_rnd_pool);
	u64 fresh;
	u32 bits;

	if (likely(p->left >= n)) {
		bits = p->bits & GENMASK(n - 1, 0);
		p->bits >>= n;
		p->left -= n;
		put_cpu_ptr(&portsel_rnd_pool);
		return bits;
	}
	put_cpu_ptr(&portsel_rnd_pool);
	/*
	 * Outside the section: on PREEMPT_RT the batch's local lock sleeps
	 * (found by make debugtest TARGET=trixie-rt-amd64). A refill that
	 * raced with ours is overwritten: bits are dropped, never reused.
	 */
	fresh = get_random_u64();
	p = get_cpu_ptr(&portsel_rnd_pool);
	bits = fresh & GENMASK(n - 1, 0);
	p->bits = fresh >> n;
	p->left = 64 - n;
	put_cpu_ptr(&portsel_rnd_pool);
	return bits;
}

/* The random bits the policy reads, and no more. */
static u32 portsel_draw(enum portsel_policy policy)
{
	unsigned int n = portsel_policies[policy].rnd_bits;

	if (!n)
		return 0;
	if (n < 32)
		return portsel_draw_bits(n);
	return get_random_u32();
}

/**
 * portsel_connect - choose and take a local port for a connecting socket
 * @death_row: as passed to __inet_hash_connect()
 * @sk: the socket, locked by the caller
 * @port_offset: as passed to __inet_hash_connect()
 * @check: as passed to __inet_hash_connect()
 *
 * Sockets that already have a port, and netns whose policy is "kernel",
 * are the kernel's business alone.
 *
 * Return: what __inet_hash_connect() would: 0, -EADDRNOTAVAIL or an error.
 */
int portsel_connect(struct inet_timewait_death_row *death_row,
		    struct sock *sk, u64 port_offset, portsel_check_t check)
{
	struct portsel_try t = {
		.death_row = death_row,
		.sk = sk,
		.port_offset = port_offset,
		.check = check,
	};
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct portsel_net *pn = portsel_net_connect(net);
	/*
	 * Both are filled whole below (portsel_tuple_init() clears the
	 * tuple's padding for siphash()): spare every connect the kernel's
	 * stack zeroing of them first.
	 */
	struct portsel_tuple tuple __uninitialized;
	struct portsel_request req __uninitialized;
	struct portsel_shared sh = {
		.table = &portsel_table,
		.hint = &pn->hint,
		.next = &pn->next,
		.watch = &pn->watch,
		.freed_any = &pn->freed_any,
		.clock = portsel_jiffies,
	};
	struct portsel_probe_ops ops = {
		.reserved = portsel_try_reserved,
		.try_port = portsel_try_port,
		.known = &t.set,
	};
	struct portsel_result res;
	u16 sk_lo, sk_hi;
	u32 user;
	int err;

	req.policy = READ_ONCE(pn->policy);
	if (inet->inet_num || req.policy == PORTSEL_KERNEL)
		return portsel_hook_call_orig(death_row, sk, port_offset, check);

	user = portsel_sk_port_range(inet);
	t.pinned = user;
	sk_lo = user & 0xffff;
	sk_hi = user >> 16;
	portsel_range_of(net, sk_lo, sk_hi, &req.range, &t.net_lo, &t.net_hi);
	t.range = &req.range;

	req.reserve_odd = READ_ONCE(pn->reserve_odd);
	req.no_parity = (sk_lo || sk_hi) &&
			!READ_ONCE(pn->socket_range_parity);
	portsel_tuple_of(&tuple, &sk->__sk_common, net, sk->sk_protocol,
			 &req.range, req.reserve_odd);
	req.tuple = &tuple;
	req.port_offset = port_offset;
	req.key = &portsel_key;
	req.now = jiffies;
	t.now = req.now;
	/* a set kept from an earlier connect to this destination */
	if (rcu_access_pointer(pn->busy)) {
		struct portsel_busy_dest dest;

		portsel_busy_dest_of(&dest, &sk->__sk_common, sk->sk_protocol);
		t.cache = portsel_busy_get(&pn->busy, &dest, req.now);
		portsel_busyset_view(&t.set, t.cache);
	}
	req.epoch = req.now / PORTSEL_RESALT_PERIOD;
	req.rnd = portsel_draw(req.policy);
	/* a second draw only where the knob is set and the policy takes it */
	req.step_width = portsel_policies[req.policy].step_width ?
			 READ_ONCE(pn->step_width) : 0;
	req.step_rnd = req.step_width ? get_random_u32() : 0;
	req.hold = portsel_hold_jiffies(READ_ONCE(pn->exhaust_hold_ms));

	err = portsel_choose(&req, &sh, &ops, &t, &res);

	/* the user's range back, unless they set one since: theirs stands */
	portsel_sk_port_range_swap(inet, t.pinned, user);
	/*
	 * the netns range changed under us, or the socket's: the kernel
	 * chooses, once
	 */
	if (err == -EADDRNOTAVAIL && portsel_range_moved(&t))
		err = -EAGAIN;
	if (err == -EAGAIN)
		err = portsel_hook_call_orig(death_row, sk, port_offset, check);
	/* most connects have no busy set: no call for them */
	if (t.cache) {
		if (!err)
			portsel_busy_taken(t.cache, sk);
		portsel_busy_put(t.cache);
	}

	/*
	 * Report the port the socket holds: should the netns range change
	 * under us, the kernel may have ignored the pin and chosen another.
	 */
	res.port = err ? 0 : inet->inet_num;
	portsel_stats_account(pn->stats, req.policy, &res,
			      !err && !portsel_port_preferred(&req.range, res.port),
			      t.busy_by_lookup + res.known_busy, t.walked, err);
	trace_portsel_select(sk, req.policy, res.port, res.probes,
			     err, res.skipped_scan);
	return err;
}

/*
 * Is the 4-tuple of a released port still in the established hash? Then
 * the port is not free for this destination: a TIME_WAIT socket took it
 * over from the closing one, or a connect recycled the TIME_WAIT one.
 */
static bool portsel_still_hashed(struct net *net,
				 struct inet_hashinfo *hashinfo,
				 const struct sock_common *skc)
{
	int dif = skc->skc_bound_dev_if;
	struct sock *found;

	found = portsel_established(net, hashinfo, skc, skc->skc_num, dif,
				    l3mdev_master_ifindex_by_index(net, dif));
	if (found)
		sock_gen_put(found);
	return found;
}

/*
 * The port_offset the kernel passed to __inet_hash_connect() when this
 * socket connected (inet_sk_port_offset(), inet6_sk_port_offset()), as
 * long as the kernel's 10 s salt has not changed since; after that the
 * socket's key is another one, as ours is. An IPv6 socket connected to a
 * v4-mapped address went through tcp_v4_connect().
 */
static u64 portsel_port_offset_of(const struct sock_common *skc)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (skc->skc_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&skc->skc_v6_daddr))
		return secure_ipv6_port_ephemeral(skc->skc_v6_rcv_saddr.s6_addr32,
						  skc->skc_v6_daddr.s6_addr32,
						  skc->skc_dport);
#endif
	return secure_ipv4_port_ephemeral(skc->skc_rcv_saddr, skc->skc_daddr,
					  skc->skc_dport);
}

/*
 * A port given back (a socket's, or a dying TIME_WAIT socket's): tell
 * even-first's memory and the busy set, once portsel_release_told() found
 * either in use. The port is free for every socket of its destination,
 * whatever their key: its destination's released slot moves, and the
 * netns' one too when bind() held the port, which frees it for every
 * destination. Then its own key's word takes it as a hint. A TIME_WAIT socket no longer knows
 * its IP_LOCAL_PORT_RANGE: its hint goes to the key of the netns range.
 */
static void portsel_released(struct net *net, struct inet_hashinfo *hashinfo,
			     const struct sock_common *skc, u8 proto,
			     u16 sk_lo, u16 sk_hi, bool bind_held)
{
	struct portsel_net *pn = portsel_net_rcu(net);
	struct portsel_tuple tuple;
	struct portsel_range r;
	unsigned long now;
	u16 port = skc->skc_num;
	u64 offset, hash;
	int lo, hi;

	portsel_busy_released(&pn->busy, skc, proto);
	now = jiffies;
	if (!portsel_watching(&pn->watch, now))
		return;
	/*
	 * connect() chooses inside the netns range only: a port outside it
	 * ends no mark. Every accepted socket's release names its listener's
	 * port, usually such a one and held by bind(): on a proxy each
	 * closed client connection would otherwise end every mark of the
	 * netns for a second. A range write racing with this release is not
	 * seen, as in portsel_try_port().
	 */
	portsel_range_of(net, sk_lo, sk_hi, &r, &lo, &hi);
	if (port < lo || port > hi)
		return;
	/*
	 * On PREEMPT_RT this callback (preemption off) must not drop the
	 * lookup's reference: a last put frees the socket through locks
	 * that sleep there. The check only spares a hint of a port that a
	 * TIME_WAIT socket took over and a mark ended early; RT goes
	 * without it, which costs a probe, never a port.
	 */
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) &&
	    portsel_still_hashed(net, hashinfo, skc))
		return;

	offset = portsel_port_offset_of(skc);
	portsel_mem_freed(portsel_perturb_freed(&portsel_table, offset), now,
			  bind_held ? PORTSEL_MEM_FREED_AHEAD : 0);
	if (bind_held)
		portsel_mem_freed(&pn->freed_any, now,
				  PORTSEL_MEM_FREED_AHEAD);

	if (port < r.low || port > r.high)
		return;
	portsel_tuple_of(&tuple, skc, net, proto, &r,
			 READ_ONCE(pn->reserve_odd));
	hash = portsel_ef_hash(offset, &tuple, now / PORTSEL_RESALT_PERIOD,
			       &portsel_key);
	portsel_mem_released(&portsel_table.mem[portsel_perturb_index(&portsel_table, hash)],
			     portsel_hash_offset(hash), port,
			     portsel_port_preferred(&r, port));
}

/*
 * Did bind() take the port (the kernel made its bucket for a bind(), or
 * a bind() joined it)? connect() made it otherwise, and only the 4-tuple
 * held it. Read without the bucket's lock: the bucket lives while the
 * socket is in it, and a bind() joining meanwhile is the race any
 * release has with a later take.
 */
static bool portsel_bind_held(const struct inet_bind_bucket *tb)
{
	return tb && (READ_ONCE(tb->fastreuse) >= 0 ||
		      READ_ONCE(tb->fastreuseport) >= 0);
}

/*
 * Has a release in this netns anything to tell? Only while a busy set is
 * kept or releases are watched: at low occupancy neither is, and every
 * release stops here. The full barrier pairs with portsel_watch_until()
 * and with the busy set's walk: the port is unhashed before this.
 */
static bool portsel_release_told(struct net *net)
{
	const struct portsel_net *pn = portsel_net_rcu(net);

	/* the unhashing before the reads: see above */
	smp_mb();
	return rcu_access_pointer(pn->busy) ||
	       portsel_watching(&pn->watch, jiffies);
}

/**
 * portsel_connect_released_sock - a TCP or DCCP socket gives its port back
 * @sk: the socket, at the entry of inet_put_port()
 */
void portsel_connect_released_sock(struct sock *sk)
{
	u32 range;

	if (!portsel_release_told(sock_net(sk)))
		return;
	range = portsel_sk_port_range(inet_sk(sk));
	portsel_released(sock_net(sk), tcp_or_dccp_get_hashinfo(sk),
			 &sk->__sk_common, sk->sk_protocol,
			 range & 0xffff, range >> 16,
			 portsel_bind_held(inet_csk(sk)->icsk_bind_hash));
}

/**
 * portsel_connect_released_tw - a TIME_WAIT socket gives its port back
 * @tw: the socket, at the entry of inet_twsk_bind_unhash()
 * @hashinfo: its protocol's hash tables
 */
void portsel_connect_released_tw(struct inet_timewait_sock *tw,
				 struct inet_hashinfo *hashinfo)
{
	struct net *net = twsk_net(tw);
	u8 proto = hashinfo == net->ipv4.tcp_death_row.hashinfo ?
		   IPPROTO_TCP : IPPROTO_DCCP;

	if (!portsel_release_told(net))
		return;
	portsel_released(net, hashinfo, &tw->__tw_common, proto, 0, 0,
			 portsel_bind_held(tw->tw_tb));
}

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
 * before returning. The caller holds the socket lock, so nobody else sees
 * or changes the pinned value meanwhile.
 */

#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/ip.h>

#include "connect.h"
#include "hook.h"
#include "netns.h"
#include "perturb.h"
#include "select.h"
#include "stats.h"
#include "portsel_trace.h"

/* The kernel re-salts its port hash every 10 s; even-first does the same. */
#define PORTSEL_RESALT_PERIOD	(10 * HZ)

static siphash_key_t portsel_key __read_mostly;
static struct portsel_perturb portsel_table;

struct portsel_try {
	struct inet_timewait_death_row *death_row;
	struct sock *sk;
	u64 port_offset;
	portsel_check_t check;
};

static bool portsel_try_reserved(void *arg, u16 port)
{
	struct portsel_try *t = arg;

	return inet_is_local_reserved_port(sock_net(t->sk), port);
}

static int portsel_try_port(void *arg, u16 port)
{
	struct portsel_try *t = arg;
	struct inet_sock *inet = inet_sk(t->sk);

	inet->local_port_range.lo = port;
	inet->local_port_range.hi = port;
	return portsel_hook_call_orig(t->death_row, t->sk, t->port_offset,
				      t->check);
}

static const struct portsel_probe_ops portsel_socket_ops = {
	.reserved = portsel_try_reserved,
	.try_port = portsel_try_port,
};

static void portsel_tuple_of(struct portsel_tuple *tuple, struct sock *sk)
{
	u32 netns = sock_net(sk)->ns.inum;

#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		portsel_tuple_v6(tuple, netns, &sk->sk_v6_rcv_saddr,
				 &sk->sk_v6_daddr, sk->sk_dport);
		return;
	}
#endif
	portsel_tuple_v4(tuple, netns, sk->sk_rcv_saddr, sk->sk_daddr,
			 sk->sk_dport);
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
	struct portsel_net *pn = portsel_net(net);
	struct portsel_tuple tuple;
	struct portsel_request req;
	struct portsel_shared sh = {
		.table = &portsel_table,
		.hint = &pn->hint,
	};
	struct portsel_result res;
	u16 sk_lo, sk_hi;
	int lo, hi, err;

	req.policy = READ_ONCE(pn->policy);
	if (inet->inet_num || req.policy == PORTSEL_KERNEL)
		return portsel_hook_call_orig(death_row, sk, port_offset, check);

	sk_lo = inet->local_port_range.lo;
	sk_hi = inet->local_port_range.hi;
	inet_get_local_port_range(net, &lo, &hi);
	req.range.low = lo;
	req.range.high = hi;
	portsel_range_narrow(&req.range, sk_lo, sk_hi);

	portsel_tuple_of(&tuple, sk);
	req.reserve_odd = READ_ONCE(pn->reserve_odd);
	req.tuple = &tuple;
	req.key = &portsel_key;
	req.now = jiffies;
	req.epoch = req.now / PORTSEL_RESALT_PERIOD;
	req.rnd = get_random_u32();
	req.hold = msecs_to_jiffies(READ_ONCE(pn->exhaust_hold_ms));

	err = portsel_choose(&req, &sh, &portsel_socket_ops, &t, &res);

	inet->local_port_range.lo = sk_lo;
	inet->local_port_range.hi = sk_hi;

	/*
	 * Report the port the socket holds: should the netns range change
	 * under us, the kernel may have ignored the pin and chosen another.
	 */
	if (!err)
		res.port = inet->inet_num;
	portsel_stats_account(pn, req.policy, &res,
			      !err && !portsel_port_preferred(&req.range, res.port),
			      err);
	trace_portsel_select(sk, req.policy, res.port, res.probes,
			     err, res.skipped_scan);
	return err;
}

int portsel_connect_init(unsigned int perturb_shift)
{
	get_random_bytes(&portsel_key, sizeof(portsel_key));
	return portsel_perturb_init(&portsel_table, perturb_shift);
}

void portsel_connect_exit(void)
{
	portsel_perturb_free(&portsel_table);
}

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_NETNS_H
#define _PORTSEL_NETNS_H

#include <linux/cache.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

struct ctl_table_header;
struct portsel_busy_cache;
struct portsel_cpu_stats;

/*
 * Longest exhaustion hold accepted, in ms: the re-salt period, which a
 * mark never outlives (its key changes with the salt).
 */
#define PORTSEL_EXHAUST_HOLD_MAX	10000

/*
 * Per-netns state. The knobs are read on the connect path with READ_ONCE()
 * and written whole by their sysctl handlers, so no lock is needed.
 * The counters of sequential, sequential-even and random-inc are written
 * by every connect under those policies: they get a cache line of their
 * own, so they do not bounce the read-mostly fields of the other CPUs'
 * connects. (The struct is 2 cache lines, a power of two that kzalloc()
 * aligns naturally.)
 */
struct portsel_net {
	int policy;			/* enum portsel_policy */
	unsigned int reserve_odd;	/* 0 or 1 */
	unsigned int exhaust_hold_ms;	/* 0 disables the exhaustion memory */
	unsigned int socket_range_parity; /* 0: as Linux 6.8, see README */
	unsigned int step_width;	/* Linux 7.1's, 0 = off: order.c */
	/* releases watched until (jiffies); written at most twice an epoch */
	unsigned long watch;
	/* (u16)jiffies when a port bind() held came back (memory.h) */
	u16 freed_any;
	/* the busy set kept for connects to one destination, or NULL */
	struct portsel_busy_cache __rcu *busy;
	struct portsel_cpu_stats __percpu *stats;
	struct ctl_table_header *sysctl;

	/* sequential's and sequential-even's counter */
	u32 hint ____cacheline_aligned_in_smp;
	u32 next;			/* random-inc's counter */
};

extern unsigned int portsel_net_id;

static inline struct portsel_net *portsel_net(const struct net *net)
{
	return net_generic(net, portsel_net_id);
}

/*
 * portsel_net() inside an RCU read-side section of any flavour, as the
 * release callbacks are (preemption off): without net_generic()'s own
 * rcu_read_lock(), two calls on a PREEMPT_RCU kernel for every release.
 */
static inline struct portsel_net *portsel_net_rcu(const struct net *net)
{
	const struct net_generic *ng;

	ng = rcu_dereference_check(net->gen, rcu_read_lock_any_held());
	return ng->ptr[portsel_net_id];
}

/*
 * portsel_net() on the connect path: preemption off is an RCU read-side
 * section too, and costs two inline instructions where a PREEMPT_RCU
 * kernel's rcu_read_lock() and rcu_read_unlock() are two calls. The
 * struct lives as long as the netns, which the connecting socket holds.
 */
static inline struct portsel_net *portsel_net_connect(const struct net *net)
{
	struct portsel_net *pn;

	preempt_disable();
	pn = portsel_net_rcu(net);
	preempt_enable();
	return pn;
}

int portsel_netns_init(void);
void portsel_netns_exit(void);

#endif /* _PORTSEL_NETNS_H */

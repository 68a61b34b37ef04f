/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_NETNS_H
#define _PORTSEL_NETNS_H

#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

struct ctl_table_header;
struct portsel_cpu_stats;

/*
 * Longest exhaustion hold accepted, in ms: the re-salt period, which a
 * mark never outlives (its key changes with the salt).
 */
#define PORTSEL_EXHAUST_HOLD_MAX	10000

/*
 * Per-netns state. The knobs are read on the connect path with READ_ONCE()
 * and written whole by their sysctl handlers, so no lock is needed.
 */
struct portsel_net {
	int policy;			/* enum portsel_policy */
	unsigned int reserve_odd;	/* 0 or 1 */
	unsigned int exhaust_hold_ms;	/* 0 disables the exhaustion memory */
	u32 hint;			/* sequential's counter */
	unsigned long watch;		/* releases watched until (jiffies) */
	struct portsel_cpu_stats __percpu *stats;
	struct ctl_table_header *sysctl;
};

extern unsigned int portsel_net_id;

static inline struct portsel_net *portsel_net(const struct net *net)
{
	return net_generic(net, portsel_net_id);
}

int portsel_netns_init(void);
void portsel_netns_exit(void);

#endif /* _PORTSEL_NETNS_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_SELECT_H
#define _PORTSEL_SELECT_H

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/siphash.h>
#include <linux/types.h>

#include "busyset.h"
#include "hash.h"
#include "memory.h"
#include "order.h"
#include "perturb.h"
#include "policy.h"
#include "range.h"

/*
 * How candidates are tried. The policy core never touches a socket: the
 * hook hands it callbacks that ask the kernel, KUnit hands it a bitmap.
 */
struct portsel_probe_ops {
	/* ip_local_reserved_ports: never handed out, not counted as probes */
	bool (*reserved)(void *ctx, u16 port);
	/* 0: the port is now the socket's; -EADDRNOTAVAIL: busy; else fatal */
	int (*try_port)(void *ctx, u16 port);
	/*
	 * Optional: ports known busy in bulk, none of them reserved, which
	 * try_port may fill during the scan. The loops count them as probes
	 * without a call.
	 */
	const struct portsel_busyset *known;
};

/* The module's (connect.c), named for select.c's direct calls of them. */
bool portsel_try_reserved(void *ctx, u16 port);
int portsel_try_port(void *ctx, u16 port);

/* Everything one connect() brings to the choice; no global state read. */
struct portsel_request {
	enum portsel_policy policy;
	struct portsel_range range;
	bool reserve_odd;
	/* a socket with IP_LOCAL_PORT_RANGE and socket_range_parity=0 */
	bool no_parity;
	/* its salt is ignored: the hashing policies use a copy */
	const struct portsel_tuple *tuple;
	/* the kernel's hash of the addresses and remote port (even-first) */
	u64 port_offset;
	const siphash_key_t *key;
	u32 epoch;		/* even-first's re-salt period number */
	u32 rnd;		/* random: the policy's rnd_bits low bits */
	/* net.portsel.step_width, 0 = off, and the step's random word */
	u32 step_width;
	u32 step_rnd;
	unsigned long now;	/* jiffies */
	unsigned long hold;	/* exhaustion hold in jiffies, 0 = off */
};

/*
 * State shared between connects: the table, the netns' counters (hint:
 * sequential and sequential-even; next: random-inc), until when (jiffies)
 * the netns' port releases are watched for even-first's memory (see
 * portsel_watch()), the netns' released slot for ports bind() held
 * (memory.h), and the clock.
 */
struct portsel_shared {
	struct portsel_perturb *table;
	u32 *hint;
	u32 *next;
	unsigned long *watch;
	u16 *freed_any;
	unsigned long (*clock)(void);	/* jiffies, read again at a mark */
};

struct portsel_result {
	u16 port;		/* 0 unless a port was handed out */
	u32 probes;		/* ports tried */
	bool skipped_scan;	/* exhaustion memory spared a scan */
	bool hinted;		/* the port was a released one, taken at once */
	u32 known_busy;		/* probes answered by @ops->known */
};

int portsel_probe(struct portsel_order *o, const struct portsel_probe_ops *ops,
		  void *ctx, struct portsel_result *res);
/**
 * portsel_watching - are the netns' port releases being watched?
 * @watch: until when they are (jiffies)
 * @now: jiffies
 *
 * Inline: every release of a port asks.
 *
 * Return: true while a release must update even-first's memory.
 */
static inline bool portsel_watching(const unsigned long *watch,
				    unsigned long now)
{
	return time_before(now, READ_ONCE(*watch));
}

int portsel_choose(const struct portsel_request *req,
		   struct portsel_shared *sh,
		   const struct portsel_probe_ops *ops, void *ctx,
		   struct portsel_result *res);

#endif /* _PORTSEL_SELECT_H */

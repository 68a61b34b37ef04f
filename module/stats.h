/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_STATS_H
#define _PORTSEL_STATS_H

#include <linux/types.h>

#include "policy.h"

struct portsel_result;
struct seq_file;

/* Counters of one policy in one netns on one CPU; summed when read. */
struct portsel_stats {
	u64 connects;		/* ports handed out */
	u64 failures;		/* -EADDRNOTAVAIL returned */
	u64 probes;		/* ports tried */
	u64 max_probes;		/* most ports tried by one connect() */
	u64 other_parity;	/* ports handed out from the other parity */
	u64 errors;		/* any other error */
	u64 skipped_scans;	/* scans spared by the exhaustion memory */
	u64 busy_by_lookup;	/* probes answered without asking the kernel */
	u64 busy_walks;		/* walks of the established hash */
};

struct portsel_cpu_stats {
	struct portsel_stats policy[PORTSEL_POLICY_NR];
};

void portsel_stats_account(struct portsel_cpu_stats __percpu *stats,
			   enum portsel_policy policy,
			   const struct portsel_result *res, bool other_parity,
			   u32 busy_by_lookup, bool walked, int err);
int portsel_stats_show(struct seq_file *seq,
		       struct portsel_cpu_stats __percpu *stats);

#endif /* _PORTSEL_STATS_H */

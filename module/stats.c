// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters of each policy, and their text in /proc/net/portsel_stat.
 * Which netns they count for, and the file itself, are netns.c's.
 *
 * The connect path only bumps counters of its own CPU with preemption off:
 * no lock, no atomic, no shared cache line. A read sums every CPU, so it
 * may miss a connect that is in flight, never count one twice.
 */

#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "select.h"
#include "stats.h"

void portsel_stats_account(struct portsel_cpu_stats __percpu *stats,
			   enum portsel_policy policy,
			   const struct portsel_result *res, bool other_parity,
			   u32 busy_by_lookup, bool walked, int err)
{
	struct portsel_stats *s = &get_cpu_ptr(stats)->policy[policy];

	s->probes += res->probes;
	if (res->probes > s->max_probes)
		s->max_probes = res->probes;
	if (res->skipped_scan)
		s->skipped_scans++;
	s->busy_by_lookup += busy_by_lookup;
	s->busy_walks += walked;
	if (!err) {
		s->connects++;
		if (other_parity)
			s->other_parity++;
	} else if (err == -EADDRNOTAVAIL) {
		s->failures++;
	} else {
		s->errors++;
	}
	put_cpu_ptr(stats);
}

static void portsel_stats_sum(struct portsel_cpu_stats __percpu *stats,
			      enum portsel_policy p, struct portsel_stats *sum)
{
	const struct portsel_stats *s;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		s = &per_cpu_ptr(stats, cpu)->policy[p];
		sum->connects += READ_ONCE(s->connects);
		sum->failures += READ_ONCE(s->failures);
		sum->probes += READ_ONCE(s->probes);
		sum->max_probes = max(sum->max_probes, READ_ONCE(s->max_probes));
		sum->other_parity += READ_ONCE(s->other_parity);
		sum->errors += READ_ONCE(s->errors);
		sum->skipped_scans += READ_ONCE(s->skipped_scans);
		sum->busy_by_lookup += READ_ONCE(s->busy_by_lookup);
		sum->busy_walks += READ_ONCE(s->busy_walks);
	}
}

/**
 * portsel_stats_show - the text of /proc/net/portsel_stat
 * @seq: the file
 * @stats: the counters of the file's netns
 *
 * Return: 0.
 */
int portsel_stats_show(struct seq_file *seq,
		       struct portsel_cpu_stats __percpu *stats)
{
	struct portsel_stats sum;
	int p;

	seq_puts(seq, "policy connects failures probes max_probes other_parity errors skipped_scans busy_by_lookup busy_walks\n");
	/* kernel's own choices are not seen by portsel: no row for them */
	for (p = PORTSEL_KERNEL + 1; p < PORTSEL_POLICY_NR; p++) {
		portsel_stats_sum(stats, p, &sum);
		seq_printf(seq, "%s %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   portsel_policy_name(p), sum.connects, sum.failures,
			   sum.probes, sum.max_probes, sum.other_parity,
			   sum.errors, sum.skipped_scans, sum.busy_by_lookup,
			   sum.busy_walks);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The perturbation table, and the exhaustion memory's words and slots
 * beside it.
 */

#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/slab.h>

#include "perturb.h"

/**
 * portsel_perturb_init - allocate a table of 2^@shift buckets
 * @t: the table
 * @shift: log2 of its size, %PORTSEL_PERTURB_SHIFT_MIN..%PORTSEL_PERTURB_SHIFT_MAX
 *
 * The counters start at zero: their values are only ever added to a keyed
 * hash, so a known start gives nothing away.
 *
 * Return: 0, -EINVAL for a bad @shift or -ENOMEM.
 */
int portsel_perturb_init(struct portsel_perturb *t, unsigned int shift)
{
	size_t n;

	if (shift < PORTSEL_PERTURB_SHIFT_MIN ||
	    shift > PORTSEL_PERTURB_SHIFT_MAX)
		return -EINVAL;

	n = (size_t)1 << shift;
	t->count = kvcalloc(n, sizeof(*t->count), GFP_KERNEL);
	if (!t->count)
		return -ENOMEM;
	t->mem = kvcalloc(n, sizeof(*t->mem), GFP_KERNEL);
	if (!t->mem)
		goto err_free_count;
	t->freed = kvcalloc(n, sizeof(*t->freed), GFP_KERNEL);
	if (!t->freed)
		goto err_free_mem;
	t->mask = n - 1;
	return 0;

err_free_mem:
	kvfree(t->mem);
	t->mem = NULL;
err_free_count:
	kvfree(t->count);
	t->count = NULL;
	return -ENOMEM;
}

void portsel_perturb_free(struct portsel_perturb *t)
{
	kvfree(t->freed);
	t->freed = NULL;
	kvfree(t->mem);
	kvfree(t->count);
	t->mem = NULL;
	t->count = NULL;
}

/**
 * portsel_perturb_increment - how far a bucket moves after a success
 * @skipped: slots the scan walked past before the one handed out (busy,
 *	     known busy or reserved)
 * @rnd: random bits; the low three are used
 * @step: ports between two tries: 2 over one parity, 1 without parity
 *
 * The rule Linux adopted in 2022 (CVE-2022-32296): @step * (1 + max(skipped,
 * random 0..7)); with parity, 2 + 2 * max(...). The random part keeps an
 * observer from predicting the next port under low load; under contention
 * the skipped ports dominate and the next connect starts past them. Linux
 * 6.8 scales it by the step for sockets scanned without parity.
 */
u32 portsel_perturb_increment(u32 skipped, u32 rnd, u32 step)
{
	return step * (1 + max(skipped, rnd & 7));
}

void portsel_perturb_advance(struct portsel_perturb *t, u32 idx, u32 skipped,
			     u32 rnd, u32 step)
{
	WRITE_ONCE(t->count[idx], READ_ONCE(t->count[idx]) +
		   portsel_perturb_increment(skipped, rnd, step));
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The perturbation table and the exhaustion memory beside it.
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
	t->full = kvcalloc(n, sizeof(*t->full), GFP_KERNEL);
	if (!t->full)
		goto err_free_count;
	t->mask = n - 1;
	return 0;

err_free_count:
	kvfree(t->count);
	t->count = NULL;
	return -ENOMEM;
}

void portsel_perturb_free(struct portsel_perturb *t)
{
	kvfree(t->full);
	kvfree(t->count);
	t->full = NULL;
	t->count = NULL;
}

/**
 * portsel_perturb_increment - how far a bucket moves after a success
 * @skipped: busy ports tried before the one handed out
 * @rnd: random bits; the low three are used
 *
 * The rule Linux adopted in 2022 (CVE-2022-32296): 2 + 2 * max(skipped,
 * random 0..7). The random part keeps an observer from predicting the next
 * port under low load; under contention the skipped ports dominate and the
 * next connect starts past them.
 */
u32 portsel_perturb_increment(u32 skipped, u32 rnd)
{
	return 2 + 2 * max(skipped, rnd & 7);
}

void portsel_perturb_advance(struct portsel_perturb *t, u32 idx, u32 skipped,
			     u32 rnd)
{
	WRITE_ONCE(t->count[idx], READ_ONCE(t->count[idx]) +
		   portsel_perturb_increment(skipped, rnd));
}

static u64 portsel_mark(u32 tag, unsigned long now)
{
	u64 mark = (u64)tag << 32 | (u32)now;

	/* 0 means "no mark": a scan at that instant is recorded a jiffy late */
	return mark ?: 1;
}

void portsel_perturb_mark_full(struct portsel_perturb *t, u32 idx, u32 tag,
			       unsigned long now)
{
	WRITE_ONCE(t->full[idx], portsel_mark(tag, now));
}

/* Only the destination that set a mark clears it. */
void portsel_perturb_clear_full(struct portsel_perturb *t, u32 idx, u32 tag)
{
	u64 mark = READ_ONCE(t->full[idx]);

	if (mark && mark >> 32 == tag)
		WRITE_ONCE(t->full[idx], 0);
}

/**
 * portsel_perturb_is_full - is this destination's preferred parity known full?
 * @t: the table
 * @idx: the bucket
 * @tag: the destination's tag
 * @now: jiffies
 * @hold: how long a mark holds, in jiffies (below 2^31); 0 disables the memory
 *
 * Return: true from the mark's jiffy up to, not including, @hold later.
 */
bool portsel_perturb_is_full(const struct portsel_perturb *t, u32 idx,
			     u32 tag, unsigned long now, unsigned long hold)
{
	u64 mark = READ_ONCE(t->full[idx]);

	if (!hold || !mark || mark >> 32 != tag)
		return false;
	/* u32 arithmetic: the age is right across the jiffies wrap */
	return (u32)now - (u32)mark < hold;
}

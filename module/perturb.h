/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_PERTURB_H
#define _PORTSEL_PERTURB_H

#include <linux/compiler.h>
#include <linux/types.h>

#define PORTSEL_PERTURB_SHIFT_MIN	8
#define PORTSEL_PERTURB_SHIFT_MAX	16

/*
 * RFC 6056 Algorithm 4's table of counters, one per hash bucket, and beside
 * it even-first's exhaustion memory, one word per bucket (memory.h). Both
 * are read and written without locks: a lost counter update costs a little
 * spread, never a wrong port; the memory's words change only by cmpxchg.
 */
struct portsel_perturb {
	u32 mask;
	u32 *count;
	u64 *mem;
};

int portsel_perturb_init(struct portsel_perturb *t, unsigned int shift);
void portsel_perturb_free(struct portsel_perturb *t);

static inline u32 portsel_perturb_index(const struct portsel_perturb *t,
					u64 hash)
{
	return (u32)hash & t->mask;
}

u32 portsel_perturb_increment(u32 skipped, u32 rnd, u32 step);
void portsel_perturb_advance(struct portsel_perturb *t, u32 idx, u32 skipped,
			     u32 rnd, u32 step);

#endif /* _PORTSEL_PERTURB_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_PERTURB_H
#define _PORTSEL_PERTURB_H

#include <linux/compiler.h>
#include <linux/minmax.h>
#include <linux/types.h>

#define PORTSEL_PERTURB_SHIFT_MIN	8
#define PORTSEL_PERTURB_SHIFT_MAX	16

/*
 * RFC 6056 Algorithm 4's table of counters, one per hash bucket, and beside
 * it even-first's exhaustion memory, one word per bucket, and as many
 * slots of when a destination last gave a port back (memory.h). All are
 * read and written without locks: a lost counter update costs a little
 * spread, never a wrong port; the memory's words change only by cmpxchg,
 * its slots only by a whole store.
 */
struct portsel_perturb {
	u32 mask;
	u32 *count;
	u64 *mem;
	u16 *freed;
};

int portsel_perturb_init(struct portsel_perturb *t, unsigned int shift);
void portsel_perturb_free(struct portsel_perturb *t);

static inline u32 portsel_perturb_index(const struct portsel_perturb *t,
					u64 hash)
{
	return (u32)hash & t->mask;
}

/*
 * The released slot of a destination: the kernel's port_offset hashes its
 * addresses and remote port, and nothing of the range, device or family
 * that tell its keys apart. Its high half, as the kernel's start does.
 */
static inline u16 *portsel_perturb_freed(const struct portsel_perturb *t,
					 u64 port_offset)
{
	return &t->freed[(u32)(port_offset >> 32) & t->mask];
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
static inline u32 portsel_perturb_increment(u32 skipped, u32 rnd, u32 step)
{
	return step * (1 + max(skipped, rnd & 7));
}

/* Move the bucket after a success: inline, every such connect does. */
static inline void portsel_perturb_advance(struct portsel_perturb *t, u32 idx,
					   u32 skipped, u32 rnd, u32 step)
{
	WRITE_ONCE(t->count[idx], READ_ONCE(t->count[idx]) +
		   portsel_perturb_increment(skipped, rnd, step));
}

#endif /* _PORTSEL_PERTURB_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_PERTURB_H
#define _PORTSEL_PERTURB_H

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/types.h>

#define PORTSEL_PERTURB_SHIFT_MIN	8
#define PORTSEL_PERTURB_SHIFT_MAX	16

/*
 * RFC 6056 Algorithm 4's table of counters, one per hash bucket, and beside
 * it the exhaustion memory: when even-first found every preferred-parity
 * port of the range busy, one word saying for whom and when: the tuple's
 * tag (32 hash bits the index does not use) above the low 32 bits of
 * jiffies; 0 means "no mark". The tag keeps a mark to the destination that
 * set it: another one sharing the bucket neither sees nor clears it.
 * Both arrays are read and written without locks, as the kernel's own
 * table_perturb is: a lost update costs a little spread or one more scan,
 * never a wrong port.
 */
struct portsel_perturb {
	u32 mask;
	u32 *count;
	u64 *full;
};

int portsel_perturb_init(struct portsel_perturb *t, unsigned int shift);
void portsel_perturb_free(struct portsel_perturb *t);

static inline u32 portsel_perturb_index(const struct portsel_perturb *t,
					u64 hash)
{
	return (u32)hash & t->mask;
}

u32 portsel_perturb_increment(u32 skipped, u32 rnd);
void portsel_perturb_advance(struct portsel_perturb *t, u32 idx, u32 skipped,
			     u32 rnd);

void portsel_perturb_mark_full(struct portsel_perturb *t, u32 idx, u32 tag,
			       unsigned long now);
void portsel_perturb_clear_full(struct portsel_perturb *t, u32 idx, u32 tag);
bool portsel_perturb_is_full(const struct portsel_perturb *t, u32 idx,
			     u32 tag, unsigned long now, unsigned long hold);

#endif /* _PORTSEL_PERTURB_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_MEMORY_H
#define _PORTSEL_MEMORY_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/types.h>

/*
 * even-first's exhaustion memory: one 64-bit word per perturbation bucket,
 * about one key (netns, protocol, bound device, addresses, destination
 * port, effective range, reserve_odd and the re-salt epoch, hashed):
 *
 *   63..32  tag    the key's 32 hash bits that the bucket index does not use
 *   31..16  hint   a port of this key released since the word was written,
 *                  0 for none
 *   15..0   stamp  (u16)jiffies of the scan that found every port of the
 *                  key's preferred parity busy; 0 while it is not known full
 *
 * The word is only ever replaced whole, with cmpxchg. A connect keeps the
 * value it read before scanning and marks the key full only if the word is
 * unchanged at the end: a release of one of the key's ports meanwhile
 * rewrites the word (with a hint), so the mark is not set on a parity that
 * is no longer full. A mark never outlives its epoch (the tag changes with
 * the salt), which bounds a stamp's age to the re-salt period: 16 bits of
 * jiffies are exact for it.
 *
 * A word is about one key, but a port given back is free for every key
 * that covers it: a socket of the same destination with another range,
 * another bound device or the other family (v4-mapped), or any socket at
 * all once a port that bind() held comes back. Beside the words, a table
 * of u16 jiffies, one slot per hash of the kernel's port_offset (the
 * addresses and remote port alone: every key of a destination shares
 * it), records when a port of that destination was last given back, and
 * one per netns slot when a bind()-held port was. A mark stands only
 * while neither moved since its scan began. Slots shared by two
 * destinations, or stale ones that alias into a mark's window, only ever
 * end a mark early: that connect scans once more.
 */

/* The kernel re-salts its port hash every 10 s; even-first does the same. */
#define PORTSEL_RESALT_PERIOD	(10 * HZ)
static_assert(PORTSEL_RESALT_PERIOD < 1 << 16);

#define PORTSEL_MEM_TAG_SHIFT	32
#define PORTSEL_MEM_HINT_MASK	GENMASK_ULL(31, 16)
#define PORTSEL_MEM_HINT_SHIFT	16

static inline u64 portsel_mem_word(u32 tag, u16 hint, u16 stamp)
{
	return (u64)tag << PORTSEL_MEM_TAG_SHIFT |
	       (u64)hint << PORTSEL_MEM_HINT_SHIFT | stamp;
}

static inline u32 portsel_mem_tag(u64 w)
{
	return w >> PORTSEL_MEM_TAG_SHIFT;
}

static inline u16 portsel_mem_hint_port(u64 w)
{
	return w >> PORTSEL_MEM_HINT_SHIFT;
}

static inline u16 portsel_mem_stamp(u64 w)
{
	return w;
}

/* A stamp for @now; 0 is "not full", so that jiffy is recorded as 1. */
static inline u16 portsel_mem_stamp_of(unsigned long now)
{
	return (u16)now ?: 1;
}

static inline u64 portsel_mem_read(const u64 *word)
{
	return READ_ONCE(*word);
}

/*
 * Replace *@word by @new if it still holds *@old; otherwise *@old is set
 * to what it holds. Fully ordered either way.
 */
static inline bool portsel_mem_update(u64 *word, u64 *old, u64 new)
{
	return try_cmpxchg64(word, old, new);
}

/* Inline: every even-first connect reads its word through these. */

/**
 * portsel_mem_full - is the key's preferred parity known to be full?
 * @w: the bucket's word
 * @tag: the key's tag
 * @now: jiffies
 * @hold: how long a mark holds, in jiffies (below 2^16); 0 disables it
 *
 * Return: true from the marking scan's jiffy up to, not including, @hold
 * later, unless a release of one of the key's preferred ports cleared it.
 */
static inline bool portsel_mem_full(u64 w, u32 tag, unsigned long now,
				    unsigned long hold)
{
	u16 stamp = portsel_mem_stamp(w);

	if (!hold || !stamp || portsel_mem_tag(w) != tag)
		return false;
	/* u16 arithmetic: exact, as a mark is younger than its epoch */
	return (u16)((u16)now - stamp) < hold;
}

/* The port of the key released last, or 0. */
static inline u16 portsel_mem_hint(u64 w, u32 tag)
{
	return portsel_mem_tag(w) == tag ? portsel_mem_hint_port(w) : 0;
}

void portsel_mem_released(u64 *word, u32 tag, u16 port, bool preferred);

/*
 * A port of the slot's destinations (or of the netns) was given back at
 * @now, or will be by @ahead jiffies (a port bind() held is free only
 * once inet_put_port() has removed its bucket, after the release is told:
 * dated ahead, the release ends the marks of scans that start meanwhile).
 */
#define PORTSEL_MEM_FREED_AHEAD	HZ

static_assert(PORTSEL_MEM_FREED_AHEAD < PORTSEL_RESALT_PERIOD);

static inline void portsel_mem_freed(u16 *slot, unsigned long now,
				     unsigned long ahead)
{
	WRITE_ONCE(*slot, (u16)(now + ahead));
}

/**
 * portsel_mem_freed_since - was a port given back since the word's mark?
 * @freed: a slot of the released table as portsel_mem_freed() left it
 * @w: a word that portsel_mem_full() found marked
 * @now: jiffies, read after @freed
 *
 * The mark's scan began at its stamp; a release in that very jiffy, or
 * in the one before (a stamp of jiffy 0 is recorded as 1), may have come
 * after it and counts, and so does one dated up to
 * %PORTSEL_MEM_FREED_AHEAD past @now (see portsel_mem_freed()). The
 * window is far shorter than 2^16 jiffies, so 16-bit arithmetic is exact
 * for every release inside it; an older slot value that aliases into it
 * only costs a scan.
 *
 * Return: true if the slot moved inside the window.
 */
static inline bool portsel_mem_freed_since(u16 freed, u64 w,
					   unsigned long now)
{
	u16 from = portsel_mem_stamp(w) - 1;
	u16 to = (u16)now + PORTSEL_MEM_FREED_AHEAD;

	return (u16)(freed - from) <= (u16)(to - from);
}

#endif /* _PORTSEL_MEMORY_H */

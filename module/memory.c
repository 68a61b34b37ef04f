// SPDX-License-Identifier: GPL-2.0
/*
 * The exhaustion memory's word: what a connect reads of it, and what a
 * release of a port writes to it. The layout is in memory.h.
 */

#include "memory.h"

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
bool portsel_mem_full(u64 w, u32 tag, unsigned long now, unsigned long hold)
{
	u16 stamp = portsel_mem_stamp(w);

	if (!hold || !stamp || portsel_mem_tag(w) != tag)
		return false;
	/* u16 arithmetic: exact, as a mark is younger than its epoch */
	return (u16)((u16)now - stamp) < hold;
}

/**
 * portsel_mem_freed_since - was a port given back since the word's mark?
 * @freed: a slot of the released table (memory.h), as read
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
bool portsel_mem_freed_since(u16 freed, u64 w, unsigned long now)
{
	u16 from = portsel_mem_stamp(w) - 1;
	u16 to = (u16)now + PORTSEL_MEM_FREED_AHEAD;

	return (u16)(freed - from) <= (u16)(to - from);
}

/* The port of the key released last, or 0. */
u16 portsel_mem_hint(u64 w, u32 tag)
{
	return portsel_mem_tag(w) == tag ? portsel_mem_hint_port(w) : 0;
}

/**
 * portsel_mem_released - one of the key's ports was released
 * @word: the bucket's word
 * @tag: the key's tag
 * @port: the port
 * @preferred: whether @port is of the key's preferred parity
 *
 * The word becomes this key's, with @port as the hint. A preferred port
 * makes the parity no longer full; a port of the other parity leaves the
 * key's mark as it was. Another key's word is replaced: it loses its mark
 * and pays for one scan, which is never wrong, while leaving it would let
 * a scan of this key that started before the release mark a parity that
 * is no longer full.
 */
void portsel_mem_released(u64 *word, u32 tag, u16 port, bool preferred)
{
	u64 old = portsel_mem_read(word);
	u16 stamp;

	do {
		stamp = 0;
		if (!preferred && portsel_mem_tag(old) == tag)
			stamp = portsel_mem_stamp(old);
	} while (!portsel_mem_update(word, &old,
				     portsel_mem_word(tag, port, stamp)));
}

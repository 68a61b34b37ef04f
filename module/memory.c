// SPDX-License-Identifier: GPL-2.0
/*
 * The exhaustion memory's word: what a connect reads of it, and what a
 * release of a port writes to it. The layout is in memory.h.
 */

#include "memory.h"

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

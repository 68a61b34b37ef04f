// SPDX-License-Identifier: GPL-2.0
/*
 * The deliberate bug of selftest_debug.h: read one byte past the end of
 * a kmalloc()ed buffer, which KASAN reports as slab-out-of-bounds.
 */

#include <linux/compiler.h>
#include <linux/printk.h>
#include <linux/slab.h>

#include "selftest_debug.h"

void portsel_selftest_debug(void)
{
	size_t len = 16;
	u8 *buf;

	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return;
	/* hide the length, so that the compiler cannot see the overflow */
	OPTIMIZER_HIDE_VAR(len);
	pr_warn("self-check build: reading past a %zu-byte buffer: %u\n",
		len, READ_ONCE(buf[len]));
	kfree(buf);
}

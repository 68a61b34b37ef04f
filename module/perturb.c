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

// SPDX-License-Identifier: GPL-2.0
/*
 * The policy core's state for the module: one key and one table for every
 * netns. The core's functions take them as arguments (struct
 * portsel_request, struct portsel_shared), so that KUnit can hand them its
 * own; the socket glue hands them these.
 */

#include <linux/cache.h>
#include <linux/random.h>

#include "state.h"

siphash_key_t portsel_key __read_mostly;
struct portsel_perturb portsel_table;

/**
 * portsel_state_init - draw the key and allocate the table
 * @perturb_shift: log2 of the table's size
 *
 * Return: as portsel_perturb_init().
 */
int portsel_state_init(unsigned int perturb_shift)
{
	get_random_bytes(&portsel_key, sizeof(portsel_key));
	return portsel_perturb_init(&portsel_table, perturb_shift);
}

void portsel_state_exit(void)
{
	portsel_perturb_free(&portsel_table);
}

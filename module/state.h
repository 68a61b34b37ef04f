/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_STATE_H
#define _PORTSEL_STATE_H

#include <linux/siphash.h>

#include "perturb.h"

/*
 * What every connect of every netns shares: the per-boot key of the tuple
 * hash, and the perturbation table with even-first's memory beside it.
 * Set up before the hook is installed and freed after it is removed.
 */
extern siphash_key_t portsel_key;
extern struct portsel_perturb portsel_table;

int portsel_state_init(unsigned int perturb_shift);
void portsel_state_exit(void);

#endif /* _PORTSEL_STATE_H */

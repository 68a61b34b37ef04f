/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_HOOK_H
#define _PORTSEL_HOOK_H

#include "connect.h"

int portsel_hook_call_orig(struct inet_timewait_death_row *death_row,
			   struct sock *sk, u64 port_offset,
			   portsel_check_t check);

int portsel_hook_install(void);
void portsel_hook_remove(void);
void portsel_hook_sync(void);

int portsel_release_hook_install(void);
void portsel_release_hook_remove(void);

#endif /* _PORTSEL_HOOK_H */

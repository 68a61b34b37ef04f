/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_CONNECT_H
#define _PORTSEL_CONNECT_H

#include "hook.h"

int portsel_connect(struct inet_timewait_death_row *death_row,
		    struct sock *sk, u64 port_offset, portsel_check_t check);

void portsel_connect_released_sock(struct sock *sk);
void portsel_connect_released_tw(struct inet_timewait_sock *tw,
				 struct inet_hashinfo *hashinfo);

#endif /* _PORTSEL_CONNECT_H */

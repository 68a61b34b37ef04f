/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_HOOK_H
#define _PORTSEL_HOOK_H

#include <linux/types.h>

struct inet_hashinfo;
struct inet_timewait_death_row;
struct inet_timewait_sock;
struct sock;

/* The check_established argument of __inet_hash_connect(). */
typedef int (*portsel_check_t)(struct inet_timewait_death_row *death_row,
			       struct sock *sk, __u16 lport,
			       struct inet_timewait_sock **twp);

/*
 * __inet_hash_connect() as the hook calls it and as its replacement must
 * be: hook_abi.h checks it against the kernel's prototype.
 */
typedef int portsel_hash_connect_fn(struct inet_timewait_death_row *death_row,
				    struct sock *sk,
#ifdef PORTSEL_SELFTEST_WRONG_PROTO
				    u32 port_offset,	/* scripts/build-fail.sh */
#else
				    u64 port_offset,
#endif
				    portsel_check_t check);

/* Told of each port given back: by a socket, by a TIME_WAIT socket. */
typedef void portsel_released_sock_fn(struct sock *sk);
typedef void portsel_released_tw_fn(struct inet_timewait_sock *tw,
				    struct inet_hashinfo *hashinfo);

int portsel_hook_call_orig(struct inet_timewait_death_row *death_row,
			   struct sock *sk, u64 port_offset,
			   portsel_check_t check);

int portsel_hook_install(portsel_hash_connect_fn *new_func);
void portsel_hook_remove(void);
void portsel_hook_sync(void);

int portsel_release_hook_install(portsel_released_sock_fn *sock_fn,
				 portsel_released_tw_fn *tw_fn);
int portsel_release_hook_start(void);
void portsel_release_hook_stop(void);
void portsel_release_hook_remove(void);

#endif /* _PORTSEL_HOOK_H */

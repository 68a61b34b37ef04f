/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_KUNIT_SIM_H
#define _PORTSEL_KUNIT_SIM_H

#include <kunit/test.h>
#include <linux/types.h>

#include "range.h"
#include "select.h"

/*
 * A simulated port space for the selection loop. What the hook asks of
 * the kernel's bind and established hashes, the tests ask of two bitmaps:
 * try_port takes a free port and reports a used one as busy, exactly the
 * contract of struct portsel_probe_ops.
 */
struct portsel_sim {
	unsigned long *used;		/* ports taken */
	unsigned long *reserved;	/* ip_local_reserved_ports */
	u32 tries;			/* try_port calls so far */
	int fail_err;			/* when non-zero, try_port ... */
	u16 fail_port;			/* ... returns it for this port */
	/* when set, called before each try: another CPU's doing meanwhile */
	void (*before_try)(struct portsel_sim *sim, u16 port);
	void *arg;			/* for before_try */
};

extern const struct portsel_probe_ops portsel_sim_ops;

struct portsel_sim *portsel_sim_new(struct kunit *test);
struct portsel_perturb *portsel_sim_table(struct kunit *test,
					  unsigned int shift);
u32 portsel_sim_used(const struct portsel_sim *sim,
		     const struct portsel_range *r, bool preferred);

#endif /* _PORTSEL_KUNIT_SIM_H */

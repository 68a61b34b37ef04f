// SPDX-License-Identifier: GPL-2.0
/*
 * What the suites share: a simulated port space for the selection loop and
 * perturbation tables that are freed with the test, whatever its outcome.
 */

#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/slab.h>

#include "sim.h"

#define PORTSEL_SIM_PORTS	65536

static bool portsel_sim_reserved(void *ctx, u16 port)
{
	struct portsel_sim *sim = ctx;

	return test_bit(port, sim->reserved);
}

static int portsel_sim_try(void *ctx, u16 port)
{
	struct portsel_sim *sim = ctx;

	sim->tries++;
	if (sim->before_try)
		sim->before_try(sim, port);
	if (sim->fail_err && port == sim->fail_port)
		return sim->fail_err;
	if (__test_and_set_bit(port, sim->used))
		return -EADDRNOTAVAIL;
	return 0;
}

const struct portsel_probe_ops portsel_sim_ops = {
	.reserved = portsel_sim_reserved,
	.try_port = portsel_sim_try,
};

/* An empty port space, freed with the test. */
struct portsel_sim *portsel_sim_new(struct kunit *test)
{
	struct portsel_sim *sim;

	sim = kunit_kzalloc(test, sizeof(*sim), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sim);
	sim->used = kunit_kcalloc(test, BITS_TO_LONGS(PORTSEL_SIM_PORTS),
				  sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sim->used);
	sim->reserved = kunit_kcalloc(test, BITS_TO_LONGS(PORTSEL_SIM_PORTS),
				      sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sim->reserved);
	return sim;
}

static int portsel_sim_table_init(struct kunit_resource *res, void *shift)
{
	struct portsel_perturb *t;
	int err;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	err = portsel_perturb_init(t, *(unsigned int *)shift);
	if (err) {
		kfree(t);
		return err;
	}
	res->data = t;
	return 0;
}

static void portsel_sim_table_free(struct kunit_resource *res)
{
	portsel_perturb_free(res->data);
	kfree(res->data);
}

/* A zeroed table of 2^@shift buckets, freed with the test. */
struct portsel_perturb *portsel_sim_table(struct kunit *test,
					  unsigned int shift)
{
	struct portsel_perturb *t;

	t = kunit_alloc_resource(test, portsel_sim_table_init,
				 portsel_sim_table_free, GFP_KERNEL, &shift);
	KUNIT_ASSERT_NOT_NULL(test, t);
	return t;
}

/* Used ports of @r of its preferred parity, or of the other one. */
u32 portsel_sim_used(const struct portsel_sim *sim,
		     const struct portsel_range *r, bool preferred)
{
	u32 port, n = 0;

	for (port = r->low; port <= r->high; port++)
		if (portsel_port_preferred(r, port) == preferred &&
		    test_bit(port, sim->used))
			n++;
	return n;
}

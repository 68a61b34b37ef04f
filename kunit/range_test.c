// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_range: port range arithmetic, and narrowing by IP_LOCAL_PORT_RANGE
 * checked against the kernel's own inet_sk_get_local_port_range().
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "order.h"
#include "range.h"
#include "select.h"
#include "sim.h"

struct range_case {
	const char *name;
	u16 low, high;
	u32 size, preferred, other;
};

static const struct range_case range_cases[] = {
	/* the ends differ in parity: as many even ports as odd ones */
	{ "default 32768-60999", 32768, 60999, 28232, 14116, 14116 },
	/* the ends share a parity: the preferred one has the extra port */
	{ "same parity ends 32768-61000", 32768, 61000, 28233, 14117, 14116 },
	{ "odd low end 32769-60999", 32769, 60999, 28231, 14116, 14115 },
	{ "one port 40000", 40000, 40000, 1, 1, 0 },
	{ "two ports 40000-40001", 40000, 40001, 2, 1, 1 },
	{ "three ports 40001-40003", 40001, 40003, 3, 2, 1 },
	/* 65536 ports: the size needs more than 16 bits */
	{ "whole space 0-65535", 0, 65535, 65536, 32768, 32768 },
	{ "top port alone 65535", 65535, 65535, 1, 1, 0 },
};

static void range_case_desc(const struct range_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(range, range_cases, range_case_desc);

static void sizes_and_parity_counts(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };

	KUNIT_EXPECT_EQ(test, portsel_range_size(&r), c->size);
	KUNIT_EXPECT_EQ(test, portsel_range_preferred(&r), c->preferred);
	KUNIT_EXPECT_EQ(test, portsel_range_other(&r), c->other);
}

/* The counts agree with the parity test applied port by port. */
static void parity_counts_match_enumeration(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	u32 port, pref = 0, other = 0;

	for (port = r.low; port <= r.high; port++) {
		if (portsel_port_preferred(&r, port))
			pref++;
		else
			other++;
	}
	KUNIT_EXPECT_EQ(test, pref, c->preferred);
	KUNIT_EXPECT_EQ(test, other, c->other);
	KUNIT_EXPECT_TRUE(test, portsel_port_preferred(&r, r.low));
}

/* The preferred parity is the low end's, whatever the high end's is. */
static void preferred_parity_is_that_of_low(struct kunit *test)
{
	struct portsel_range even = { .low = 32768, .high = 60999 };
	struct portsel_range odd = { .low = 32769, .high = 60999 };

	KUNIT_EXPECT_TRUE(test, portsel_port_preferred(&even, 32768));
	KUNIT_EXPECT_FALSE(test, portsel_port_preferred(&even, 32769));
	KUNIT_EXPECT_TRUE(test, portsel_port_preferred(&even, 60998));
	KUNIT_EXPECT_FALSE(test, portsel_port_preferred(&even, 60999));

	KUNIT_EXPECT_TRUE(test, portsel_port_preferred(&odd, 32769));
	KUNIT_EXPECT_FALSE(test, portsel_port_preferred(&odd, 32770));
	KUNIT_EXPECT_TRUE(test, portsel_port_preferred(&odd, 60999));
}

struct narrow_case {
	const char *name;
	u16 low, high;		/* the netns range */
	u16 sk_lo, sk_hi;	/* IP_LOCAL_PORT_RANGE, 0 when unset */
	u16 want_low, want_high;
};

static const struct narrow_case narrow_cases[] = {
	{ "unset", 32768, 60999, 0, 0, 32768, 60999 },
	{ "both inside", 32768, 60999, 40000, 50000, 40000, 50000 },
	{ "low below the range ignored", 32768, 60999, 1024, 50000,
	  32768, 50000 },
	{ "high above the range ignored", 32768, 60999, 40000, 65000,
	  40000, 60999 },
	{ "both outside ignored", 32768, 60999, 1024, 65535, 32768, 60999 },
	{ "only high set", 32768, 60999, 0, 40000, 32768, 40000 },
	{ "only low set", 32768, 60999, 50000, 0, 50000, 60999 },
	/*
	 * 40000 lies in the netns range but below the low end already
	 * narrowed to 50000: the kernel tests the high bound against the
	 * narrowed range, so it is ignored rather than inverting the range.
	 */
	{ "high below the narrowed low ignored", 32768, 60999, 50000, 40000,
	  50000, 60999 },
	{ "one port", 32768, 60999, 45000, 45000, 45000, 45000 },
	{ "exactly the netns bounds", 32768, 60999, 32768, 60999,
	  32768, 60999 },
	{ "low at the netns top", 32768, 60999, 60999, 1, 60999, 60999 },
	{ "one-port netns, bounds around it", 40000, 40000, 39999, 40001,
	  40000, 40000 },
};

static void narrow_case_desc(const struct narrow_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(narrow, narrow_cases, narrow_case_desc);

/*
 * A socket on a private struct net, for asking the kernel itself what it
 * makes of a netns range and a socket's range; init_net's sysctl is left
 * alone. Skips the test where a socket cannot point at another netns.
 */
static struct inet_sock *kernel_sock(struct kunit *test)
{
	struct inet_sock *inet;
	struct net *net;

	if (!IS_ENABLED(CONFIG_NET_NS))
		kunit_skip(test, "CONFIG_NET_NS=n: no netns to compare in");

	net = kunit_kzalloc(test, sizeof(*net), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, net);
	inet = kunit_kzalloc(test, sizeof(*inet), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, inet);

	portsel_net_port_range_init(net);
	sock_net_set(&inet->sk, net);
	return inet;
}

static void kernel_narrow(struct inet_sock *inet, u16 low, u16 high,
			  u16 sk_lo, u16 sk_hi, int *lo, int *hi)
{
	struct net *net = sock_net(&inet->sk);

	portsel_net_port_range_set(net, low, high);
	portsel_sk_port_range_swap(inet, portsel_sk_port_range(inet),
				   (u32)sk_hi << 16 | sk_lo);
	inet_sk_get_local_port_range(&inet->sk, lo, hi);
}

static void narrow_as_the_kernel_does(struct kunit *test)
{
	const struct narrow_case *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	int lo, hi;

	portsel_range_narrow(&r, c->sk_lo, c->sk_hi);
	KUNIT_EXPECT_EQ(test, r.low, c->want_low);
	KUNIT_EXPECT_EQ(test, r.high, c->want_high);

	kernel_narrow(kernel_sock(test), c->low, c->high, c->sk_lo, c->sk_hi,
		      &lo, &hi);
	KUNIT_EXPECT_EQ(test, r.low, lo);
	KUNIT_EXPECT_EQ(test, r.high, hi);
}

/*
 * Every socket range around a small netns range, bounds below, inside and
 * above it: the result stays a non-empty subrange and is the kernel's.
 */
static void narrow_agrees_with_kernel_everywhere(struct kunit *test)
{
	struct inet_sock *inet = kernel_sock(test);
	const u16 low = 100, high = 120;
	u16 sk_lo, sk_hi;
	int lo, hi;

	for (sk_lo = 0; sk_lo <= 130; sk_lo++) {
		for (sk_hi = 0; sk_hi <= 130; sk_hi++) {
			struct portsel_range r = { .low = low, .high = high };

			portsel_range_narrow(&r, sk_lo, sk_hi);
			KUNIT_ASSERT_LE(test, r.low, r.high);
			KUNIT_ASSERT_GE(test, r.low, low);
			KUNIT_ASSERT_LE(test, r.high, high);

			kernel_narrow(inet, low, high, sk_lo, sk_hi, &lo, &hi);
			KUNIT_ASSERT_EQ_MSG(test, r.low, lo, "sk %u-%u",
					    sk_lo, sk_hi);
			KUNIT_ASSERT_EQ_MSG(test, r.high, hi, "sk %u-%u",
					    sk_lo, sk_hi);
		}
	}
}

/*
 * Reserved ports are not eligible: with 40000, 40003, 40004 and 40009
 * reserved in 40000-40009, three even and three odd ports remain, and
 * the selection loop hands out exactly those, even ones first.
 */
static void reserved_ports_leave_the_rest_per_parity(struct kunit *test)
{
	static const u16 reserved[] = { 40000, 40003, 40004, 40009 };
	struct portsel_range r = { .low = 40000, .high = 40009 };
	struct portsel_sim *sim = portsel_sim_new(test);
	struct portsel_result res;
	struct portsel_order o;
	unsigned int i, got = 0;
	int err;

	for (i = 0; i < ARRAY_SIZE(reserved); i++)
		__set_bit(reserved[i], sim->reserved);

	for (;;) {
		portsel_order_parity(&o, &r, 0, false, false);
		err = portsel_probe(&o, &portsel_sim_ops, sim, &res);
		if (err)
			break;
		KUNIT_EXPECT_EQ_MSG(test, portsel_port_preferred(&r, res.port),
				    got < 3, "port %u", res.port);
		got++;
	}
	KUNIT_EXPECT_EQ(test, err, -EADDRNOTAVAIL);
	KUNIT_EXPECT_EQ(test, got, 6);
	KUNIT_EXPECT_EQ(test, portsel_sim_used(sim, &r, true), 3);
	KUNIT_EXPECT_EQ(test, portsel_sim_used(sim, &r, false), 3);
	for (i = 0; i < ARRAY_SIZE(reserved); i++)
		KUNIT_EXPECT_FALSE(test, test_bit(reserved[i], sim->used));
}

static struct kunit_case range_test_cases[] = {
	KUNIT_CASE_PARAM(sizes_and_parity_counts, range_gen_params),
	KUNIT_CASE_PARAM(parity_counts_match_enumeration, range_gen_params),
	KUNIT_CASE(preferred_parity_is_that_of_low),
	KUNIT_CASE_PARAM(narrow_as_the_kernel_does, narrow_gen_params),
	KUNIT_CASE(narrow_agrees_with_kernel_everywhere),
	KUNIT_CASE(reserved_ports_leave_the_rest_per_parity),
	{}
};

static struct kunit_suite range_test_suite = {
	.name = "portsel_range",
	.test_cases = range_test_cases,
};

kunit_test_suite(range_test_suite);

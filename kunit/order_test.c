// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_order: the candidate sequence of one connect() for each policy,
 * over a table of ranges, with and without reserve_odd.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/gcd.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "order.h"
#include "policy.h"
#include "range.h"

struct order_range {
	const char *name;
	u16 low, high;
};

static const struct order_range order_ranges[] = {
	{ "1 port 40000", 40000, 40000 },
	{ "2 ports 40000-40001", 40000, 40001 },
	{ "3 ports 40000-40002", 40000, 40002 },
	{ "3 ports odd low 40001-40003", 40001, 40003 },
	{ "11 ports 40000-40010", 40000, 40010 },
	{ "11 ports odd low 40001-40011", 40001, 40011 },
	{ "12 ports 40000-40011", 40000, 40011 },
	{ "default 32768-60999", 32768, 60999 },
	{ "same parity ends 32768-61000", 32768, 61000 },
	{ "odd low 32769-60999", 32769, 60999 },
	{ "top of the space 65533-65535", 65533, 65535 },
};

static void order_range_desc(const struct order_range *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(order_range, order_ranges, order_range_desc);

static const enum portsel_policy policies[] = {
	PORTSEL_EVEN_FIRST, PORTSEL_SEQUENTIAL, PORTSEL_RANDOM,
};

/* The policies that walk the range in step 1. */
static const enum portsel_policy step_one_policies[] = {
	PORTSEL_SEQUENTIAL, PORTSEL_RANDOM,
};

/* Small, large, odd, even, and values that wrap when added to. */
static const u32 starts[] = { 0, 1, 2, 7, 10, 11, 12345, 0x7fffffff,
			      0xfffffffe, 0xffffffff };

/* Room for a whole sequence of the largest range and one port too many. */
#define SEQ_MAX		65537

static u16 *seq_buffer(struct kunit *test)
{
	u16 *seq = kunit_kcalloc(test, SEQ_MAX, sizeof(*seq), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, seq);
	return seq;
}

/* The order's sequence, cut at @max ports so a runaway one still ends. */
static u32 collect(struct portsel_order *o, u16 *seq, u32 max)
{
	u32 n = 0;
	u16 port;

	while (n < max && portsel_order_next(o, &port))
		seq[n++] = port;
	return n;
}

/*
 * The shape each policy of this suite asks for: even-first's parity
 * passes; sequential and random walk the range in step 1.
 */
static void order_init(struct portsel_order *o, enum portsel_policy policy,
		       const struct portsel_range *r, u32 start,
		       bool reserve_odd, bool skip_preferred)
{
	if (policy == PORTSEL_EVEN_FIRST)
		portsel_order_parity(o, r, start, reserve_odd, skip_preferred);
	else
		portsel_order_linear(o, r, start, reserve_odd);
}

static u32 order_seq(const struct portsel_range *r, enum portsel_policy policy,
		     u32 start, bool reserve_odd, bool skip_preferred,
		     u16 *seq)
{
	struct portsel_order o;

	order_init(&o, policy, r, start, reserve_odd, skip_preferred);
	return collect(&o, seq, portsel_range_size(r) + 1);
}

/* What a failure message names: the policy, reserve_odd, the start. */
#define ORDER_MSG "%s reserve_odd %d start %u"

/*
 * Each policy's sequence is a permutation of the eligible ports: all of
 * them (the top port of an odd-sized range too, which the kernel's own
 * connect() never offers), none twice, none outside the range.
 */
static void check_permutation(struct kunit *test,
			      const struct portsel_range *r,
			      enum portsel_policy policy, bool ro, u32 start,
			      u16 *seq, unsigned long *seen)
{
	u32 want = ro ? portsel_range_preferred(r) : portsel_range_size(r);
	u32 n, i;

	n = order_seq(r, policy, start, ro, false, seq);
	KUNIT_ASSERT_EQ_MSG(test, n, want, ORDER_MSG,
			    portsel_policy_name(policy), ro, start);

	bitmap_zero(seen, 65536);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_GE(test, seq[i], r->low);
		KUNIT_ASSERT_LE(test, seq[i], r->high);
		KUNIT_ASSERT_FALSE_MSG(test, __test_and_set_bit(seq[i], seen),
				       "port %u twice; " ORDER_MSG, seq[i],
				       portsel_policy_name(policy), ro, start);
	}
	/* n distinct ports in range: the top one must be among them */
	KUNIT_EXPECT_EQ_MSG(test, test_bit(r->high, seen),
			    !ro || portsel_port_preferred(r, r->high),
			    ORDER_MSG, portsel_policy_name(policy), ro, start);
}

static void every_eligible_port_exactly_once(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	unsigned int p, s, ro;
	unsigned long *seen;
	u16 *seq = seq_buffer(test);

	seen = kunit_kcalloc(test, BITS_TO_LONGS(65536), sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);

	for (p = 0; p < ARRAY_SIZE(policies); p++)
		for (ro = 0; ro <= 1; ro++)
			for (s = 0; s < ARRAY_SIZE(starts); s++)
				check_permutation(test, &r, policies[p], ro,
						  starts[s], seq, seen);
}

static void check_preferred_only(struct kunit *test,
				 const struct portsel_range *r,
				 enum portsel_policy policy, u32 start,
				 u16 *seq)
{
	u32 n, i;

	n = order_seq(r, policy, start, true, false, seq);
	KUNIT_ASSERT_EQ(test, n, portsel_range_preferred(r));
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_TRUE_MSG(test, portsel_port_preferred(r, seq[i]),
				      "port %u; " ORDER_MSG, seq[i],
				      portsel_policy_name(policy), 1, start);
}

static void reserve_odd_never_yields_the_other_parity(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	unsigned int p, s;
	u16 *seq = seq_buffer(test);

	for (p = 0; p < ARRAY_SIZE(policies); p++)
		for (s = 0; s < ARRAY_SIZE(starts); s++)
			check_preferred_only(test, &r, policies[p], starts[s],
					     seq);
}

/* even-first: the whole preferred parity, then the whole other one. */
static void even_first_yields_preferred_parity_first(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	u32 pref = portsel_range_preferred(&r);
	unsigned int s;
	u16 *seq = seq_buffer(test);
	u32 n, i;

	for (s = 0; s < ARRAY_SIZE(starts); s++) {
		n = order_seq(&r, PORTSEL_EVEN_FIRST, starts[s], false, false,
			      seq);
		KUNIT_ASSERT_EQ(test, n, portsel_range_size(&r));
		for (i = 0; i < n; i++)
			KUNIT_ASSERT_EQ_MSG(test,
					    portsel_port_preferred(&r, seq[i]),
					    i < pref, "#%u port %u start %u",
					    i, seq[i], starts[s]);
	}
}

/*
 * skip_preferred (the preferred parity is known full): the other parity
 * first, the preferred one last; with reserve_odd nothing is left.
 */
static void skip_preferred_puts_the_other_parity_first(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	u32 other = portsel_range_other(&r);
	unsigned int s;
	u16 *seq = seq_buffer(test);
	u32 n, i;

	for (s = 0; s < ARRAY_SIZE(starts); s++) {
		n = order_seq(&r, PORTSEL_EVEN_FIRST, starts[s], false, true,
			      seq);
		KUNIT_ASSERT_EQ(test, n, portsel_range_size(&r));
		for (i = 0; i < n; i++)
			KUNIT_ASSERT_EQ_MSG(test,
					    portsel_port_preferred(&r, seq[i]),
					    i >= other, "#%u port %u start %u",
					    i, seq[i], starts[s]);

		n = order_seq(&r, PORTSEL_EVEN_FIRST, starts[s], true, true,
			      seq);
		KUNIT_EXPECT_EQ(test, n, 0);
	}
}

/*
 * sequential and random walk the range in step 1 from low + start % size,
 * wrapping from the top to the bottom; with reserve_odd in step 2 over the
 * preferred parity, from start rounded down to it.
 */
static void check_steps(struct kunit *test, const struct portsel_range *r,
			enum portsel_policy policy, bool ro, u32 start,
			u16 *seq)
{
	u32 first = start % portsel_range_size(r);
	u32 step = ro ? 2 : 1;
	u32 n, i;

	if (ro)
		first &= ~1;
	n = order_seq(r, policy, start, ro, false, seq);
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_EXPECT_EQ_MSG(test, seq[0], r->low + first, ORDER_MSG,
			    portsel_policy_name(policy), ro, start);
	for (i = 1; i < n; i++) {
		u32 next = seq[i - 1] + step;

		if (next > r->high)
			next = r->low;
		KUNIT_ASSERT_EQ_MSG(test, seq[i], next, "#%u; " ORDER_MSG, i,
				    portsel_policy_name(policy), ro, start);
	}
}

static void step_one_policies_walk_consecutive_ports(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	unsigned int p, s, ro;
	u16 *seq = seq_buffer(test);

	for (p = 0; p < ARRAY_SIZE(step_one_policies); p++)
		for (ro = 0; ro <= 1; ro++)
			for (s = 0; s < ARRAY_SIZE(starts); s++)
				check_steps(test, &r, step_one_policies[p], ro,
					    starts[s], seq);
}

/*
 * even-first starts at low + start % size rounded down to the preferred
 * parity, like the kernel's "offset &= ~1"; its second pass resumes next
 * to that slot on the other parity, like the kernel's second pass.
 */
static void even_first_starts_where_start_points(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	u32 size = portsel_range_size(&r);
	u32 pref = portsel_range_preferred(&r);
	u32 other = portsel_range_other(&r);
	unsigned int s;
	u16 *seq = seq_buffer(test);

	for (s = 0; s < ARRAY_SIZE(starts); s++) {
		u32 slot = (starts[s] % size) / 2;

		order_seq(&r, PORTSEL_EVEN_FIRST, starts[s], false, false,
			  seq);
		KUNIT_EXPECT_EQ_MSG(test, seq[0], r.low + 2 * slot,
				    "start %u", starts[s]);
		if (other)
			KUNIT_EXPECT_EQ_MSG(test, seq[pref],
					    r.low + 1 + 2 * (slot % other),
					    "start %u", starts[s]);
	}
}

/*
 * Start values spread over the range: as start runs over 0 .. size - 1,
 * step-1 orders begin once at every port, and parity orders begin twice
 * at every preferred port (start d and d + 1 round to the same slot),
 * except once at the top port of an odd-sized range.
 */
static void check_start_coverage(struct kunit *test,
				 const struct portsel_range *r,
				 enum portsel_policy policy, bool ro, u32 *hits)
{
	bool parity = ro || policy == PORTSEL_EVEN_FIRST;
	u32 size = portsel_range_size(r);
	struct portsel_order o;
	u32 start, d, want;
	u16 port;

	memset(hits, 0, size * sizeof(*hits));
	for (start = 0; start < size; start++) {
		order_init(&o, policy, r, start, ro, false);
		KUNIT_ASSERT_TRUE(test, portsel_order_next(&o, &port));
		hits[port - r->low]++;
	}
	for (d = 0; d < size; d++) {
		if (!parity)
			want = 1;
		else if (d & 1)
			want = 0;
		else
			want = d + 1 < size ? 2 : 1;
		KUNIT_ASSERT_EQ_MSG(test, hits[d], want,
				    "port %u; %s reserve_odd %d", r->low + d,
				    portsel_policy_name(policy), ro);
	}
}

static void starts_cover_the_whole_range(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	unsigned int p, ro;
	u32 *hits;

	hits = kunit_kcalloc(test, portsel_range_size(&r), sizeof(*hits),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hits);

	for (p = 0; p < ARRAY_SIZE(policies); p++)
		for (ro = 0; ro <= 1; ro++)
			check_start_coverage(test, &r, policies[p], ro, hits);
}

/* skip_preferred is even-first's alone: the other policies ignore it. */
static void step_one_policies_ignore_skip_preferred(struct kunit *test)
{
	struct portsel_range r = { .low = 40000, .high = 40010 };
	u16 *a = seq_buffer(test), *b = seq_buffer(test);
	unsigned int p, ro;
	u32 na, nb;

	for (p = 0; p < ARRAY_SIZE(step_one_policies); p++) {
		for (ro = 0; ro <= 1; ro++) {
			na = order_seq(&r, step_one_policies[p], 5, ro, false,
				       a);
			nb = order_seq(&r, step_one_policies[p], 5, ro, true,
				       b);
			KUNIT_ASSERT_EQ(test, na, nb);
			KUNIT_EXPECT_EQ(test, memcmp(a, b, na * sizeof(*a)), 0);
		}
	}
}

/* An exhausted order stays exhausted. */
static void order_ends_and_stays_ended(struct kunit *test)
{
	struct portsel_range r = { .low = 40000, .high = 40002 };
	struct portsel_order o;
	u16 port = 0;
	int i;

	portsel_order_parity(&o, &r, 0, false, false);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_TRUE(test, portsel_order_next(&o, &port));
	KUNIT_EXPECT_EQ(test, port, 40001);
	port = 1;
	KUNIT_EXPECT_FALSE(test, portsel_order_next(&o, &port));
	KUNIT_EXPECT_FALSE(test, portsel_order_next(&o, &port));
	KUNIT_EXPECT_EQ(test, port, 1);
}

/*
 * A permuted order with any stride portsel_order_coprime() gives is a
 * permutation of the eligible ports, and consecutive tries are that
 * stride apart.
 */
static void permuted_is_a_permutation(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	static const u32 rnds[] = { 0, 1, 2, 99, 12345, 0xffffffff };
	u32 n, i, k, want, stride, slots;
	struct portsel_order o;
	unsigned long *seen;
	u16 *seq = seq_buffer(test);
	unsigned int ro;

	seen = kunit_kcalloc(test, BITS_TO_LONGS(65536), sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (ro = 0; ro <= 1; ro++) {
		slots = ro ? portsel_range_preferred(&r) : portsel_range_size(&r);
		for (k = 0; k < ARRAY_SIZE(rnds); k++) {
			stride = portsel_order_coprime(slots, rnds[k]);
			KUNIT_ASSERT_GE(test, stride, 1);
			KUNIT_ASSERT_TRUE(test, slots < 3 || stride < slots);
			KUNIT_ASSERT_EQ(test, gcd(stride, slots) == 1 || slots < 2,
					true);
			portsel_order_permuted(&o, &r, rnds[k] ^ 0x5555, stride, ro);
			n = collect(&o, seq, portsel_range_size(&r) + 1);
			want = slots;
			KUNIT_ASSERT_EQ(test, n, want);
			bitmap_zero(seen, 65536);
			for (i = 0; i < n; i++) {
				KUNIT_ASSERT_GE(test, seq[i], r.low);
				KUNIT_ASSERT_LE(test, seq[i], r.high);
				KUNIT_ASSERT_FALSE(test, __test_and_set_bit(seq[i], seen));
				if (ro)
					KUNIT_ASSERT_TRUE(test,
							  portsel_port_preferred(&r, seq[i]));
			}
		}
	}
}

/* Strides are drawn over all of 1..n - 1 that are coprime to n. */
static void coprime_strides_spread(struct kunit *test)
{
	u32 rnd, s;
	bool hit[12] = {};

	for (rnd = 0; rnd < 1000; rnd++) {
		s = portsel_order_coprime(12, rnd);
		KUNIT_ASSERT_EQ(test, gcd(s, 12), 1);
		hit[s] = true;
	}
	/* 1, 5, 7, 11: every one coprime to 12, and nothing else */
	for (s = 0; s < 12; s++)
		KUNIT_EXPECT_EQ_MSG(test, hit[s], s == 1 || s == 5 || s == 7 ||
				    s == 11, "stride %u", s);
	KUNIT_EXPECT_EQ(test, portsel_order_coprime(1, 7), 1);
	KUNIT_EXPECT_EQ(test, portsel_order_coprime(2, 7), 1);
}

static struct kunit_case order_test_cases[] = {
	KUNIT_CASE_PARAM(permuted_is_a_permutation, order_range_gen_params),
	KUNIT_CASE(coprime_strides_spread),
	KUNIT_CASE_PARAM(every_eligible_port_exactly_once,
			 order_range_gen_params),
	KUNIT_CASE_PARAM(reserve_odd_never_yields_the_other_parity,
			 order_range_gen_params),
	KUNIT_CASE_PARAM(even_first_yields_preferred_parity_first,
			 order_range_gen_params),
	KUNIT_CASE_PARAM(skip_preferred_puts_the_other_parity_first,
			 order_range_gen_params),
	KUNIT_CASE_PARAM(step_one_policies_walk_consecutive_ports,
			 order_range_gen_params),
	KUNIT_CASE_PARAM(even_first_starts_where_start_points,
			 order_range_gen_params),
	KUNIT_CASE_PARAM(starts_cover_the_whole_range, order_range_gen_params),
	KUNIT_CASE(step_one_policies_ignore_skip_preferred),
	KUNIT_CASE(order_ends_and_stays_ended),
	{}
};

static struct kunit_suite order_test_suite = {
	.name = "portsel_order",
	.test_cases = order_test_cases,
};

kunit_test_suite(order_test_suite);

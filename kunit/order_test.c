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

/*
 * portsel_order_parity_first() is the first port of portsel_order_parity()
 * for every range, start, reserve_odd and other_first; none where the
 * order is empty.
 */
static void parity_first_is_the_orders_first(struct kunit *test)
{
	const struct order_range *c = test->param_value;
	struct portsel_range r = { .low = c->low, .high = c->high };
	struct portsel_order o;
	unsigned int i, flags;
	u16 want, got;
	bool any, have;

	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		for (flags = 0; flags < 4; flags++) {
			bool reserve_odd = flags & 1, other_first = flags & 2;

			portsel_order_parity(&o, &r, starts[i], reserve_odd,
					     other_first);
			any = portsel_order_next(&o, &want);
			got = 0;
			have = portsel_order_parity_first(&r, starts[i],
							  reserve_odd,
							  other_first, &got);
			KUNIT_EXPECT_EQ_MSG(test, have, any,
					    "start %u flags %u", starts[i],
					    flags);
			if (any && have)
				KUNIT_EXPECT_EQ_MSG(test, got, want,
						    "start %u flags %u",
						    starts[i], flags);
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

/* --- net.portsel.step_width: Linux 7.1's random coprime scan step ------- */

/*
 * The random word that makes portsel_order_scan_step() draw @s first out
 * of 1..@bound: the smallest with (rnd * bound) >> 32 == s - 1.
 */
static u32 rnd_for(u32 s, u32 bound)
{
	return (u32)((((u64)(s - 1) << 32) + bound - 1) / bound);
}

/*
 * The first draw is spread over all of 1..bound, both ends included
 * (65,537 is prime: every draw is coprime to it and stays).
 */
static void scan_step_draws_over_the_whole_bound(struct kunit *test)
{
	static const u32 bounds[] = { 1, 2, 3, 7, 12, 1000, 14116, 65535 };
	unsigned int i;
	u32 b, s;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		b = bounds[i];
		KUNIT_EXPECT_EQ(test, portsel_order_scan_step(65537, b, 0), 1);
		KUNIT_EXPECT_EQ(test, portsel_order_scan_step(65537, b,
							      U32_MAX), b);
		for (s = 1; s <= b && s <= 64; s++)
			KUNIT_EXPECT_EQ_MSG(test,
					    portsel_order_scan_step(65537, b,
								    rnd_for(s, b)),
					    s, "bound %u", b);
	}
}

struct step_case {
	u32 count, width, first, want;
};

/*
 * The rule worked by hand: the first draw, moved up while it shares a
 * factor with the count (odd steps only when the count is even), back to
 * 1 past min(count, width); 0 is off and a pass of one slot steps by 1.
 */
static const struct step_case step_cases[] = {
	{ 10, 10, 5, 7 },	/* 5 -> 6 is even with 10: 7 */
	{ 10, 6, 5, 1 },	/* 7 is past the width 6: back to 1 */
	{ 10, 4, 4, 1 },	/* 4 -> 5 > 4 */
	{ 10, 10, 3, 3 },	/* coprime at once */
	{ 9, 9, 3, 4 },		/* odd count: every step is a candidate */
	{ 9, 9, 6, 7 },
	{ 9, 3, 3, 1 },
	{ 12, 100, 12, 1 },	/* the bound is the count: 13 > 12 */
	{ 12, 100, 2, 5 },	/* 2 -> 3 (gcd 3) -> 5, 4 skipped */
	{ 7, 7, 7, 1 },		/* the count itself is never coprime */
	{ 15, 15, 9, 11 },	/* 9 (3) -> 10 (5) -> 11 */
	{ 14116, 4000, 3529, 3531 },	/* the default range's 14,116 slots */
	{ 14116, 4000, 2, 3 },
	{ 14116, 14116, 7058, 7059 },
	{ 14116, 60, 58, 59 },
	{ 2, 2, 1, 1 },
	{ 2, 2, 2, 1 },
	{ 3, 3, 2, 2 },
	{ 1, 100, 1, 1 },	/* one slot */
};

static void step_case_desc(const struct step_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "count %u width %u draw %u",
		 c->count, c->width, c->first);
}

KUNIT_ARRAY_PARAM(step, step_cases, step_case_desc);

static void scan_step_follows_the_kernels_rule(struct kunit *test)
{
	const struct step_case *c = test->param_value;
	u32 bound = min(c->count, c->width);

	KUNIT_EXPECT_EQ(test, portsel_order_scan_step(c->count, c->width,
						      rnd_for(c->first, bound)),
			c->want);
}

/* step_width 0 is off: step 1 whatever the random word; so is one slot. */
static void scan_step_off_and_single_slot(struct kunit *test)
{
	static const u32 rnds[] = { 0, 1, 0x80000000, U32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rnds); i++) {
		KUNIT_EXPECT_EQ(test, portsel_order_scan_step(14116, 0, rnds[i]),
				1);
		KUNIT_EXPECT_EQ(test, portsel_order_scan_step(1, 9, rnds[i]), 1);
		KUNIT_EXPECT_EQ(test, portsel_order_scan_step(0, 9, rnds[i]), 1);
	}
}

/*
 * The increment: by 1, or by 2 from an odd step when the count is even
 * (the even step between shares the factor 2 with it).
 */
static void scan_step_skips_even_steps_of_even_counts(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, portsel_order_step_next(3, 12), 5);
	KUNIT_EXPECT_EQ(test, portsel_order_step_next(1, 2), 3);
	KUNIT_EXPECT_EQ(test, portsel_order_step_next(4, 12), 5);
	KUNIT_EXPECT_EQ(test, portsel_order_step_next(3, 9), 4);
	KUNIT_EXPECT_EQ(test, portsel_order_step_next(4, 9), 5);
}

/*
 * The fallback: no coprime step at or above the draw within the bound,
 * so 1. In 30 slots a draw of 6 (gcd 6) would move to 7, coprime, were
 * 7 not past a width of 6. In 210 = 2 * 3 * 5 * 7 slots no step of 2..10
 * is coprime: a width of 10 always steps by 1, and 11 is the first
 * stride a width of 11 can reach.
 */
static void scan_step_falls_back_to_one(struct kunit *test)
{
	u32 s;

	KUNIT_EXPECT_EQ(test, portsel_order_scan_step(30, 6, rnd_for(6, 6)), 1);
	KUNIT_EXPECT_EQ(test, portsel_order_scan_step(30, 7, rnd_for(6, 7)), 7);
	for (s = 1; s <= 10; s++)
		KUNIT_EXPECT_EQ_MSG(test,
				    portsel_order_scan_step(210, 10, rnd_for(s, 10)),
				    1, "draw %u", s);
	KUNIT_EXPECT_EQ(test, portsel_order_scan_step(210, 11, rnd_for(2, 11)),
			11);
}

/* The widths the walks below are checked with. */
static const u32 step_widths[] = { 1, 2, 3, 4, 5, 6, 8, 13, 16, 30, 64,
				   1000, U32_MAX };

/* Range sizes 1..STEP_SIZES are walked with every width and draw. */
#define STEP_SIZES	64

/*
 * One walk: every eligible port once, none outside the range, the passes
 * in their parity order, and consecutive ports of a pass the pass's
 * stride apart. Returns false after reporting a failure.
 */
static bool check_step_walk(struct kunit *test, const struct portsel_range *r,
			    bool linear, bool ro, bool other_first, u32 start,
			    u32 width, u32 rnd, u16 *seq, unsigned long *seen)
{
	u32 size = portsel_range_size(r);
	u32 pref = portsel_range_preferred(r);
	u32 want, first, n, i, a = 0, b = 0;
	const char *why = NULL;
	struct portsel_order o;
	bool want_pref;

	if (linear)
		portsel_order_linear(&o, r, start, ro);
	else
		portsel_order_parity(&o, r, start, ro, other_first);
	portsel_order_step_width(&o, width, rnd);
	if (linear || !other_first)
		want = ro ? pref : size;
	else
		want = ro ? 0 : size;
	/* the passes in order: first the preferred parity (or the other) */
	first = linear ? want : (other_first ? portsel_range_other(r) : pref);
	n = collect(&o, seq, size + 1);

	if (n != want) {
		why = "ports (got, want)";
		a = n;
		b = want;
		goto out;
	}
	bitmap_zero(seen, 65536);
	for (i = 0; i < n && !why; i++) {
		/* the first pass is the preferred parity unless other_first */
		want_pref = i < first;
		if (other_first)
			want_pref = !want_pref;
		if (seq[i] < r->low || seq[i] > r->high ||
		    __test_and_set_bit(seq[i], seen))
			why = "out of range or twice (#, port)";
		else if (!linear && !ro &&
			 portsel_port_preferred(r, seq[i]) != want_pref)
			why = "of the wrong parity (#, port)";
		else if (ro && !portsel_port_preferred(r, seq[i]))
			why = "of bind's parity (#, port)";
		a = i;
		b = seq[i];
	}
	/* the stride: what portsel_order_scan_step() gave each pass */
	for (i = 0; i < o.npass && !why; i++) {
		const struct portsel_pass *p = &o.pass[i];

		if (p->count > 1 &&
		    p->stride != portsel_order_scan_step(p->count, width, rnd)) {
			why = "stride (pass, stride)";
			a = i;
			b = p->stride;
		}
	}
out:
	if (why)
		KUNIT_FAIL(test,
			   "%u-%u %s ro %d other_first %d start %u width %u rnd %u: %s %u %u",
			   r->low, r->high, linear ? "linear" : "parity", ro,
			   other_first, start, width, rnd, why, a, b);
	return !why;
}

/* The shapes a step width applies to, with reserve_odd and without. */
struct step_shape {
	bool linear, ro, other_first;
};

static const struct step_shape step_shapes[] = {
	{ false, false, false },	/* even-first, sequential-even */
	{ false, true, false },		/* ... with reserve_odd */
	{ false, false, true },		/* even-first, preferred known full */
	{ false, true, true },		/* ... with reserve_odd: nothing */
	{ true, false, false },		/* a socket range, no parity */
	{ true, true, false },
};

/* Every width of the table, every first draw it allows, every shape. */
static u32 check_step_range(struct kunit *test, const struct portsel_range *r,
			    u16 *seq, unsigned long *seen)
{
	static const u32 walk_starts[] = { 0, 5, 0xffffffff };
	u32 w, s, st, k, bound, walks = 0;
	const struct step_shape *sh;

	for (w = 0; w < ARRAY_SIZE(step_widths); w++) {
		/* the largest pass's draws: 1..min(count, width) */
		bound = min(portsel_range_size(r), step_widths[w]);
		for (s = 1; s <= bound; s++) {
			for (k = 0; k < ARRAY_SIZE(step_shapes) *
					ARRAY_SIZE(walk_starts); k++) {
				sh = &step_shapes[k % ARRAY_SIZE(step_shapes)];
				st = walk_starts[k / ARRAY_SIZE(step_shapes)];
				if (!check_step_walk(test, r, sh->linear, sh->ro,
						     sh->other_first, st,
						     step_widths[w],
						     rnd_for(s, bound), seq,
						     seen))
					return 0;
				walks++;
			}
		}
	}
	return walks;
}

/*
 * For every range size 1..STEP_SIZES (from an even and an odd low end),
 * every width of the table and every first draw the width allows: the
 * coprime walk, in parity passes (even-first, sequential-even; with
 * reserve_odd and with the other parity first) and in step 1 (a socket
 * with its own range under socket_range_parity=0), visits each port of
 * each parity exactly once.
 */
static void step_width_walks_visit_every_port_once(struct kunit *test)
{
	static const u16 lows[] = { 40000, 40001 };
	unsigned long *seen;
	u16 *seq = seq_buffer(test);
	u32 size, l, n, walks = 0;

	seen = kunit_kcalloc(test, BITS_TO_LONGS(65536), sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	for (l = 0; l < ARRAY_SIZE(lows); l++) {
		for (size = 1; size <= STEP_SIZES; size++) {
			struct portsel_range r = { lows[l], lows[l] + size - 1 };

			n = check_step_range(test, &r, seq, seen);
			if (!n)
				return;
			walks += n;
		}
	}
	kunit_info(test, "%u walks", walks);
}

/*
 * The point of the knob: walks no longer leave a reserved block at the
 * same port whatever they started on. 40000-40099 with 40020-40059
 * reserved (20 of the 50 even slots): with step 1, a walk from any of the
 * block's slots leaves it at 40060. With a width of 50 slots, over every
 * draw of 1..50 and every start in the block (1,000 walks): each of the
 * 30 free even ports is where some walk leaves, 40060 no more than 10 %
 * of the time (74 walks); a stride of 20..30 slots leaves after one step,
 * so every start has its own exit.
 */
static void step_width_leaves_a_reserved_block_anywhere(struct kunit *test)
{
	struct portsel_range r = { .low = 40000, .high = 40099 };
	u32 start, s, stride, after = 0, walks = 0;
	DECLARE_BITMAP(exits, 100);
	DECLARE_BITMAP(all, 100);
	struct portsel_order o;
	u16 port;

	bitmap_zero(all, 100);
	/* s = 0: the knob off */
	for (s = 0; s <= 50; s++) {
		bitmap_zero(exits, 100);
		for (start = 20; start < 60; start += 2) {
			portsel_order_parity(&o, &r, start, false, false);
			portsel_order_step_width(&o, s ? 50 : 0,
						 rnd_for(s ? s : 1, 50));
			do {
				KUNIT_ASSERT_TRUE(test,
						  portsel_order_next(&o, &port));
			} while (port >= 40020 && port <= 40059);
			KUNIT_ASSERT_EQ(test, port % 2, 0);
			__set_bit(port - 40000, exits);
			if (s) {
				__set_bit(port - 40000, all);
				after += port == 40060;
				walks++;
			}
		}
		stride = portsel_order_scan_step(50, 50, rnd_for(s ? s : 1, 50));
		if (!s) {
			KUNIT_EXPECT_EQ(test, bitmap_weight(exits, 100), 1);
			KUNIT_EXPECT_TRUE(test, test_bit(60, exits));
		} else if (stride >= 20 && stride <= 30) {
			KUNIT_EXPECT_EQ_MSG(test, bitmap_weight(exits, 100), 20,
					    "draw %u stride %u", s, stride);
		}
	}
	KUNIT_EXPECT_EQ(test, walks, 1000);
	KUNIT_EXPECT_EQ(test, bitmap_weight(all, 100), 30);
	KUNIT_EXPECT_LE(test, after, walks / 10);
	kunit_info(test, "40060 after %u of %u walks", after, walks);
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
	KUNIT_CASE_PARAM(parity_first_is_the_orders_first,
			 order_range_gen_params),
	KUNIT_CASE(scan_step_draws_over_the_whole_bound),
	KUNIT_CASE_PARAM(scan_step_follows_the_kernels_rule, step_gen_params),
	KUNIT_CASE(scan_step_off_and_single_slot),
	KUNIT_CASE(scan_step_skips_even_steps_of_even_counts),
	KUNIT_CASE(scan_step_falls_back_to_one),
	KUNIT_CASE(step_width_walks_visit_every_port_once),
	KUNIT_CASE(step_width_leaves_a_reserved_block_anywhere),
	{}
};

static struct kunit_suite order_test_suite = {
	.name = "portsel_order",
	.test_cases = order_test_cases,
};

kunit_test_suite(order_test_suite);

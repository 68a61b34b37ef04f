// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_perturb: the table of RFC 6056 Algorithm 4 counters, and the
 * exhaustion memory's words allocated beside it.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "perturb.h"
#include "sim.h"

struct increment_case {
	u32 skipped, rnd, want;
};

static const struct increment_case increment_cases[] = {
	{ 0, 0, 2 },		/* nothing skipped, no random part: 2 */
	{ 0, 7, 16 },		/* the largest random part */
	{ 0, 8, 2 },		/* only the low three random bits count */
	{ 0, 0xffffffff, 16 },
	{ 3, 5, 12 },		/* the larger of the two ... */
	{ 5, 3, 12 },		/* ... whichever it is */
	{ 7, 7, 16 },
	{ 8, 7, 18 },		/* past 7 the skipped ports alone count */
	{ 14116, 3, 28234 },	/* a full scan of the default range */
	{ 65535, 0, 131072 },	/* the most a scan can skip */
};

static void increment_case_desc(const struct increment_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "skipped %u rnd %#x",
		 c->skipped, c->rnd);
}

KUNIT_ARRAY_PARAM(increment, increment_cases, increment_case_desc);

/* 2 + 2 * max(skipped, rnd & 7), Linux's rule since CVE-2022-32296. */
static void increment_is_two_plus_twice_the_max(struct kunit *test)
{
	const struct increment_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, portsel_perturb_increment(c->skipped, c->rnd, 2),
			c->want);
}

/* The counter is modular: only its sum with the hash offset matters. */
static void counter_wraps_around_u32(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);

	t->count[9] = U32_MAX - 1;
	portsel_perturb_advance(t, 9, 0, 0, 2);
	KUNIT_EXPECT_EQ(test, t->count[9], 0);

	t->count[9] = U32_MAX - 1;
	portsel_perturb_advance(t, 9, 0, 3, 2);
	KUNIT_EXPECT_EQ(test, t->count[9], 6);

	t->count[9] = U32_MAX;
	portsel_perturb_advance(t, 9, 100, 0, 2);
	KUNIT_EXPECT_EQ(test, t->count[9], 201);
}

static const unsigned int good_shifts[] = {
	8, 9, 10, 11, 12, 13, 14, 15, 16
};

static void shift_desc(const unsigned int *shift, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "2^%u buckets", *shift);
}

KUNIT_ARRAY_PARAM(good_shift, good_shifts, shift_desc);

/*
 * A table of 2^shift zeroed buckets, indexed by the hash's low bits. The
 * top bucket is written so that KASAN catches a table allocated short.
 */
static void table_has_two_to_the_shift_buckets(struct kunit *test)
{
	unsigned int shift = *(const unsigned int *)test->param_value;
	struct portsel_perturb *t = portsel_sim_table(test, shift);
	u32 n = 1U << shift, i;

	KUNIT_EXPECT_EQ(test, t->mask, n - 1);
	KUNIT_EXPECT_EQ(test, portsel_perturb_index(t, ~0ULL), n - 1);
	KUNIT_EXPECT_EQ(test, portsel_perturb_index(t, n), 0);
	KUNIT_EXPECT_EQ(test, portsel_perturb_index(t, 0xabcd00000000ULL | 5),
			5);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, t->count[i], 0);
		KUNIT_ASSERT_EQ(test, t->mem[i], 0);
	}
	t->count[n - 1] = 1;
	t->mem[n - 1] = 1;

	portsel_perturb_free(t);
	KUNIT_EXPECT_NULL(test, t->count);
	KUNIT_EXPECT_NULL(test, t->mem);
}

static const unsigned int bad_shifts[] = { 0, 7, 17, 32 };

KUNIT_ARRAY_PARAM(bad_shift, bad_shifts, shift_desc);

static void init_rejects_other_sizes(struct kunit *test)
{
	unsigned int shift = *(const unsigned int *)test->param_value;
	struct portsel_perturb t = {};

	KUNIT_EXPECT_EQ(test, portsel_perturb_init(&t, shift), -EINVAL);
	KUNIT_EXPECT_NULL(test, t.count);
	KUNIT_EXPECT_NULL(test, t.mem);
}

/* One bucket's counter moves; the other 255 stay zero. */
static void updates_stay_in_their_bucket(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);
	u32 i;

	portsel_perturb_advance(t, 77, 0, 0, 2);
	portsel_perturb_advance(t, 77, 4, 1, 2);
	portsel_perturb_advance(t, 77, 0, 7, 2);

	KUNIT_EXPECT_EQ(test, t->count[77], 2 + 10 + 16);
	for (i = 0; i <= t->mask; i++) {
		if (i == 77)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, t->count[i], 0, "bucket %u", i);
	}
}

/* Without parity (Linux 6.8, a socket with its own range): step 1. */
static void increment_without_parity_is_one_plus_the_max(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, portsel_perturb_increment(0, 0, 1), 1);
	KUNIT_EXPECT_EQ(test, portsel_perturb_increment(0, 5, 1), 6);
	KUNIT_EXPECT_EQ(test, portsel_perturb_increment(9, 5, 1), 10);
	KUNIT_EXPECT_EQ(test, portsel_perturb_increment(0, 8, 1), 1);
	/* so a run of connects does not keep one parity */
	KUNIT_EXPECT_EQ(test, portsel_perturb_increment(0, 2, 1) % 2, 1);
}

static struct kunit_case perturb_test_cases[] = {
	KUNIT_CASE(increment_without_parity_is_one_plus_the_max),
	KUNIT_CASE_PARAM(increment_is_two_plus_twice_the_max,
			 increment_gen_params),
	KUNIT_CASE(counter_wraps_around_u32),
	KUNIT_CASE_PARAM(table_has_two_to_the_shift_buckets,
			 good_shift_gen_params),
	KUNIT_CASE_PARAM(init_rejects_other_sizes, bad_shift_gen_params),
	KUNIT_CASE(updates_stay_in_their_bucket),
	{}
};

static struct kunit_suite perturb_test_suite = {
	.name = "portsel_perturb",
	.test_cases = perturb_test_cases,
};

kunit_test_suite(perturb_test_suite);

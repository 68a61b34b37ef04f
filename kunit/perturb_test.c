// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_perturb: the table of RFC 6056 Algorithm 4 counters and the
 * exhaustion marks kept beside it.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "perturb.h"
#include "sim.h"

/* The tag of the destination the marks below belong to. */
#define TAG	0x5eed1e55U

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

	KUNIT_EXPECT_EQ(test, portsel_perturb_increment(c->skipped, c->rnd),
			c->want);
}

/* The counter is modular: only its sum with the hash offset matters. */
static void counter_wraps_around_u32(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);

	t->count[9] = U32_MAX - 1;
	portsel_perturb_advance(t, 9, 0, 0);
	KUNIT_EXPECT_EQ(test, t->count[9], 0);

	t->count[9] = U32_MAX - 1;
	portsel_perturb_advance(t, 9, 0, 3);
	KUNIT_EXPECT_EQ(test, t->count[9], 6);

	t->count[9] = U32_MAX;
	portsel_perturb_advance(t, 9, 100, 0);
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
		KUNIT_ASSERT_EQ(test, t->full[i], 0);
	}
	t->count[n - 1] = 1;
	t->full[n - 1] = 1;

	portsel_perturb_free(t);
	KUNIT_EXPECT_NULL(test, t->count);
	KUNIT_EXPECT_NULL(test, t->full);
}

static const unsigned int bad_shifts[] = { 0, 7, 17, 32 };

KUNIT_ARRAY_PARAM(bad_shift, bad_shifts, shift_desc);

static void init_rejects_other_sizes(struct kunit *test)
{
	unsigned int shift = *(const unsigned int *)test->param_value;
	struct portsel_perturb t = {};

	KUNIT_EXPECT_EQ(test, portsel_perturb_init(&t, shift), -EINVAL);
	KUNIT_EXPECT_NULL(test, t.count);
	KUNIT_EXPECT_NULL(test, t.full);
}

/* One bucket's counter and mark move; the other 255 stay zero. */
static void updates_stay_in_their_bucket(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);
	u32 i;

	portsel_perturb_advance(t, 77, 0, 0);
	portsel_perturb_advance(t, 77, 4, 1);
	portsel_perturb_advance(t, 77, 0, 7);
	portsel_perturb_mark_full(t, 77, TAG, 1000);

	KUNIT_EXPECT_EQ(test, t->count[77], 2 + 10 + 16);
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 77, TAG, 1000, 10));
	for (i = 0; i <= t->mask; i++) {
		if (i == 77)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, t->count[i], 0, "bucket %u", i);
		KUNIT_EXPECT_EQ_MSG(test, t->full[i], 0, "bucket %u", i);
		KUNIT_EXPECT_FALSE_MSG(test,
				       portsel_perturb_is_full(t, i, TAG, 1000, 10),
				       "bucket %u", i);
	}

	portsel_perturb_clear_full(t, 78, TAG);
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 77, TAG, 1000, 10));
}

struct mark_case {
	unsigned long when;	/* jiffies of the mark */
	unsigned long slack;	/* jiffies it may outlast the hold */
};

static const struct mark_case mark_cases[] = {
	{ 1000, 0 },		/* even jiffies */
	{ 1001, 0 },		/* odd jiffies */
	{ ULONG_MAX - 50, 0 },	/* the hold crosses the jiffies wrap */
	{ 0xffffffffUL - 50, 0 }, /* ... and the wrap of its low 32 bits */
	/* with a non-zero tag the word is never 0, even at jiffies 0 */
	{ 0, 0 },
};

static void mark_case_desc(const struct mark_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "marked at jiffies %lu",
		 c->when);
}

KUNIT_ARRAY_PARAM(mark, mark_cases, mark_case_desc);

/*
 * A mark taken at T with a hold of H jiffies is honoured for now in
 * [T, T + H) and has expired from T + H on, whatever T is: the hold is
 * what the sysctl says, not a jiffy more on every other tick.
 */
static void mark_holds_for_exactly_hold_jiffies(struct kunit *test)
{
	const struct mark_case *c = test->param_value;
	const unsigned long hold = 100, end = c->when + hold + c->slack;
	struct portsel_perturb *t = portsel_sim_table(test, 8);

	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG, c->when, hold));
	portsel_perturb_mark_full(t, 3, TAG, c->when);

	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 3, TAG, c->when, hold));
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 3, TAG, end - 1, hold));
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG, end, hold));
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG,
							 c->when + 10 * hold,
							 hold));
}

static void hold_zero_disables_marks(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);

	portsel_perturb_mark_full(t, 3, TAG, 1000);
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG, 1000, 0));
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG, 1001, 0));
	/* the same mark with a hold is honoured */
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 3, TAG, 1001, 10));
}

static void clear_removes_the_mark(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);

	portsel_perturb_mark_full(t, 3, TAG, 1000);
	KUNIT_ASSERT_TRUE(test, portsel_perturb_is_full(t, 3, TAG, 1000, 100));
	portsel_perturb_clear_full(t, 3, TAG);
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG, 1000, 100));
	KUNIT_EXPECT_EQ(test, t->full[3], 0);

	/* clearing an unmarked bucket leaves it unmarked */
	portsel_perturb_clear_full(t, 3, TAG);
	KUNIT_EXPECT_EQ(test, t->full[3], 0);

	/* and a bucket can be marked again */
	portsel_perturb_mark_full(t, 3, TAG, 2000);
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 3, TAG, 2000, 100));
}

/*
 * A mark belongs to the destination whose tag it carries: another one
 * hashing to the same bucket is not told its parity is full, and cannot
 * clear the mark either.
 */
static void mark_belongs_to_its_tag(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);

	portsel_perturb_mark_full(t, 3, TAG, 1000);
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 3, TAG, 1001, 100));
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG + 1, 1001,
							 100));
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, 0, 1001, 100));

	portsel_perturb_clear_full(t, 3, TAG + 1);
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 3, TAG, 1001, 100));

	/* the newest scan owns the bucket's one mark */
	portsel_perturb_mark_full(t, 3, TAG + 1, 1002);
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 3, TAG, 1003, 100));
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 3, TAG + 1, 1003,
							100));
}

/* Tag 0 at a jiffies value ending in 32 zero bits is still a mark. */
static void mark_of_tag_zero_at_jiffies_zero_counts(struct kunit *test)
{
	struct portsel_perturb *t = portsel_sim_table(test, 8);

	portsel_perturb_mark_full(t, 9, 0, 0);
	KUNIT_EXPECT_NE(test, t->full[9], 0);
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 9, 0, 1, 100));
	/* recorded a jiffy late: the hold may last one jiffy longer */
	KUNIT_EXPECT_TRUE(test, portsel_perturb_is_full(t, 9, 0, 100, 100));
	KUNIT_EXPECT_FALSE(test, portsel_perturb_is_full(t, 9, 0, 101, 100));
}

static struct kunit_case perturb_test_cases[] = {
	KUNIT_CASE_PARAM(increment_is_two_plus_twice_the_max,
			 increment_gen_params),
	KUNIT_CASE(counter_wraps_around_u32),
	KUNIT_CASE_PARAM(table_has_two_to_the_shift_buckets,
			 good_shift_gen_params),
	KUNIT_CASE_PARAM(init_rejects_other_sizes, bad_shift_gen_params),
	KUNIT_CASE(updates_stay_in_their_bucket),
	KUNIT_CASE_PARAM(mark_holds_for_exactly_hold_jiffies,
			 mark_gen_params),
	KUNIT_CASE(hold_zero_disables_marks),
	KUNIT_CASE(clear_removes_the_mark),
	KUNIT_CASE(mark_belongs_to_its_tag),
	KUNIT_CASE(mark_of_tag_zero_at_jiffies_zero_counts),
	{}
};

static struct kunit_suite perturb_test_suite = {
	.name = "portsel_perturb",
	.test_cases = perturb_test_cases,
};

kunit_test_suite(perturb_test_suite);

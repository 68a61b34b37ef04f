// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_memory: the exhaustion memory's word, alone: how long a mark
 * holds, whose it is, what a release writes, and that each change is one
 * compare-and-exchange.
 */

#include <kunit/test.h>
#include <linux/limits.h>

#include "memory.h"

#define TAG	0x5eed1e55U

static void word_packs_tag_hint_and_stamp(struct kunit *test)
{
	u64 w = portsel_mem_word(TAG, 40002, 0xbeef);

	KUNIT_EXPECT_EQ(test, portsel_mem_tag(w), TAG);
	KUNIT_EXPECT_EQ(test, portsel_mem_hint_port(w), 40002);
	KUNIT_EXPECT_EQ(test, portsel_mem_stamp(w), 0xbeef);
	KUNIT_EXPECT_EQ(test, w & ~PORTSEL_MEM_HINT_MASK,
			portsel_mem_word(TAG, 0, 0xbeef));
	/* a stamp is never 0, which means "not full" */
	KUNIT_EXPECT_EQ(test, portsel_mem_stamp_of(0x10000), 1);
	KUNIT_EXPECT_EQ(test, portsel_mem_stamp_of(0x12345), 0x2345);
}

struct hold_case {
	unsigned long when;	/* jiffies of the marking scan */
};

static const struct hold_case hold_cases[] = {
	{ 1000 }, { 1001 },
	{ 0xffff - 50 },	/* the hold crosses the wrap of the stamp */
	{ ULONG_MAX - 50 },	/* ... and of jiffies */
	{ 0 },			/* stamped 1: one jiffy late, never lost */
};

static void hold_case_desc(const struct hold_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "marked at %lu", c->when);
}

KUNIT_ARRAY_PARAM(hold, hold_cases, hold_case_desc);

static void mark_holds_for_exactly_hold_jiffies(struct kunit *test)
{
	const struct hold_case *c = test->param_value;
	unsigned long hold = 100, end = c->when + hold;
	u64 w = portsel_mem_word(TAG, 0, portsel_mem_stamp_of(c->when));

	if (!c->when)
		end++;
	KUNIT_EXPECT_TRUE(test, portsel_mem_full(w, TAG, c->when + 1, hold));
	KUNIT_EXPECT_TRUE(test, portsel_mem_full(w, TAG, end - 1, hold));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(w, TAG, end, hold));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(w, TAG, end + 5000, hold));
}

static void unmarked_or_hold_zero_is_never_full(struct kunit *test)
{
	u64 marked = portsel_mem_word(TAG, 0, portsel_mem_stamp_of(1000));

	KUNIT_EXPECT_FALSE(test, portsel_mem_full(0, TAG, 1000, 100));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(portsel_mem_word(TAG, 40000, 0),
						  TAG, 1000, 100));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(marked, TAG, 1000, 0));
	KUNIT_EXPECT_TRUE(test, portsel_mem_full(marked, TAG, 1000, 1));
}

/* Another key's word tells this one nothing: neither a mark nor a hint. */
static void word_belongs_to_its_tag(struct kunit *test)
{
	u64 w = portsel_mem_word(TAG, 40002, portsel_mem_stamp_of(1000));

	KUNIT_EXPECT_TRUE(test, portsel_mem_full(w, TAG, 1001, 100));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(w, TAG + 1, 1001, 100));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(w, 0, 1001, 100));
	KUNIT_EXPECT_EQ(test, portsel_mem_hint(w, TAG), 40002);
	KUNIT_EXPECT_EQ(test, portsel_mem_hint(w, TAG + 1), 0);
}

/* A preferred port released: the mark ends, the port is the hint. */
static void preferred_release_clears_the_mark(struct kunit *test)
{
	u64 word = portsel_mem_word(TAG, 0, portsel_mem_stamp_of(1000));

	portsel_mem_released(&word, TAG, 40010, true);
	KUNIT_EXPECT_EQ(test, word, portsel_mem_word(TAG, 40010, 0));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(word, TAG, 1001, 100));
	KUNIT_EXPECT_EQ(test, portsel_mem_hint(word, TAG), 40010);
}

/* A port of the other parity released: still full, the port is the hint. */
static void other_release_keeps_the_mark(struct kunit *test)
{
	u16 stamp = portsel_mem_stamp_of(1000);
	u64 word = portsel_mem_word(TAG, 40004, stamp);

	portsel_mem_released(&word, TAG, 40011, false);
	KUNIT_EXPECT_EQ(test, word, portsel_mem_word(TAG, 40011, stamp));
	KUNIT_EXPECT_TRUE(test, portsel_mem_full(word, TAG, 1001, 100));
}

/*
 * A release takes the word over from another key: that key loses its mark
 * (one more scan for it, never a wrong answer), and the releasing key's
 * scans in flight see the word change.
 */
static void release_takes_over_another_keys_word(struct kunit *test)
{
	u64 word = portsel_mem_word(TAG + 1, 40020, portsel_mem_stamp_of(1000));

	portsel_mem_released(&word, TAG, 40011, false);
	KUNIT_EXPECT_EQ(test, word, portsel_mem_word(TAG, 40011, 0));
	KUNIT_EXPECT_FALSE(test, portsel_mem_full(word, TAG + 1, 1001, 100));
	KUNIT_EXPECT_EQ(test, portsel_mem_hint(word, TAG + 1), 0);
}

/*
 * The released slot ends a mark when it moved in the window from the jiffy
 * before the mark's stamp up to now (and as far ahead as a release of a
 * bind()-held port is dated), which holds the jiffy its scan began
 * even when that was 0 to 16 bits (stamped 1); and exactly so across the
 * wrap of the 16-bit jiffies.
 */
static void freed_slot_counts_from_the_jiffy_before_the_mark(struct kunit *test)
{
	/* 65536 is jiffy 0 to 16 bits: recorded as 1 */
	static const unsigned long starts[] = { 1000, 65530, 65536, 65537,
						131071 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		unsigned long t = starts[i], now = t + 50;
		u64 w = portsel_mem_word(TAG, 0, portsel_mem_stamp_of(t));
		u16 slot;

		portsel_mem_freed(&slot, t - 2, 0);
		KUNIT_EXPECT_FALSE(test, portsel_mem_freed_since(slot, w, now));
		if ((u16)t) {
			portsel_mem_freed(&slot, t - 1, 0);
			KUNIT_EXPECT_TRUE(test,
					  portsel_mem_freed_since(slot, w, now));
		}
		portsel_mem_freed(&slot, t, 0);
		KUNIT_EXPECT_TRUE(test, portsel_mem_freed_since(slot, w, now));
		portsel_mem_freed(&slot, now, 0);
		KUNIT_EXPECT_TRUE(test, portsel_mem_freed_since(slot, w, now));
		/* long before: outside the window */
		portsel_mem_freed(&slot, t - 30000, 0);
		KUNIT_EXPECT_FALSE(test, portsel_mem_freed_since(slot, w, now));
		/* a release dated ahead counts up to that far */
		portsel_mem_freed(&slot, now, PORTSEL_MEM_FREED_AHEAD);
		KUNIT_EXPECT_TRUE(test, portsel_mem_freed_since(slot, w, now));
		portsel_mem_freed(&slot, now + 1, PORTSEL_MEM_FREED_AHEAD);
		KUNIT_EXPECT_FALSE(test, portsel_mem_freed_since(slot, w, now));
	}
}

/* An update succeeds only on the value it was given, and tells the new one. */
static void update_is_compare_and_exchange(struct kunit *test)
{
	u64 mine = portsel_mem_word(TAG, 0, 0);
	u64 mark = portsel_mem_word(TAG, 0, portsel_mem_stamp_of(1000));
	u64 word = mine, seen = mine;

	KUNIT_EXPECT_TRUE(test, portsel_mem_update(&word, &seen, mark));
	KUNIT_EXPECT_EQ(test, word, mark);

	/* a release between the read and the update: the mark is not set */
	word = mine;
	seen = mine;
	portsel_mem_released(&word, TAG, 40002, true);
	KUNIT_EXPECT_FALSE(test, portsel_mem_update(&word, &seen, mark));
	KUNIT_EXPECT_EQ(test, word, portsel_mem_word(TAG, 40002, 0));
	KUNIT_EXPECT_EQ(test, seen, word);
}

static struct kunit_case memory_test_cases[] = {
	KUNIT_CASE(word_packs_tag_hint_and_stamp),
	KUNIT_CASE_PARAM(mark_holds_for_exactly_hold_jiffies, hold_gen_params),
	KUNIT_CASE(unmarked_or_hold_zero_is_never_full),
	KUNIT_CASE(word_belongs_to_its_tag),
	KUNIT_CASE(preferred_release_clears_the_mark),
	KUNIT_CASE(other_release_keeps_the_mark),
	KUNIT_CASE(release_takes_over_another_keys_word),
	KUNIT_CASE(update_is_compare_and_exchange),
	KUNIT_CASE(freed_slot_counts_from_the_jiffy_before_the_mark),
	{}
};

static struct kunit_suite memory_test_suite = {
	.name = "portsel_memory",
	.test_cases = memory_test_cases,
};

kunit_test_suite(memory_test_suite);

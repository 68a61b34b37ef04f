// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_sysctl: parsing what userspace writes to the sysctls. The rule
 * under test: one value, optionally one trailing newline, nothing else, so
 * that a typo is an error rather than a different setting.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "policy.h"

struct name_case {
	const char *input;	/* written as is, without its NUL */
	int want;
};

static const struct name_case name_cases[] = {
	{ "kernel", PORTSEL_KERNEL },
	{ "even-first", PORTSEL_EVEN_FIRST },
	{ "sequential", PORTSEL_SEQUENTIAL },
	{ "random", PORTSEL_RANDOM },
	/* echo adds a newline */
	{ "kernel\n", PORTSEL_KERNEL },
	{ "even-first\n", PORTSEL_EVEN_FIRST },
	{ "random\n", PORTSEL_RANDOM },
	{ "", -EINVAL },
	{ "\n", -EINVAL },
	{ "\n\n", -EINVAL },
	{ "random\n\n", -EINVAL },
	{ "unknown", -EINVAL },
	{ "Random", -EINVAL },
	{ "even_first", -EINVAL },
	{ "rand", -EINVAL },		/* a prefix is not the name */
	{ "randomx", -EINVAL },		/* nor is a longer word */
	{ "random ", -EINVAL },
	{ " random", -EINVAL },
	{ "even first", -EINVAL },
	{ "random\r\n", -EINVAL },
	{ "random\nx", -EINVAL },
	{ "random\tkernel", -EINVAL },
	{ "sequentialsequential", -EINVAL },	/* longer than any name */
	{ "even-first-policy", -EINVAL },
};

/* The input quoted, with the newlines and tabs the cases are about shown. */
static void quote(const char *input, char *out, size_t size)
{
	snprintf(out, size, "\"%*pEsc\"", (int)strlen(input), input);
}

static void name_case_desc(const struct name_case *c, char *desc)
{
	quote(c->input, desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(name, name_cases, name_case_desc);

static void policy_parse_accepts_only_exact_names(struct kunit *test)
{
	const struct name_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, portsel_policy_parse(c->input, strlen(c->input)),
			c->want);
}

/*
 * Every name parses to its own index, fits PORTSEL_POLICY_NAME_MAX, and
 * the available list holds them in that order.
 */
static void every_policy_name_round_trips(struct kunit *test)
{
	char list[sizeof(portsel_policies_available)] = "";
	int i;

	for (i = 0; i < PORTSEL_POLICY_NR; i++) {
		const char *name = portsel_policy_name(i);

		KUNIT_ASSERT_NOT_NULL(test, name);
		KUNIT_EXPECT_LE(test, strlen(name), PORTSEL_POLICY_NAME_MAX);
		KUNIT_EXPECT_EQ(test, portsel_policy_parse(name, strlen(name)),
				i);
		if (i)
			strlcat(list, " ", sizeof(list));
		strlcat(list, name, sizeof(list));
	}
	portsel_policy_init();
	KUNIT_EXPECT_STREQ(test, list, portsel_policies_available);
	KUNIT_EXPECT_STREQ(test, portsel_policies_available,
			   "kernel even-first sequential sequential-even random random-pick random-inc");
}

/*
 * The buffer is not NUL-terminated: only @len bytes count, whatever
 * follows them.
 */
static void policy_parse_reads_only_len_bytes(struct kunit *test)
{
	static const char buf[] = "randomkernel";

	KUNIT_EXPECT_EQ(test, portsel_policy_parse(buf, 6), PORTSEL_RANDOM);
	KUNIT_EXPECT_EQ(test, portsel_policy_parse(buf + 6, 6),
			PORTSEL_KERNEL);
	KUNIT_EXPECT_EQ(test, portsel_policy_parse(buf, 0), -EINVAL);
	/* a NUL inside the written bytes is garbage too */
	KUNIT_EXPECT_EQ(test, portsel_policy_parse("random", 7), -EINVAL);
}

/* A write longer than the longest name is refused, newline or not. */
static void policy_parse_rejects_overlong_writes(struct kunit *test)
{
	char buf[PORTSEL_POLICY_NAME_MAX + 2];

	memset(buf, 'a', sizeof(buf));
	KUNIT_EXPECT_EQ(test, portsel_policy_parse(buf, sizeof(buf) - 1),
			-EINVAL);
	/* even when the excess is the one newline allowed */
	buf[sizeof(buf) - 1] = '\n';
	KUNIT_EXPECT_EQ(test, portsel_policy_parse(buf, sizeof(buf)), -EINVAL);
}

struct uint_case {
	const char *input;
	unsigned int min, max;
	int ret;
	unsigned int val;	/* when ret is 0 */
};

/* reserve_odd is 0..1; a hold in ms is 0..60000. */
static const struct uint_case uint_cases[] = {
	{ "0", 0, 1, 0, 0 },
	{ "1", 0, 1, 0, 1 },
	{ "1\n", 0, 1, 0, 1 },
	{ "2", 0, 1, -EINVAL, 0 },
	{ "0", 0, 60000, 0, 0 },
	{ "1000\n", 0, 60000, 0, 1000 },
	{ "60000", 0, 60000, 0, 60000 },
	{ "60001", 0, 60000, -EINVAL, 0 },
	{ "007", 0, 60000, 0, 7 },		/* decimal, not octal */
	{ "5", 10, 20, -EINVAL, 0 },		/* below the minimum */
	{ "10", 10, 20, 0, 10 },
	{ "4294967295", 0, UINT_MAX, 0, UINT_MAX },
	{ "4294967296", 0, UINT_MAX, -EINVAL, 0 },	/* overflows */
	{ "99999999999", 0, UINT_MAX, -EINVAL, 0 },
	{ "", 0, 60000, -EINVAL, 0 },
	{ "\n", 0, 60000, -EINVAL, 0 },
	{ "1\n\n", 0, 60000, -EINVAL, 0 },
	{ "-1", 0, 60000, -EINVAL, 0 },
	{ "+1", 0, 60000, -EINVAL, 0 },
	{ "-0", 0, 60000, -EINVAL, 0 },
	{ "0x10", 0, 60000, -EINVAL, 0 },
	{ "1e3", 0, 60000, -EINVAL, 0 },
	{ "1.5", 0, 60000, -EINVAL, 0 },
	{ "12abc", 0, 60000, -EINVAL, 0 },
	{ "1 ", 0, 60000, -EINVAL, 0 },
	{ " 1", 0, 60000, -EINVAL, 0 },
	{ "1 2", 0, 60000, -EINVAL, 0 },
	{ "one", 0, 60000, -EINVAL, 0 },
};

static void uint_case_desc(const struct uint_case *c, char *desc)
{
	char in[52];

	quote(c->input, in, sizeof(in));
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s in %u..%u", in, c->min,
		 c->max);
}

KUNIT_ARRAY_PARAM(uint, uint_cases, uint_case_desc);

/* The value is set on success only: a bad write leaves the old one. */
static void parse_uint_takes_one_decimal_in_bounds(struct kunit *test)
{
	const struct uint_case *c = test->param_value;
	unsigned int val = 0xdeadbeef;

	KUNIT_EXPECT_EQ(test, portsel_parse_uint(c->input, strlen(c->input),
						 c->min, c->max, &val),
			c->ret);
	KUNIT_EXPECT_EQ(test, val, c->ret ? 0xdeadbeef : c->val);
}

/* step_width: any u32, as Linux's ip_local_port_step_width; strictly. */
static const struct uint_case step_width_cases[] = {
	{ "0", 0, PORTSEL_STEP_WIDTH_MAX, 0, 0 },
	{ "1", 0, PORTSEL_STEP_WIDTH_MAX, 0, 1 },
	{ "4000\n", 0, PORTSEL_STEP_WIDTH_MAX, 0, 4000 },
	{ "28232", 0, PORTSEL_STEP_WIDTH_MAX, 0, 28232 },
	{ "4294967295", 0, PORTSEL_STEP_WIDTH_MAX, 0, UINT_MAX },
	{ "4294967296", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "-1", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "+4", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ " 4", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "4 ", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "4\n\n", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "0x40", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "4k", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "\n", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
	{ "4 8", 0, PORTSEL_STEP_WIDTH_MAX, -EINVAL, 0 },
};

KUNIT_ARRAY_PARAM(step_width, step_width_cases, uint_case_desc);

/* netns.c bounds net.portsel.step_width by PORTSEL_STEP_WIDTH_MAX. */
static void step_width_parse_is_strict(struct kunit *test)
{
	parse_uint_takes_one_decimal_in_bounds(test);
}

static struct kunit_case sysctl_test_cases[] = {
	KUNIT_CASE_PARAM(policy_parse_accepts_only_exact_names,
			 name_gen_params),
	KUNIT_CASE(every_policy_name_round_trips),
	KUNIT_CASE(policy_parse_reads_only_len_bytes),
	KUNIT_CASE(policy_parse_rejects_overlong_writes),
	KUNIT_CASE_PARAM(parse_uint_takes_one_decimal_in_bounds,
			 uint_gen_params),
	KUNIT_CASE_PARAM(step_width_parse_is_strict, step_width_gen_params),
	{}
};

static struct kunit_suite sysctl_test_suite = {
	.name = "portsel_sysctl",
	.test_cases = sysctl_test_cases,
};

kunit_test_suite(sysctl_test_suite);

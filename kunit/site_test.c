// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_site: the ftrace site and the entry past it, decoded from a
 * function's first bytes as each architecture's kernel leaves them. The
 * offsets found are where the hook's calls enter and the ip that its
 * release callbacks compare against: a wrong one would call into the
 * middle of an instruction, or never see a release.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/string.h>

#include "site.h"

struct site_case {
	const char *name;
	bool arm64;
	bool ibt;
	u8 text[PORTSEL_SITE_PEEK];	/* x86_64 */
	int err;
	unsigned int site, entry;
	u32 words[2];			/* arm64 */
};

/* arm64 instruction words, written little-endian into text by the test */
#define MOV_X9_X30	0xaa1e03e9
#define A64_NOP		0xd503201f
#define BL_FTRACE	0x97fe1234	/* bl, backwards */
#define PACIASP		0xd503233f
#define BTI_C		0xd503245f

static const struct site_case site_cases[] = {
	{ "x86 NOP5 site", false, false,
	  { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55 }, 0, 0, 5 },
	{ "x86 call __fentry__", false, false,
	  { 0xe8, 0x10, 0x20, 0x30, 0x40, 0x55 }, 0, 0, 5 },
	{ "x86 no site (push %rbp)", false, false,
	  { 0x55, 0x48, 0x89, 0xe5 }, -ENOEXEC },
	{ "x86 ENDBR64 without IBT is no site", false, false,
	  { 0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x44, 0x00, 0x00 }, -ENOEXEC },
	{ "x86 IBT ENDBR64 then NOP5", false, true,
	  { 0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 0, 4, 9 },
	{ "x86 IBT sealed ENDBR64 then call", false, true,
	  { 0x66, 0x0f, 0x1f, 0x00, 0xe8, 0x01, 0x02, 0x03, 0x04 }, 0, 4, 9 },
	/* a kprobe may resolve the symbol past ENDBR64, to the site itself */
	{ "x86 IBT resolved to the site", false, true,
	  { 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55 }, 0, 0, 5 },
	{ "x86 IBT ENDBR64 then no site", false, true,
	  { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5 }, -ENOEXEC },
	{ "arm64 mov x9,x30; nop", true, false,
	  {}, 0, 4, 8, { MOV_X9_X30, A64_NOP } },
	{ "arm64 mov x9,x30; bl ftrace_caller", true, false,
	  {}, 0, 4, 8, { MOV_X9_X30, BL_FTRACE } },
	/* as compiled, before ftrace_init() wrote the first instruction */
	{ "arm64 nop; nop", true, false, {}, -ENOEXEC, 0, 0, { A64_NOP, A64_NOP } },
	{ "arm64 BTI landing pad first", true, false,
	  {}, -ENOEXEC, 0, 0, { BTI_C, MOV_X9_X30 } },
	{ "arm64 no site (paciasp)", true, false,
	  {}, -ENOEXEC, 0, 0, { PACIASP, A64_NOP } },
	/* b, not bl: something else patched the site */
	{ "arm64 mov x9,x30; b", true, false,
	  {}, -ENOEXEC, 0, 0, { MOV_X9_X30, 0x17fe1234 } },
};

static void put_insn(u8 *p, u32 w)
{
	p[0] = w & 0xff;
	p[1] = w >> 8 & 0xff;
	p[2] = w >> 16 & 0xff;
	p[3] = w >> 24;
}

static void site_case_desc(const struct site_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(site, site_cases, site_case_desc);

static void site_and_entry_of_each_layout(struct kunit *test)
{
	const struct site_case *c = test->param_value;
	struct portsel_site s = { .site = 99, .entry = 99 };
	int err;

	if (c->arm64) {
		u8 text[PORTSEL_SITE_PEEK] = {};

		put_insn(text, c->words[0]);
		put_insn(text + 4, c->words[1]);
		err = portsel_site_arm64(text, &s);
	} else {
		err = portsel_site_x86_64(c->text, c->ibt, &s);
	}
	KUNIT_ASSERT_EQ(test, err, c->err);
	if (err) {
		/* nothing written for a layout it does not know */
		KUNIT_EXPECT_EQ(test, s.site, 99U);
		KUNIT_EXPECT_EQ(test, s.entry, 99U);
		return;
	}
	KUNIT_EXPECT_EQ(test, s.site, c->site);
	KUNIT_EXPECT_EQ(test, s.entry, c->entry);
}

/*
 * A tracer's call in the site (any rel32 on x86, any backward or
 * forward bl on arm64) is still the site: the hook may load while
 * something else traces the function.
 */
static void any_call_target_is_a_site(struct kunit *test)
{
	u8 x86[PORTSEL_SITE_PEEK] = { 0xe8 };
	u8 a64[PORTSEL_SITE_PEEK] = {};
	struct portsel_site s;
	u32 imm;

	put_insn(a64, MOV_X9_X30);
	for (imm = 0; imm < (1U << 26); imm += 0x12345) {
		memcpy(&x86[1], &imm, sizeof(imm));
		KUNIT_EXPECT_EQ(test, portsel_site_x86_64(x86, false, &s), 0);
		KUNIT_EXPECT_EQ(test, s.entry, 5U);
		put_insn(a64 + 4, 0x94000000 | imm);
		KUNIT_EXPECT_EQ(test, portsel_site_arm64(a64, &s), 0);
		KUNIT_EXPECT_EQ(test, s.site, 4U);
	}
}

static struct kunit_case site_test_cases[] = {
	KUNIT_CASE_PARAM(site_and_entry_of_each_layout, site_gen_params),
	KUNIT_CASE(any_call_target_is_a_site),
	{}
};

static struct kunit_suite site_test_suite = {
	.name = "portsel_site",
	.test_cases = site_test_cases,
};

kunit_test_suite(site_test_suite);

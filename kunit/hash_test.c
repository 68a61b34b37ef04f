// SPDX-License-Identifier: GPL-2.0
/*
 * portsel_hash: the keyed hash of a connect's tuple, and the two values
 * taken from it (the table index from the low bits, the start offset from
 * the high 32 bits); portsel_ef_hash: even-first's, from the kernel's
 * port_offset and the rest of the key.
 */

#include <kunit/test.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <net/ipv6.h>

#include "hash.h"

/* The SipHash paper's test key: any fixed key does. */
static const siphash_key_t test_key = {
	{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }
};

#define TEST_NETNS	4026531840U	/* init_net's inode number */
#define TEST_SADDR4	0xc0000201U	/* 192.0.2.1 */
#define TEST_DADDR4	0xc6336407U	/* 198.51.100.7 */
#define TEST_DPORT	443

/* The IPv6 base addresses: 2001:db8::1 and 2001:db8::2. */
static void test_addrs6(struct in6_addr *s, struct in6_addr *d)
{
	memset(s, 0, sizeof(*s));
	memset(d, 0, sizeof(*d));
	s->s6_addr32[0] = htonl(0x20010db8);
	d->s6_addr32[0] = htonl(0x20010db8);
	s->s6_addr32[3] = htonl(1);
	d->s6_addr32[3] = htonl(2);
}

static void base_tuple(struct portsel_tuple *t, bool v6)
{
	struct in6_addr s, d;

	if (v6) {
		test_addrs6(&s, &d);
		portsel_tuple_v6(t, TEST_NETNS, &s, &d, htons(TEST_DPORT));
	} else {
		portsel_tuple_v4(t, TEST_NETNS, htonl(TEST_SADDR4),
				 htonl(TEST_DADDR4), htons(TEST_DPORT));
	}
}

/* The tuple is built over whatever the memory held: only fields count. */
static void same_inputs_give_the_same_hash(struct kunit *test)
{
	struct portsel_tuple a, b;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		memset(&a, 0xaa, sizeof(a));
		memset(&b, 0x55, sizeof(b));
		base_tuple(&a, v6);
		base_tuple(&b, v6);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(&a, &b, sizeof(a)), 0,
				    "v6 %d", v6);
		KUNIT_EXPECT_EQ_MSG(test, portsel_hash(&a, &test_key),
				    portsel_hash(&b, &test_key), "v6 %d", v6);
	}
}

/* siphash() reads sizeof(tuple) bytes: no tail padding to leak into it. */
static void tuple_has_no_padding(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct portsel_tuple),
			offsetofend(struct portsel_tuple, zero));
	KUNIT_EXPECT_EQ(test, offsetof(struct portsel_tuple, saddr), 8);
	KUNIT_EXPECT_EQ(test, sizeof(struct portsel_tuple), 56);
}

static void v4_addresses_fill_the_first_word(struct kunit *test)
{
	struct portsel_tuple t;
	int i;

	memset(&t, 0xff, sizeof(t));
	base_tuple(&t, false);
	KUNIT_EXPECT_EQ(test, t.family, AF_INET);
	KUNIT_EXPECT_EQ(test, t.netns, TEST_NETNS);
	KUNIT_EXPECT_EQ(test, t.dport, htons(TEST_DPORT));
	KUNIT_EXPECT_EQ(test, t.saddr.s6_addr32[0], htonl(TEST_SADDR4));
	KUNIT_EXPECT_EQ(test, t.daddr.s6_addr32[0], htonl(TEST_DADDR4));
	for (i = 1; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, t.saddr.s6_addr32[i], 0);
		KUNIT_EXPECT_EQ(test, t.daddr.s6_addr32[i], 0);
	}
	KUNIT_EXPECT_EQ(test, t.salt, 0);
	KUNIT_EXPECT_EQ(test, t.zero, 0);
}

static void v6_addresses_are_kept_whole(struct kunit *test)
{
	struct portsel_tuple t;
	struct in6_addr s, d;

	memset(&t, 0xff, sizeof(t));
	base_tuple(&t, true);
	test_addrs6(&s, &d);
	KUNIT_EXPECT_EQ(test, t.family, AF_INET6);
	KUNIT_EXPECT_EQ(test, t.netns, TEST_NETNS);
	KUNIT_EXPECT_EQ(test, t.dport, htons(TEST_DPORT));
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&t.saddr, &s));
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&t.daddr, &d));
	KUNIT_EXPECT_EQ(test, t.salt, 0);
	KUNIT_EXPECT_EQ(test, t.zero, 0);
}

enum hash_input {
	HASH_KEY,
	HASH_NETNS,
	HASH_FAMILY,
	HASH_SADDR,
	HASH_DADDR,
	HASH_DPORT,
	HASH_SALT,
};

struct change_case {
	const char *name;
	bool v6;
	enum hash_input input;
};

static const struct change_case change_cases[] = {
	{ "v4 key", false, HASH_KEY },
	{ "v4 netns", false, HASH_NETNS },
	{ "v4 family", false, HASH_FAMILY },
	{ "v4 source", false, HASH_SADDR },
	{ "v4 destination", false, HASH_DADDR },
	{ "v4 port", false, HASH_DPORT },
	{ "v4 salt", false, HASH_SALT },
	{ "v6 key", true, HASH_KEY },
	{ "v6 netns", true, HASH_NETNS },
	{ "v6 family", true, HASH_FAMILY },
	{ "v6 source", true, HASH_SADDR },
	{ "v6 destination", true, HASH_DADDR },
	{ "v6 port", true, HASH_DPORT },
	{ "v6 salt", true, HASH_SALT },
};

static void change_case_desc(const struct change_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(change, change_cases, change_case_desc);

/*
 * The base tuple with one input changed by one bit, built through the
 * constructors, so an argument they dropped would go unhashed and fail.
 * "family" takes the same address bytes in the other family: an IPv4
 * tuple and an IPv6 one whose first words are the IPv4 addresses.
 */
static void changed_tuple(const struct change_case *c,
			  struct portsel_tuple *t, siphash_key_t *key)
{
	u32 netns = TEST_NETNS, s4 = TEST_SADDR4, d4 = TEST_DADDR4;
	u16 dport = TEST_DPORT;
	struct in6_addr s, d;
	bool v6 = c->v6;

	*key = test_key;
	test_addrs6(&s, &d);

	switch (c->input) {
	case HASH_KEY:
		key->key[1] ^= 1;
		break;
	case HASH_NETNS:
		netns ^= 1;
		break;
	case HASH_FAMILY:
		v6 = !v6;
		memset(&s, 0, sizeof(s));
		memset(&d, 0, sizeof(d));
		s.s6_addr32[0] = htonl(s4);
		d.s6_addr32[0] = htonl(d4);
		break;
	case HASH_SADDR:
		s4 ^= 1;
		s.s6_addr[15] ^= 1;
		break;
	case HASH_DADDR:
		d4 ^= 1;
		d.s6_addr[15] ^= 1;
		break;
	case HASH_DPORT:
		dport ^= 1;
		break;
	case HASH_SALT:
		break;
	}

	if (v6)
		portsel_tuple_v6(t, netns, &s, &d, htons(dport));
	else
		portsel_tuple_v4(t, netns, htonl(s4), htonl(d4), htons(dport));
	if (c->input == HASH_SALT)
		t->salt = 1;
}

static void any_changed_input_changes_the_hash(struct kunit *test)
{
	const struct change_case *c = test->param_value;
	struct portsel_tuple base, t;
	siphash_key_t key;

	base_tuple(&base, c->v6);
	changed_tuple(c, &t, &key);
	KUNIT_EXPECT_NE(test, portsel_hash(&base, &test_key),
			portsel_hash(&t, &key));
}

#define UNIFORM_TUPLES	100000

/* Synthetic connects: 1,000 sources in 10/8 times 100 destination ports. */
static u64 synthetic_hash(u32 i)
{
	struct portsel_tuple t;

	portsel_tuple_v4(&t, TEST_NETNS, htonl(0x0a000000 | (i % 1000)),
			 htonl(TEST_DADDR4), htons(1024 + i / 1000));
	return portsel_hash(&t, &test_key);
}

/*
 * Pearson's statistic of @n samples counted into @k bins, times @n so it
 * stays an integer: n * chi2 = k * sum(O^2) - n^2, since E = n / k.
 */
static u64 chi2_times_n(const u32 *bins, u32 k, u32 n)
{
	u64 sumsq = 0;
	u32 i;

	for (i = 0; i < k; i++)
		sumsq += (u64)bins[i] * bins[i];
	return k * sumsq - (u64)n * n;
}

/*
 * Both the index bits and the offset bits of 100,000 tuples fall evenly in
 * 256 buckets. For a uniform hash Pearson's statistic follows chi-square
 * with 255 degrees of freedom: mean 255, and by the Wilson-Hilferty
 * approximation 99.9% of values lie below 330.5 and 99.9% above 190.8. So
 * 190 < chi2 < 331: too high means clumping, too low means a pattern
 * rather than a hash (a counter taken modulo 256 scores 0). The inputs and
 * key are fixed, so the outcome is too: no flakiness, and a regression
 * that biases the hash fails it.
 */
static void buckets_are_uniform(struct kunit *test)
{
	u32 *idx_bins, *off_bins;
	u64 idx_chi, off_chi;
	u32 i;

	idx_bins = kunit_kcalloc(test, 256, sizeof(u32), GFP_KERNEL);
	off_bins = kunit_kcalloc(test, 256, sizeof(u32), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, idx_bins);
	KUNIT_ASSERT_NOT_NULL(test, off_bins);

	for (i = 0; i < UNIFORM_TUPLES; i++) {
		u64 h = synthetic_hash(i);

		idx_bins[h & 0xff]++;
		off_bins[portsel_hash_offset(h) >> 24]++;
	}
	idx_chi = chi2_times_n(idx_bins, 256, UNIFORM_TUPLES);
	off_chi = chi2_times_n(off_bins, 256, UNIFORM_TUPLES);

	KUNIT_EXPECT_GT(test, idx_chi, 190ULL * UNIFORM_TUPLES);
	KUNIT_EXPECT_LT(test, idx_chi, 331ULL * UNIFORM_TUPLES);
	KUNIT_EXPECT_GT(test, off_chi, 190ULL * UNIFORM_TUPLES);
	KUNIT_EXPECT_LT(test, off_chi, 331ULL * UNIFORM_TUPLES);
}

/*
 * The index and the offset come from disjoint bits, so knowing one says
 * nothing of the other: the ~390 tuples of one index have offsets spread
 * over 16 bins, and the tuples of one offset value (its top 8 bits)
 * have indexes spread likewise. Bound: chi-square with 15 degrees of
 * freedom stays below 37.7 with probability 99.9%; if the offset followed
 * from the index, all samples would share one bin and score 15 * n.
 */
static void index_and_offset_are_independent(struct kunit *test)
{
	u32 by_idx[16] = {}, by_off[16] = {};
	u32 n_idx = 0, n_off = 0, i;

	for (i = 0; i < UNIFORM_TUPLES; i++) {
		u64 h = synthetic_hash(i);
		u32 off = portsel_hash_offset(h);

		if ((h & 0xff) == 0x5a) {
			by_idx[off >> 28]++;
			n_idx++;
		}
		if ((off >> 24) == 0x5a) {
			by_off[h & 0xf]++;
			n_off++;
		}
	}
	/* about 100000 / 256 each; enough for 16 bins of 24 */
	KUNIT_ASSERT_GT(test, n_idx, 300);
	KUNIT_ASSERT_GT(test, n_off, 300);
	KUNIT_EXPECT_LT(test, chi2_times_n(by_idx, 16, n_idx), 38ULL * n_idx);
	KUNIT_EXPECT_LT(test, chi2_times_n(by_off, 16, n_off), 38ULL * n_off);
}

/* even-first's hash: the parts of its key that the kernel's hash leaves out. */
enum ef_part {
	EF_NETNS, EF_DEV, EF_LOW, EF_HIGH, EF_PROTO, EF_RESERVE_ODD,
	EF_FAMILY, EF_SALT, EF_KEY,
};

static void ef_part_desc(const enum ef_part *p, char *desc)
{
	static const char *const names[] = {
		"netns", "device", "range low", "range high", "protocol",
		"reserve_odd", "family", "salt", "key",
	};

	strscpy(desc, names[*p], KUNIT_PARAM_DESC_SIZE);
}

static const enum ef_part ef_parts[] = {
	EF_NETNS, EF_DEV, EF_LOW, EF_HIGH, EF_PROTO, EF_RESERVE_ODD,
	EF_FAMILY, EF_SALT, EF_KEY,
};

KUNIT_ARRAY_PARAM(ef_part, ef_parts, ef_part_desc);

#define EF_OFFSET	0x243f6a8885a308d3ULL	/* any port_offset */

static void ef_base(struct portsel_tuple *t)
{
	base_tuple(t, false);
	portsel_tuple_scope(t, IPPROTO_TCP, 0, 32768, 60999, false);
}

/*
 * Each part changed alone moves both the index bits (the low 16, the
 * largest table) and the offset bits (the high 32): two keys that differ
 * only there never share a bucket's word by construction.
 */
static void ef_hash_changes_with_each_part(struct kunit *test)
{
	enum ef_part part = *(const enum ef_part *)test->param_value;
	siphash_key_t key = test_key;
	struct portsel_tuple base, t;
	u32 salt = 1;
	u64 diff;

	ef_base(&base);
	t = base;
	switch (part) {
	case EF_NETNS:
		t.netns ^= 1;
		break;
	case EF_DEV:
		t.dev = 3;
		break;
	case EF_LOW:
		t.low--;
		break;
	case EF_HIGH:
		t.high--;
		break;
	case EF_PROTO:
		t.proto = IPPROTO_DCCP;
		break;
	case EF_RESERVE_ODD:
		t.reserve_odd = 1;
		break;
	case EF_FAMILY:
		t.family = AF_INET6;
		break;
	case EF_SALT:
		salt = 2;
		break;
	case EF_KEY:
		key.key[1] ^= 1;
		break;
	}
	diff = portsel_ef_hash(EF_OFFSET, &base, 1, &test_key) ^
	       portsel_ef_hash(EF_OFFSET, &t, salt, &key);
	KUNIT_EXPECT_NE(test, diff & 0xffff, 0);
	KUNIT_EXPECT_NE(test, portsel_hash_offset(diff), 0);
}

/*
 * The kernel's port_offset passes through unchanged in every bit: the
 * index and the start stay as unpredictable as the kernel's own, and
 * the addresses and remote port (which only port_offset carries) keep
 * keys apart as well as it does.
 */
static void ef_hash_keeps_the_kernels_bits(struct kunit *test)
{
	struct portsel_tuple t, other;
	u64 a = EF_OFFSET, b = ~EF_OFFSET + 12345;

	ef_base(&t);
	KUNIT_EXPECT_EQ(test, portsel_ef_hash(a, &t, 1, &test_key) ^
			      portsel_ef_hash(b, &t, 1, &test_key), a ^ b);
	/* addresses and remote port are not read: port_offset has them */
	other = t;
	other.saddr.s6_addr32[0] ^= 1;
	other.daddr.s6_addr32[0] ^= 1;
	other.dport ^= 1;
	KUNIT_EXPECT_EQ(test, portsel_ef_hash(a, &other, 1, &test_key),
			portsel_ef_hash(a, &t, 1, &test_key));
}

static struct kunit_case hash_test_cases[] = {
	KUNIT_CASE(same_inputs_give_the_same_hash),
	KUNIT_CASE(tuple_has_no_padding),
	KUNIT_CASE(v4_addresses_fill_the_first_word),
	KUNIT_CASE(v6_addresses_are_kept_whole),
	KUNIT_CASE_PARAM(any_changed_input_changes_the_hash,
			 change_gen_params),
	KUNIT_CASE(buckets_are_uniform),
	KUNIT_CASE(index_and_offset_are_independent),
	KUNIT_CASE_PARAM(ef_hash_changes_with_each_part, ef_part_gen_params),
	KUNIT_CASE(ef_hash_keeps_the_kernels_bits),
	{}
};

static struct kunit_suite hash_test_suite = {
	.name = "portsel_hash",
	.test_cases = hash_test_cases,
};

kunit_test_suite(hash_test_suite);

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_POLICY_H
#define _PORTSEL_POLICY_H

#include <linux/limits.h>
#include <linux/types.h>

struct portsel_probe_ops;
struct portsel_request;
struct portsel_result;
struct portsel_shared;

/*
 * The policies a netns can select, by their row in portsel_policies[]
 * (select.c); the order is that of available_policies.
 */
enum portsel_policy {
	PORTSEL_KERNEL,
	PORTSEL_EVEN_FIRST,
	PORTSEL_SEQUENTIAL,
	PORTSEL_SEQUENTIAL_EVEN,
	PORTSEL_RANDOM,
	PORTSEL_RANDOM_PICK,
	PORTSEL_RANDOM_INC,
	PORTSEL_POLICY_NR,
};

/*
 * net.portsel.step_width takes any u32, as Linux 7.1's
 * ip_local_port_step_width does: widths past a range's size act as its size.
 */
#define PORTSEL_STEP_WIDTH_MAX	UINT_MAX

/* Longest policy name, without the NUL. */
#define PORTSEL_POLICY_NAME_MAX	15

typedef int (*portsel_choose_t)(const struct portsel_request *req,
				struct portsel_shared *sh,
				const struct portsel_probe_ops *ops, void *ctx,
				struct portsel_result *res);

/*
 * A policy is a name, a function and its need of random bits; "kernel"
 * has no function (the kernel's own choice). The parser,
 * available_policies, the statistics' rows, the tracepoint and the
 * scripts all take the names from this table.
 * @rnd_bits is how many low bits of the request's random word the
 * function reads (0 to 32): the hook draws no more than that, since a
 * draw is a good part of what a connect costs.
 * @step_width: the function scans as the kernel does and honours
 * net.portsel.step_width; the hook draws the step's random word for it
 * alone, and only while the knob is set.
 */
struct portsel_policy_ops {
	const char *name;
	portsel_choose_t choose;
	u8 rnd_bits;
	bool step_width;
};

extern const struct portsel_policy_ops portsel_policies[PORTSEL_POLICY_NR];

/* "kernel even-first ...", made from the table by portsel_policy_init() */
extern char portsel_policies_available[PORTSEL_POLICY_NR *
				       (PORTSEL_POLICY_NAME_MAX + 1)];

void portsel_policy_init(void);
int portsel_policy_parse(const char *buf, size_t len);
int portsel_parse_uint(const char *buf, size_t len, unsigned int min,
		       unsigned int max, unsigned int *val);

static inline const char *portsel_policy_name(enum portsel_policy policy)
{
	return portsel_policies[policy].name;
}

#endif /* _PORTSEL_POLICY_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PORTSEL_POLICY_H
#define _PORTSEL_POLICY_H

#include <linux/types.h>

/* The policies a netns can select; the order is that of available_policies. */
enum portsel_policy {
	PORTSEL_KERNEL,
	PORTSEL_EVEN_FIRST,
	PORTSEL_SEQUENTIAL,
	PORTSEL_RANDOM,
	PORTSEL_POLICY_NR,
};

/* Longest policy name, without the NUL. */
#define PORTSEL_POLICY_NAME_MAX	15

/* "kernel even-first sequential random", for available_policies */
#define PORTSEL_POLICIES_AVAILABLE "kernel even-first sequential random"

extern const char *const portsel_policy_names[PORTSEL_POLICY_NR];

int portsel_policy_parse(const char *buf, size_t len);
int portsel_parse_uint(const char *buf, size_t len, unsigned int min,
		       unsigned int max, unsigned int *val);

#endif /* _PORTSEL_POLICY_H */

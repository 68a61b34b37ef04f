// SPDX-License-Identifier: GPL-2.0
/*
 * Policy names and the parsing of what userspace writes to the sysctls.
 *
 * Parsing is strict so that a typo is an error rather than a different
 * setting: one value, optionally followed by a single newline (echo adds
 * one), and nothing else.
 */

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "policy.h"

char portsel_policies_available[PORTSEL_POLICY_NR *
				(PORTSEL_POLICY_NAME_MAX + 1)];

/* available_policies: the table's names, in its order, once at load. */
void portsel_policy_init(void)
{
	int i;

	portsel_policies_available[0] = '\0';
	for (i = 0; i < PORTSEL_POLICY_NR; i++) {
		if (i)
			strlcat(portsel_policies_available, " ",
				sizeof(portsel_policies_available));
		strlcat(portsel_policies_available, portsel_policy_name(i),
			sizeof(portsel_policies_available));
	}
}

/* Length of @buf without one trailing newline, or -EINVAL when empty. */
static int portsel_value_len(const char *buf, size_t len)
{
	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || len > INT_MAX)
		return -EINVAL;
	return len;
}

/**
 * portsel_policy_parse - the policy a sysctl write names
 * @buf: the bytes written (not NUL-terminated)
 * @len: their number
 *
 * Return: the policy, or -EINVAL for an empty, unknown or overlong name.
 */
int portsel_policy_parse(const char *buf, size_t len)
{
	int n = portsel_value_len(buf, len);
	int i;

	if (n < 0 || n > PORTSEL_POLICY_NAME_MAX)
		return -EINVAL;

	for (i = 0; i < PORTSEL_POLICY_NR; i++) {
		const char *name = portsel_policy_name(i);

		if (strlen(name) == n && !memcmp(name, buf, n))
			return i;
	}
	return -EINVAL;
}

/**
 * portsel_parse_uint - a decimal value within bounds
 * @buf: the bytes written (not NUL-terminated)
 * @len: their number
 * @min: smallest accepted value
 * @max: largest accepted value
 * @val: the value, set only on success
 *
 * Return: 0, or -EINVAL for anything but one decimal number in [@min, @max].
 */
int portsel_parse_uint(const char *buf, size_t len, unsigned int min,
		       unsigned int max, unsigned int *val)
{
	char tmp[12];
	unsigned int v;
	int n = portsel_value_len(buf, len);
	int i;

	if (n < 0 || n >= sizeof(tmp))
		return -EINVAL;
	/* kstrtouint() would take a sign or a radix prefix: digits only */
	for (i = 0; i < n; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;

	memcpy(tmp, buf, n);
	tmp[n] = '\0';
	if (kstrtouint(tmp, 10, &v) || v < min || v > max)
		return -EINVAL;

	*val = v;
	return 0;
}

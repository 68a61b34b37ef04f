// SPDX-License-Identifier: GPL-2.0
/*
 * portsel: connect() source-port selection policies, per network namespace.
 *
 * Wiring only: state first, the hook last, and the reverse on the way out,
 * so nothing the hook reaches is ever missing.
 */

#include <linux/module.h>

#include "connect.h"
#include "hook.h"
#include "netns.h"
#include "perturb.h"
#include "selftest_debug.h"
#include "state.h"
#include "version.h"

static unsigned int perturb_shift = PORTSEL_PERTURB_SHIFT_MAX;
module_param(perturb_shift, uint, 0444);
MODULE_PARM_DESC(perturb_shift,
		 "log2 of the perturbation table size, 8..16 (default 16)");

static int __init portsel_init(void)
{
	int err;

	portsel_selftest_debug();
	if (perturb_shift < PORTSEL_PERTURB_SHIFT_MIN ||
	    perturb_shift > PORTSEL_PERTURB_SHIFT_MAX) {
		pr_err("perturb_shift=%u is out of range: use %d..%d\n",
		       perturb_shift, PORTSEL_PERTURB_SHIFT_MIN,
		       PORTSEL_PERTURB_SHIFT_MAX);
		return -EINVAL;
	}

	err = portsel_state_init(perturb_shift);
	if (err)
		return err;
	/* before the netns: a policy set there may start the trace */
	err = portsel_release_hook_install(portsel_connect_released_sock,
					   portsel_connect_released_tw);
	if (err)
		goto err_state;
	err = portsel_netns_init();
	if (err)
		goto err_release;
	err = portsel_hook_install(portsel_connect);
	if (err)
		goto err_netns;

	pr_info("loaded, version %s, perturbation table 2^%u\n",
		PORTSEL_VERSION, perturb_shift);
	return 0;

err_netns:
	portsel_netns_exit();
err_release:
	portsel_release_hook_remove();
err_state:
	portsel_state_exit();
	return err;
}

static void __exit portsel_exit(void)
{
	portsel_hook_remove();
	/* every netns back to the kernel's choice stops the trace */
	portsel_netns_exit();
	portsel_release_hook_remove();
	portsel_state_exit();
}

module_init(portsel_init);
module_exit(portsel_exit);

MODULE_DESCRIPTION("connect() source-port selection policies per network namespace");
MODULE_AUTHOR("The portsel developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(PORTSEL_VERSION);

// SPDX-License-Identifier: GPL-2.0
/*
 * The redirect of __inet_hash_connect() to portsel_connect().
 *
 * __inet_hash_connect() is global but not exported; it is traceable, so an
 * ftrace_ops with IPMODIFY at its entry sends every caller (inet and inet6
 * hash_connect, thus TCP and DCCP over both families) to our replacement.
 * The replacement calls the original to try ports; those calls come from
 * this module and pass through untouched. This is the only file that
 * knows ftrace.
 */

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/srcu.h>

#include "hook.h"

#define PORTSEL_HOOKED "__inet_hash_connect"

typedef int (*portsel_hash_connect_t)(struct inet_timewait_death_row *,
				      struct sock *, u64, portsel_check_t);

static portsel_hash_connect_t portsel_orig __read_mostly;

/*
 * Replacement bodies in flight. The original may sleep in cond_resched()
 * while we wait below it, so unload waits for them with SRCU.
 */
DEFINE_STATIC_SRCU(portsel_hook_srcu);

/**
 * portsel_hook_call_orig - call the kernel's __inet_hash_connect()
 * @death_row: its argument
 * @sk: its argument
 * @port_offset: its argument
 * @check: its argument
 *
 * The call must come from this module's text: that is how the ftrace
 * callback tells it from the kernel's own calls. A tail call would
 * reuse our caller's return address, so this file is built with
 * -fno-optimize-sibling-calls.
 */
int portsel_hook_call_orig(struct inet_timewait_death_row *death_row,
			   struct sock *sk, u64 port_offset,
			   portsel_check_t check)
{
	return portsel_orig(death_row, sk, port_offset, check);
}

static int portsel_hash_connect(struct inet_timewait_death_row *death_row,
				struct sock *sk, u64 port_offset,
				portsel_check_t check)
{
	int idx, ret;

	idx = srcu_read_lock(&portsel_hook_srcu);
	ret = portsel_connect(death_row, sk, port_offset, check);
	srcu_read_unlock(&portsel_hook_srcu, idx);
	return ret;
}

static void notrace portsel_ftrace_thunk(unsigned long ip,
					 unsigned long parent_ip,
					 struct ftrace_ops *op,
					 struct ftrace_regs *fregs)
{
	if (!within_module(parent_ip, THIS_MODULE))
		ftrace_instruction_pointer_set(fregs,
					       (unsigned long)portsel_hash_connect);
}

static struct ftrace_ops portsel_ftrace_ops = {
	.func	= portsel_ftrace_thunk,
	.flags	= FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_RECURSION |
		  FTRACE_OPS_FL_IPMODIFY,
};

/* kallsyms_lookup_name() is not exported; a kprobe resolves the name. */
static unsigned long portsel_lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;
	int err;

	err = register_kprobe(&kp);
	if (err)
		return err;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/**
 * portsel_hook_install - start redirecting __inet_hash_connect()
 *
 * Everything the replacement reads must be set up before this is called.
 *
 * Return: 0; -ENOENT when the symbol is missing; -EBUSY when another
 * IPMODIFY owner (a livepatch, a kretprobe) holds the function; else the
 * error from kprobes or ftrace.
 */
int portsel_hook_install(void)
{
	unsigned long addr;
	int err;

	addr = portsel_lookup(PORTSEL_HOOKED);
	if (IS_ERR_VALUE(addr)) {
		err = addr;
		pr_err("cannot resolve %s: %d\n", PORTSEL_HOOKED, err);
		return err;
	}
	portsel_orig = (portsel_hash_connect_t)addr;

	err = ftrace_set_filter_ip(&portsel_ftrace_ops, addr, 0, 0);
	if (err) {
		pr_err("%s is not traceable: %d\n", PORTSEL_HOOKED, err);
		return err;
	}

	err = register_ftrace_function(&portsel_ftrace_ops);
	if (err) {
		pr_err("cannot hook %s: %d%s\n", PORTSEL_HOOKED, err,
		       err == -EBUSY ? " (another livepatch or kretprobe modifies it)" : "");
		goto err_filter;
	}
	return 0;

err_filter:
	ftrace_set_filter_ip(&portsel_ftrace_ops, addr, 1, 0);
	return err;
}

/**
 * portsel_hook_remove - stop redirecting and wait for every replacement
 *
 * After this returns no CPU runs, or will run, portsel code on the
 * connect path.
 */
void portsel_hook_remove(void)
{
	unregister_ftrace_function(&portsel_ftrace_ops);
	ftrace_set_filter_ip(&portsel_ftrace_ops, (unsigned long)portsel_orig,
			     1, 0);

	/*
	 * A task redirected just before the unregister may still be between
	 * the trampoline and srcu_read_lock(); it cannot sleep voluntarily
	 * there, so once RCU Tasks has seen every task reach a voluntary
	 * switch it is inside the SRCU section (or gone). Then wait for the
	 * sections, then once more for a task preempted after
	 * srcu_read_unlock() but before its return.
	 */
	synchronize_rcu_tasks();
	synchronize_srcu(&portsel_hook_srcu);
	synchronize_rcu_tasks();
}

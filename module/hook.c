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
#include <linux/uaccess.h>

#include "hook.h"

#define PORTSEL_HOOKED "__inet_hash_connect"

typedef int (*portsel_hash_connect_t)(struct inet_timewait_death_row *,
				      struct sock *, u64, portsel_check_t);

/* Its entry, where the ftrace call sits, and where our calls enter it. */
static unsigned long portsel_orig_addr __read_mostly;
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
 * Every try of a port is one such call, so they enter past the ftrace call
 * at the function's entry when there is one (see portsel_entry_past_ftrace):
 * the trampoline would only send them back here. Should they enter through
 * it, the call must come from this module's text, which is how the ftrace
 * callback tells it from the kernel's own calls; a tail call would reuse
 * our caller's return address, so this file is built with
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

/*
 * kallsyms_lookup_name() is not exported; a kprobe resolves the name. It is
 * registered disabled, so the function's text is not patched just for that.
 */
static unsigned long portsel_lookup(const char *name)
{
	struct kprobe kp = {
		.symbol_name = name,
		.flags = KPROBE_FLAG_DISABLED,
	};
	unsigned long addr;
	int err;

	err = register_kprobe(&kp);
	if (err)
		return err;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/*
 * On x86_64 without IBT a traceable function starts with its five-byte
 * ftrace site: a NOP while nothing traces it, a call once something does.
 * Entering past it runs the function exactly as if it were not traced.
 * Anything else there (an ENDBR, another layout) and our calls keep going
 * through ftrace, which is correct, only slower.
 */
static unsigned long portsel_entry_past_ftrace(unsigned long addr)
{
	static const u8 nop5[MCOUNT_INSN_SIZE] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	u8 insn[MCOUNT_INSN_SIZE];

	if (copy_from_kernel_nofault(insn, (void *)addr, sizeof(insn)))
		return addr;
	if (insn[0] == 0xe8 || !memcmp(insn, nop5, sizeof(insn)))
		return addr + MCOUNT_INSN_SIZE;
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
	portsel_orig_addr = addr;
	portsel_orig = (portsel_hash_connect_t)portsel_entry_past_ftrace(addr);

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
	ftrace_set_filter_ip(&portsel_ftrace_ops, portsel_orig_addr, 1, 0);

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

/*
 * Releases of ports, for even-first's memory: inet_put_port() (a TCP or
 * DCCP socket gives its port back) and inet_twsk_bind_unhash() (a
 * TIME_WAIT socket does). A plain ftrace_ops: it only looks at the
 * arguments, and coexists with any other user of these functions.
 */
static unsigned long portsel_put_port_addr __read_mostly;
static unsigned long portsel_tw_unhash_addr __read_mostly;

static void notrace portsel_release_thunk(unsigned long ip,
					  unsigned long parent_ip,
					  struct ftrace_ops *op,
					  struct ftrace_regs *fregs)
{
	/*
	 * x86_64 with DYNAMIC_FTRACE_WITH_ARGS saves the argument registers
	 * in every ftrace_regs, not only with FTRACE_OPS_FL_SAVE_REGS.
	 */
	struct pt_regs *regs = &fregs->regs;

	if (ip == portsel_put_port_addr)
		portsel_connect_released_sock((struct sock *)regs->di);
	else if (ip == portsel_tw_unhash_addr)
		portsel_connect_released_tw((struct inet_timewait_sock *)regs->di,
					    (struct inet_hashinfo *)regs->si);
}

static struct ftrace_ops portsel_release_ops = {
	.func	= portsel_release_thunk,
	.flags	= FTRACE_OPS_FL_RECURSION,
};

/**
 * portsel_release_hook_install - start watching port releases
 *
 * Return: 0, or the error from kprobes or ftrace.
 */
int portsel_release_hook_install(void)
{
	static const char *const names[] = {
		"inet_put_port", "inet_twsk_bind_unhash",
	};
	unsigned long addr[ARRAY_SIZE(names)];
	int i, err;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		addr[i] = portsel_lookup(names[i]);
		if (IS_ERR_VALUE(addr[i])) {
			err = addr[i];
			pr_err("cannot resolve %s: %d\n", names[i], err);
			goto err_filter;
		}
		err = ftrace_set_filter_ip(&portsel_release_ops, addr[i], 0, 0);
		if (err) {
			pr_err("%s is not traceable: %d\n", names[i], err);
			goto err_filter;
		}
	}
	portsel_put_port_addr = addr[0];
	portsel_tw_unhash_addr = addr[1];

	err = register_ftrace_function(&portsel_release_ops);
	if (err) {
		pr_err("cannot trace port releases: %d\n", err);
		goto err_filter;
	}
	return 0;

err_filter:
	ftrace_free_filter(&portsel_release_ops);
	return err;
}

/*
 * Stop watching. For ops in module data ftrace waits, before returning,
 * until no CPU can be in the callback (it runs with preemption off).
 */
void portsel_release_hook_remove(void)
{
	WARN_ON(unregister_ftrace_function(&portsel_release_ops));
	ftrace_free_filter(&portsel_release_ops);
}

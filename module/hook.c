// SPDX-License-Identifier: GPL-2.0
/*
 * The redirect of __inet_hash_connect() to the replacement it is given.
 *
 * __inet_hash_connect() is global but not exported; it is traceable, so an
 * ftrace_ops with IPMODIFY at its entry sends every caller (inet and inet6
 * hash_connect, thus TCP and DCCP over both families) to our replacement.
 * The replacement calls the original to try ports; those calls come from
 * this module and pass through untouched. This is the only file that
 * knows ftrace. As livepatch's klp_func.new_func, the replacement and the
 * callbacks for port releases are handed in by the caller: the hook knows
 * the hooked functions' signatures, not what is done in their place.
 */

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/srcu.h>
#include <linux/static_call.h>
#include <linux/uaccess.h>
#include <net/inet_hashtables.h>

#include "compat.h"
#include "hook.h"
#include "hook_abi.h"
#include "hook_arch.h"

#define PORTSEL_HOOKED "__inet_hash_connect"

/*
 * The calls made on every connect and every release go to functions known
 * only at install time: static calls, patched into direct calls then, so
 * that none of them pays a retpoline. Each is set before anything can
 * reach its call site.
 */

/* Where our calls enter __inet_hash_connect(). */
DEFINE_STATIC_CALL_NULL(portsel_orig, portsel_hash_connect_fn);

#ifdef PORTSEL_BENCH
/*
 * make bench only (Kbuild's PORTSEL_BENCH): enter the original through its
 * ftrace site, as every try did before portsel_locate(), so
 * that the two ways can be timed against each other in one load.
 */
DEFINE_STATIC_CALL_NULL(portsel_bench_entry, portsel_hash_connect_fn);
static bool portsel_bench_via_ftrace;
module_param_named(bench_via_ftrace, portsel_bench_via_ftrace, bool, 0644);
#endif
/* What runs in its place; set before the redirect is registered. */
DEFINE_STATIC_CALL_NULL(portsel_new_func, portsel_hash_connect_fn);

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
 * at the function's entry when there is one (see portsel_locate()):
 * the trampoline would only send them back here. Should they enter through
 * it, the ftrace callback tells them from the kernel's own calls by the
 * return address, which lies in this module's text: every caller runs
 * under portsel_hash_connect(), which cannot make a tail call (it unlocks
 * SRCU after its call), so even a chain of sibling calls returns into it.
 */
int portsel_hook_call_orig(struct inet_timewait_death_row *death_row,
			   struct sock *sk, u64 port_offset,
			   portsel_check_t check)
{
#ifdef PORTSEL_BENCH
	if (READ_ONCE(portsel_bench_via_ftrace))
		return static_call(portsel_bench_entry)(death_row, sk,
							port_offset, check);
#endif
	return static_call(portsel_orig)(death_row, sk, port_offset, check);
}

static int portsel_hash_connect(struct inet_timewait_death_row *death_row,
				struct sock *sk, u64 port_offset,
				portsel_check_t check)
{
	int idx, ret;

	idx = srcu_read_lock(&portsel_hook_srcu);
	ret = static_call(portsel_new_func)(death_row, sk, port_offset, check);
	srcu_read_unlock(&portsel_hook_srcu, idx);
	return ret;
}

static_assert(__same_type(portsel_hash_connect, portsel_hash_connect_fn));

static void notrace portsel_ftrace_thunk(unsigned long ip,
					 unsigned long parent_ip,
					 struct ftrace_ops *op,
					 struct ftrace_regs *fregs)
{
	if (!portsel_within_module_text(parent_ip, THIS_MODULE))
		portsel_arch_redirect(fregs, (unsigned long)portsel_hash_connect);
}

/*
 * PERMANENT, as livepatch does: with it, kernel.ftrace_enabled=0 is refused
 * while portsel is loaded, and registering fails while ftrace is disabled.
 * Without it that sysctl turns the site back into a NOP and every netns
 * silently gets the kernel's choice whatever its policy reads.
 *
 * No RECURSION: the thunk calls nothing and touches no shared data, so it
 * needs neither ftrace's recursion guard nor the preemption-off section
 * that comes with it, and every connect is spared ftrace_ops_assist_func().
 * A task preempted inside it is waited for at removal like one inside the
 * trampoline (synchronize_rcu_tasks(), portsel_hook_remove()).
 */
static struct ftrace_ops portsel_ftrace_ops = {
	.func	= portsel_ftrace_thunk,
	.flags	= PORTSEL_FTRACE_OPS_REGS | FTRACE_OPS_FL_IPMODIFY |
		  FTRACE_OPS_FL_PERMANENT,
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
 * Where ftrace and our calls take the function at @addr (the symbol, or
 * under x86's IBT possibly its site, as a kprobe resolves it): @site is
 * its ftrace record, the ip ftrace's callbacks are given, @entry the
 * first instruction past it, where the function runs as if it were not
 * traced (hook_arch.h, site.c). Return: 0, -ENOEXEC or -EFAULT.
 */
static int portsel_locate(const char *name, unsigned long addr,
			  unsigned long *site, unsigned long *entry)
{
	u8 text[PORTSEL_SITE_PEEK];
	struct portsel_site s;

	if (copy_from_kernel_nofault(text, (void *)addr, sizeof(text)))
		return -EFAULT;
	if (!portsel_arch_site(text, &s)) {
		*site = addr + s.site;
		*entry = addr + s.entry;
		return 0;
	}
	if (PORTSEL_ARCH_SITE_REQUIRED) {
		pr_err("%s does not start with an ftrace site portsel knows (%*ph): refusing to hook it\n",
		       name, PORTSEL_SITE_PEEK, text);
		return -ENOEXEC;
	}
	*site = addr;
	*entry = addr;
	return 0;
}

/* One message for a failed registration, naming the cause. */
static void portsel_hook_explain(int err)
{
	if (err != -EBUSY) {
		pr_err("cannot hook %s: %d\n", PORTSEL_HOOKED, err);
		return;
	}
	/*
	 * Both causes are -EBUSY. __register_ftrace_function() refuses a
	 * PERMANENT ops while ftrace is disabled before it marks an ops in
	 * module data DYNAMIC; the IPMODIFY conflict is found after that.
	 */
	if (!(portsel_ftrace_ops.flags & FTRACE_OPS_FL_DYNAMIC))
		pr_err("cannot hook %s: ftrace is disabled (kernel.ftrace_enabled=0); enable it and load again\n",
		       PORTSEL_HOOKED);
	else
		pr_err("cannot hook %s: -EBUSY: another IPMODIFY user holds it (a livepatch of it, or a kprobe with a post_handler on it)\n",
		       PORTSEL_HOOKED);
}

/**
 * portsel_hook_install - start redirecting __inet_hash_connect()
 * @new_func: what every caller but the module itself runs in its place;
 *            it may call the original through portsel_hook_call_orig()
 *
 * Everything @new_func reads must be set up before this is called.
 *
 * Return: 0; -ENOENT when the symbol is missing; -EBUSY when ftrace is
 * disabled (kernel.ftrace_enabled=0) or another IPMODIFY owner (a livepatch
 * of the function, a kprobe with a post_handler on it) holds the function;
 * else the error from kprobes or ftrace.
 */
int portsel_hook_install(portsel_hash_connect_fn *new_func)
{
	unsigned long addr, site, entry;
	int err;

	addr = portsel_lookup(PORTSEL_HOOKED);
	if (IS_ERR_VALUE(addr)) {
		err = addr;
		pr_err("cannot resolve %s: %d\n", PORTSEL_HOOKED, err);
		return err;
	}
	err = portsel_locate(PORTSEL_HOOKED, addr, &site, &entry);
	if (err)
		return err;
	static_call_update(portsel_orig, (portsel_hash_connect_fn *)entry);
#ifdef PORTSEL_BENCH
	/* through the site: from the symbol (arm64 saves the return there) */
	static_call_update(portsel_bench_entry,
			   (portsel_hash_connect_fn *)addr);
#endif
	static_call_update(portsel_new_func, new_func);

	err = ftrace_set_filter_ip(&portsel_ftrace_ops, site, 0, 0);
	if (err) {
		pr_err("%s is not traceable: %d\n", PORTSEL_HOOKED, err);
		goto err_free_filter;
	}

	err = register_ftrace_function(&portsel_ftrace_ops);
	if (err) {
		portsel_hook_explain(err);
		goto err_free_filter;
	}
	return 0;

err_free_filter:
	/* the ops is never registered again: it lives and dies with us */
	ftrace_free_filter(&portsel_ftrace_ops);
	return err;
}

/**
 * portsel_hook_sync - wait for every replacement body running now
 *
 * For state torn down while the hook stays installed (a dying netns):
 * once the connect path can no longer reach it, this waits out the
 * connects that reached it before. May sleep.
 */
void portsel_hook_sync(void)
{
	synchronize_srcu(&portsel_hook_srcu);
}

/**
 * portsel_hook_remove - stop redirecting and wait for every replacement
 *
 * After this returns no CPU runs, or will run, portsel code on the
 * connect path.
 */
void portsel_hook_remove(void)
{
	/*
	 * For ops outside core kernel data (FTRACE_OPS_FL_DYNAMIC) this
	 * returns after synchronize_rcu_tasks_rude() and, with PREEMPTION,
	 * synchronize_rcu_tasks() (ftrace_shutdown() in 6.1): every task
	 * redirected before it has left the trampoline and our callback,
	 * and, since nothing between the redirect and srcu_read_lock() sleeps
	 * voluntarily, is inside an SRCU section or done. It cannot fail for
	 * an ops we registered; if it did, the site would still point here.
	 */
	WARN_ON(unregister_ftrace_function(&portsel_ftrace_ops));
	ftrace_free_filter(&portsel_ftrace_ops);

	/*
	 * The sections: the original may sleep (cond_resched()) below us,
	 * which RCU Tasks counts as a quiescent state.
	 */
	synchronize_srcu(&portsel_hook_srcu);
	/*
	 * A task preempted after srcu_read_unlock() but before it returned
	 * from portsel_hash_connect() still runs module text.
	 */
	synchronize_rcu_tasks();
}

/*
 * Releases of ports, for even-first's memory: inet_put_port() (a TCP or
 * DCCP socket gives its port back) and inet_twsk_bind_unhash() (a
 * TIME_WAIT socket does). A plain ftrace_ops: it only looks at the
 * arguments, and coexists with any other user of these functions. It is
 * registered only while some netns runs a policy that needs releases told
 * (netns.c), so that every other release in the system costs nothing. It
 * is not PERMANENT: once the redirect's PERMANENT registration holds
 * kernel.ftrace_enabled on, it is live whenever it is registered.
 */
static unsigned long portsel_put_port_addr __read_mostly;
static unsigned long portsel_tw_unhash_addr __read_mostly;
DEFINE_STATIC_CALL_NULL(portsel_released_sock, portsel_released_sock_fn);
DEFINE_STATIC_CALL_NULL(portsel_released_tw, portsel_released_tw_fn);

static void notrace portsel_release_thunk(unsigned long ip,
					  unsigned long parent_ip,
					  struct ftrace_ops *op,
					  struct ftrace_regs *fregs)
{
	void *arg0 = (void *)ftrace_regs_get_argument(fregs, 0);
	void *arg1 = (void *)ftrace_regs_get_argument(fregs, 1);

	/* an RCU read-side section for the callbacks, as ftrace's assist gives */
	preempt_disable_notrace();
	if (ip == portsel_put_port_addr)
		static_call(portsel_released_sock)(arg0);
	else if (ip == portsel_tw_unhash_addr)
		static_call(portsel_released_tw)(arg0, arg1);
	preempt_enable_notrace();
}

/*
 * The arguments are in every ftrace_regs only with WITH_ARGS.
 *
 * No RECURSION, so every release is spared ftrace_ops_assist_func(): the
 * guard is for callbacks that may reach their own traced functions, and
 * these cannot. What they call (the busy set, the established-hash
 * lookup and its sock_gen_put(), the port hashes, the memory) never
 * gives a port back: a socket's last put frees it, and its port went back
 * before, in the inet_put_port() or inet_twsk_bind_unhash() we are in or
 * an earlier one. A release from an interrupt that lands inside the
 * callback is a call of its own, not a recursion: the callbacks keep no
 * state across calls. Removal waits for a task preempted before the
 * preempt_disable_notrace() as for the redirect (portsel_hook_remove()).
 */
static struct ftrace_ops portsel_release_ops = {
	.func	= portsel_release_thunk,
	.flags	= PORTSEL_FTRACE_OPS_REGS,
};

/**
 * portsel_release_hook_install - get ready to watch port releases
 * @sock_fn: called at the entry of inet_put_port(), with its socket
 * @tw_fn: called at the entry of inet_twsk_bind_unhash(), with its
 *         TIME_WAIT socket and hash tables
 *
 * Both run in ftrace's callback, with preemption off, once
 * portsel_release_hook_start() has registered it: until then no release
 * costs anything.
 *
 * Return: 0, or the error from kprobes or ftrace.
 */
int portsel_release_hook_install(portsel_released_sock_fn *sock_fn,
				 portsel_released_tw_fn *tw_fn)
{
	static const char *const names[] = {
		"inet_put_port", "inet_twsk_bind_unhash",
	};
	/* exported: its address needs no lookup */
	unsigned long addr[ARRAY_SIZE(names)] = {
		(unsigned long)inet_put_port,
	};
	unsigned long entry;
	int i, err;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!addr[i])
			addr[i] = portsel_lookup(names[i]);
		if (IS_ERR_VALUE(addr[i])) {
			err = addr[i];
			pr_err("cannot resolve %s: %d\n", names[i], err);
			goto err_filter;
		}
		/* the callback's ip is the site, not the symbol */
		err = portsel_locate(names[i], addr[i], &addr[i], &entry);
		if (err)
			goto err_filter;
		err = ftrace_set_filter_ip(&portsel_release_ops, addr[i], 0, 0);
		if (err) {
			pr_err("%s is not traceable: %d\n", names[i], err);
			goto err_filter;
		}
	}
	portsel_put_port_addr = addr[0];
	portsel_tw_unhash_addr = addr[1];
	static_call_update(portsel_released_sock, sock_fn);
	static_call_update(portsel_released_tw, tw_fn);
	return 0;

err_filter:
	ftrace_free_filter(&portsel_release_ops);
	return err;
}

/**
 * portsel_release_hook_start - start telling port releases
 *
 * The sites are patched when this returns: every release that enters
 * inet_put_port() or inet_twsk_bind_unhash() from then on is told. May
 * sleep.
 *
 * Return: 0, or the error from ftrace.
 */
int portsel_release_hook_start(void)
{
	int err;

	err = register_ftrace_function(&portsel_release_ops);
	if (err)
		pr_err("cannot trace port releases: %d\n", err);
	return err;
}

/**
 * portsel_release_hook_stop - stop telling port releases
 *
 * For ops in module data ftrace waits, before returning, until no task
 * can be in the trampoline or the callback: synchronize_rcu_tasks_rude()
 * and, with PREEMPTION, synchronize_rcu_tasks() (ftrace_shutdown()), as
 * for the redirect. May sleep.
 */
void portsel_release_hook_stop(void)
{
	/*
	 * It fails only once ftrace_kill() has disabled ftrace (an ftrace
	 * bug, reported then): the sites may still call our trampoline, so
	 * the module must never go. At module exit nothing can keep it;
	 * livepatch, which faces the same, warns as well.
	 */
	if (WARN_ON(unregister_ftrace_function(&portsel_release_ops)))
		__module_get(THIS_MODULE);
}

/* Forget the functions: after the last portsel_release_hook_stop(). */
void portsel_release_hook_remove(void)
{
	ftrace_free_filter(&portsel_release_ops);
}

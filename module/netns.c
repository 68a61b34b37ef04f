// SPDX-License-Identifier: GPL-2.0
/*
 * Per-netns control: state, sysctls under net.portsel, and the stats file.
 *
 * Each netns gets its own copy of the sysctl table with .data pointing into
 * its own struct portsel_net: a writable entry pointing at module data
 * would be shared by every netns (and WARNs when registered in a child).
 */

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <linux/workqueue.h>

#include "busyset.h"
#include "compat.h"
#include "hook.h"
#include "memory.h"
#include "netns.h"
#include "policy.h"
#include "stats.h"

unsigned int portsel_net_id __read_mostly;

static unsigned int portsel_uint_zero;
static unsigned int portsel_uint_one = 1;
static unsigned int portsel_hold_max = PORTSEL_EXHAUST_HOLD_MAX;
static unsigned int portsel_step_width_max = PORTSEL_STEP_WIDTH_MAX;

/*
 * Port releases are told (hook.c) only while some netns runs a policy
 * other than the kernel's: each of those scans, and even-first's memory
 * and every policy's busy set count on being told of every release. The
 * users are counted here, where policies change, under a mutex that also
 * orders the policy writes.
 *
 * Starting or stopping the trace patches two call sites and waits for
 * every CPU; a tool that flips policies (compare, a test's loop) would
 * pay that on every flip. So the trace outlives its last user by a
 * second, and a user that comes back within it finds the trace running.
 * Releases told meanwhile cost inet_put_port() the callback's netns test.
 */
#define PORTSEL_RELEASE_LINGER	HZ

static DEFINE_MUTEX(portsel_release_mutex);
static unsigned int portsel_release_users;
static bool portsel_release_tracing;
/* false once the module is going: see portsel_netns_exit() */
static bool portsel_release_linger = true;

static void portsel_release_linger_end(struct work_struct *work);
static DECLARE_DELAYED_WORK(portsel_release_stop, portsel_release_linger_end);

static bool portsel_policy_needs_releases(int policy)
{
	return policy != PORTSEL_KERNEL;
}

/*
 * The trace has just started. A release that entered inet_put_port()
 * before its site was patched went untold, and its port may not be free
 * yet. RCU Tasks waits until every task that was running or preempted
 * then has switched voluntarily, which none does inside inet_put_port():
 * after it, each such release is done. (Without PREEMPTION this is
 * synchronize_rcu(), and nothing is preempted there.) On PREEMPT_RT a task
 * blocked on a sleeping lock counts as switched: there the netns' marks
 * end a second ahead instead, as for a port bind() held.
 *
 * Return: how far ahead of now the netns' marks must end.
 */
static unsigned long portsel_releases_settle(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return PORTSEL_MEM_FREED_AHEAD;
	synchronize_rcu_tasks();
	return 0;
}

/*
 * @pn takes up a policy that needs releases: they are told from here on.
 * Those not told while it ran the kernel's choice cannot end what its
 * scans left before: end every mark of the netns as a port that bind()
 * held would, and drop its busy set. Dating that ahead by a second
 * always, as before, voided every mark for a second after the switch: a
 * fill to one destination that fast scanned the full parity on every
 * connect.
 */
static int portsel_releases_get(struct portsel_net *pn)
{
	unsigned long ahead = 0;
	int err;

	lockdep_assert_held(&portsel_release_mutex);
	if (!portsel_release_tracing) {
		err = portsel_release_hook_start();
		if (err)
			return err;
		portsel_release_tracing = true;
		ahead = portsel_releases_settle();
	}
	portsel_release_users++;
	portsel_mem_freed(&pn->freed_any, jiffies, ahead);
	portsel_busy_drop(&pn->busy);
	return 0;
}

/*
 * Stop the trace once nobody needs it, after the scans still running have
 * ended (one that marked after the trace stopped would leave a mark that
 * no release can end).
 */
static void portsel_releases_stop_unused(void)
{
	lockdep_assert_held(&portsel_release_mutex);
	if (portsel_release_users || !portsel_release_tracing)
		return;
	portsel_hook_sync();
	portsel_release_hook_stop();
	portsel_release_tracing = false;
}

/* A netns left such a policy; the last user lets the trace linger. */
static void portsel_releases_put(void)
{
	lockdep_assert_held(&portsel_release_mutex);
	if (--portsel_release_users)
		return;
	if (portsel_release_linger)
		mod_delayed_work(system_wq, &portsel_release_stop,
				 PORTSEL_RELEASE_LINGER);
	else
		portsel_releases_stop_unused();
}

/* Nobody came back within the linger. */
static void portsel_release_linger_end(struct work_struct *work)
{
	mutex_lock(&portsel_release_mutex);
	portsel_releases_stop_unused();
	mutex_unlock(&portsel_release_mutex);
}

/* Return: 0, or the error that left the policy as it was. May sleep. */
static int portsel_policy_set(struct portsel_net *pn, int policy)
{
	int old, err = 0;

	mutex_lock(&portsel_release_mutex);
	old = pn->policy;
	if (portsel_policy_needs_releases(policy) &&
	    !portsel_policy_needs_releases(old)) {
		err = portsel_releases_get(pn);
		if (err)
			goto unlock;
	}
	WRITE_ONCE(pn->policy, policy);
	if (portsel_policy_needs_releases(old) &&
	    !portsel_policy_needs_releases(policy))
		portsel_releases_put();
unlock:
	mutex_unlock(&portsel_release_mutex);
	return err;
}

/*
 * A write is one whole value at offset 0; anything else is -EINVAL so a
 * partial or appended write can never leave a half-parsed setting.
 */
static int portsel_sysctl_policy(PORTSEL_CTL_CONST struct ctl_table *table, int write,
				 void *buffer, size_t *lenp, loff_t *ppos)
{
	char name[PORTSEL_POLICY_NAME_MAX + 1];
	struct ctl_table tmp = {
		.data = name,
		.maxlen = sizeof(name),
	};
	int *policy = table->data;
	int ret;

	if (write) {
		if (*ppos)
			return -EINVAL;
		ret = portsel_policy_parse(buffer, *lenp);
		if (ret < 0)
			return ret;
		ret = portsel_policy_set(container_of(policy, struct portsel_net,
						      policy), ret);
		if (ret)
			return ret;
		*ppos += *lenp;
		return 0;
	}

	strscpy(name, portsel_policy_name(READ_ONCE(*policy)), sizeof(name));
	return proc_dostring(&tmp, write, buffer, lenp, ppos);
}

/*
 * An unsigned int within [*extra1, *extra2], parsed strictly. The kernel's
 * handlers (proc_douintvec_minmax, proc_dou8vec_minmax with SYSCTL_ZERO and
 * SYSCTL_ONE) would bound it as well but not parse as strictly: they skip
 * leading white space, so ' 1' would be taken, and a typo must be an
 * error rather than a setting. Reads go through proc_douintvec.
 */
static int portsel_sysctl_uint(PORTSEL_CTL_CONST struct ctl_table *table, int write,
			       void *buffer, size_t *lenp, loff_t *ppos)
{
	unsigned int *val = table->data;
	unsigned int v;
	int ret;

	if (!write)
		return proc_douintvec(table, write, buffer, lenp, ppos);

	if (*ppos)
		return -EINVAL;
	ret = portsel_parse_uint(buffer, *lenp, *(unsigned int *)table->extra1,
				 *(unsigned int *)table->extra2, &v);
	if (ret)
		return ret;
	WRITE_ONCE(*val, v);
	*ppos += *lenp;
	return 0;
}

enum {
	PORTSEL_SYSCTL_POLICY,
	PORTSEL_SYSCTL_AVAILABLE,
	PORTSEL_SYSCTL_RESERVE_ODD,
	PORTSEL_SYSCTL_EXHAUST_HOLD,
	PORTSEL_SYSCTL_SOCKET_RANGE_PARITY,
	PORTSEL_SYSCTL_STEP_WIDTH,
};

static struct ctl_table portsel_sysctl_template[] = {
	[PORTSEL_SYSCTL_POLICY] = {
		.procname	= "policy",
		.maxlen		= PORTSEL_POLICY_NAME_MAX + 1,
		.mode		= 0644,
		.proc_handler	= portsel_sysctl_policy,
	},
	[PORTSEL_SYSCTL_AVAILABLE] = {
		/* read-only, so shared module data is fine in every netns */
		.procname	= "available_policies",
		.data		= portsel_policies_available,
		.maxlen		= sizeof(portsel_policies_available),
		.mode		= 0444,
		.proc_handler	= proc_dostring,
	},
	[PORTSEL_SYSCTL_RESERVE_ODD] = {
		.procname	= "reserve_odd",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= portsel_sysctl_uint,
		.extra1		= &portsel_uint_zero,
		.extra2		= &portsel_uint_one,
	},
	[PORTSEL_SYSCTL_EXHAUST_HOLD] = {
		.procname	= "exhaust_hold_ms",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= portsel_sysctl_uint,
		.extra1		= &portsel_uint_zero,
		.extra2		= &portsel_hold_max,
	},
	[PORTSEL_SYSCTL_SOCKET_RANGE_PARITY] = {
		.procname	= "socket_range_parity",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= portsel_sysctl_uint,
		.extra1		= &portsel_uint_zero,
		.extra2		= &portsel_uint_one,
	},
	[PORTSEL_SYSCTL_STEP_WIDTH] = {
		.procname	= "step_width",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= portsel_sysctl_uint,
		.extra1		= &portsel_uint_zero,
		.extra2		= &portsel_step_width_max,
	},
	{ }
};

static int portsel_sysctl_register(struct net *net, struct portsel_net *pn)
{
	struct ctl_table *table;

	table = kmemdup(portsel_sysctl_template,
			sizeof(portsel_sysctl_template), GFP_KERNEL);
	if (!table)
		return -ENOMEM;

	table[PORTSEL_SYSCTL_POLICY].data = &pn->policy;
	table[PORTSEL_SYSCTL_RESERVE_ODD].data = &pn->reserve_odd;
	table[PORTSEL_SYSCTL_EXHAUST_HOLD].data = &pn->exhaust_hold_ms;
	table[PORTSEL_SYSCTL_SOCKET_RANGE_PARITY].data =
		&pn->socket_range_parity;
	table[PORTSEL_SYSCTL_STEP_WIDTH].data = &pn->step_width;

	/* the count without the empty entry that ends the table */
	pn->sysctl = register_net_sysctl_sz(net, "net/portsel", table,
					    ARRAY_SIZE(portsel_sysctl_template) - 1);
	if (!pn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void portsel_sysctl_unregister(struct portsel_net *pn)
{
	const struct ctl_table *table = pn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(pn->sysctl);
	kfree(table);
}

static int portsel_stat_show(struct seq_file *seq, void *v)
{
	struct portsel_net *pn = portsel_net(seq_file_single_net(seq));

	return portsel_stats_show(seq, pn->stats);
}

/* The netns' counters, and /proc/net/portsel_stat that shows them. */
static int portsel_stats_init(struct net *net, struct portsel_net *pn)
{
	pn->stats = alloc_percpu(struct portsel_cpu_stats);
	if (!pn->stats)
		return -ENOMEM;

	if (!proc_create_net_single("portsel_stat", 0444, net->proc_net,
				    portsel_stat_show, NULL))
		goto err_free_stats;
	return 0;

err_free_stats:
	free_percpu(pn->stats);
	pn->stats = NULL;
	return -ENOMEM;
}

static void portsel_stats_exit(struct net *net, struct portsel_net *pn)
{
	remove_proc_entry("portsel_stat", net->proc_net);
	free_percpu(pn->stats);
	pn->stats = NULL;
}

static int __net_init portsel_net_init(struct net *net)
{
	struct portsel_net *pn = portsel_net(net);
	int err;

	pn->policy = PORTSEL_KERNEL;
	pn->reserve_odd = 0;
	pn->exhaust_hold_ms = 1000;
	pn->socket_range_parity = PORTSEL_SOCKET_RANGE_PARITY_DEFAULT;
	pn->step_width = 0;
	pn->hint = 0;
	pn->next = 0;
	pn->watch = jiffies;
	RCU_INIT_POINTER(pn->busy, NULL);

	err = portsel_stats_init(net, pn);
	if (err)
		return err;
	err = portsel_sysctl_register(net, pn);
	if (err)
		goto err_stats;
	return 0;

err_stats:
	portsel_stats_exit(net, pn);
	return err;
}

/*
 * A dying netns may still connect: the .exit of subsystems registered
 * before portsel runs after ours, and their kernel sockets live in it.
 * Quiesce first: no more writes to its sysctls (unregistering waits for
 * the ones in progress), then hand every later connect to the kernel,
 * which touches nothing of ours but pn->policy (freed with the netns,
 * after every .exit); the last netns to need releases told lets their
 * trace linger (portsel_releases_put()).
 */
static void __net_exit portsel_net_pre_exit(struct net *net)
{
	struct portsel_net *pn = portsel_net(net);

	portsel_sysctl_unregister(pn);
	portsel_policy_set(pn, PORTSEL_KERNEL);
}

/*
 * Connects that read the old policy before .pre_exit may still use the
 * stats and the busy set: one wait for the hook's SRCU serves the whole
 * batch. Releases may still come (the netns' kernel sockets die after
 * us): they find the busy set's slot empty, and RCU keeps the set they
 * may be reading.
 */
static void __net_exit portsel_net_exit_batch(struct list_head *net_list)
{
	struct net *net;

	portsel_hook_sync();
	list_for_each_entry(net, net_list, exit_list) {
		portsel_busy_drop(&portsel_net(net)->busy);
		portsel_stats_exit(net, portsel_net(net));
	}
}

static struct pernet_operations portsel_net_ops = {
	.init	= portsel_net_init,
	.pre_exit = portsel_net_pre_exit,
	.exit_batch = portsel_net_exit_batch,
	.id	= &portsel_net_id,
	.size	= sizeof(struct portsel_net),
};

int portsel_netns_init(void)
{
	portsel_policy_init();
	return register_pernet_subsys(&portsel_net_ops);
}

/*
 * Unregistering frees every netns' struct portsel_net while the netns
 * lives on, and the release callbacks read it: the trace must be gone
 * first. So from here the last user stops it at once (each netns' pre_exit
 * sets the kernel's policy before anything is freed), and a linger in
 * progress ends now. A linger queued meanwhile finds nothing to stop;
 * the flush keeps its work from outliving the module.
 */
void portsel_netns_exit(void)
{
	cancel_delayed_work_sync(&portsel_release_stop);
	mutex_lock(&portsel_release_mutex);
	portsel_release_linger = false;
	portsel_releases_stop_unused();
	mutex_unlock(&portsel_release_mutex);
	unregister_pernet_subsys(&portsel_net_ops);
	flush_delayed_work(&portsel_release_stop);
}

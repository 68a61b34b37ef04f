/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portsel's sources are written for the kernel APIs of Linux 6.12 (Debian
 * 13, bookworm-backports); this header maps each onto the older kernels
 * portsel is built for (Debian 12's 6.1), keyed on the feature where the
 * kernel defines one and on the version that changed it where it does
 * not. It is the only place that tests LINUX_VERSION_CODE.
 */
#ifndef _PORTSEL_COMPAT_H
#define _PORTSEL_COMPAT_H

#include <linux/atomic.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/seqlock.h>
#include <linux/sysctl.h>
#include <linux/version.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>

/*
 * 6.2 renamed ftrace_instruction_pointer_set(), and made struct
 * ftrace_regs opaque behind accessors (macros on x86, inline functions
 * on arm64); 6.1's holds pt_regs.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#ifndef ftrace_regs_set_instruction_pointer
#define ftrace_regs_set_instruction_pointer(fregs, ip) \
	ftrace_instruction_pointer_set(fregs, ip)
#endif
#ifndef ftrace_regs_get_argument
#define ftrace_regs_get_argument(fregs, n) \
	regs_get_kernel_argument(&(fregs)->regs, n)
#endif
#endif

/* 6.11 passes sysctl handlers their table const. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define PORTSEL_CTL_CONST const
#else
#define PORTSEL_CTL_CONST
#endif

/* 6.6 added the sized registration; before, the table ends at its sentinel. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
static inline struct ctl_table_header *
register_net_sysctl_sz(struct net *net, const char *path,
		       struct ctl_table *table, size_t count)
{
	return register_net_sysctl(net, path, table);
}
#endif

/*
 * Is @addr in @mod's text? 6.4 split a module's memory by type, and
 * within_module() became a loop over every type: about a hundred
 * instructions on every connect's redirect, where one range will do.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define portsel_within_module_text(addr, mod) \
	within_module_mem_type(addr, mod, MOD_TEXT)
#else
#define portsel_within_module_text(addr, mod) within_module_core(addr, mod)
#endif

/* 6.10 takes the source of __assign_str() from its __string(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define portsel_assign_str(field, src)	__assign_str(field)
#else
#define portsel_assign_str(field, src)	__assign_str(field, src)
#endif

/*
 * 6.8 (207184853dbd): a socket with its own IP_LOCAL_PORT_RANGE is scanned
 * in steps of 1 without parity. socket_range_parity's default follows the
 * running kernel, so that every policy behaves as it does.
 */
#define PORTSEL_SOCKET_RANGE_PARITY_DEFAULT \
	(LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0))

/*
 * IP_LOCAL_PORT_RANGE, as the u32 high << 16 | low that 6.7 made it.
 * Since 6.7 it is set and read without the socket lock: the pin of a
 * connect replaces it only if it still holds what the connect last saw,
 * so a setsockopt() meanwhile is never overwritten. Before, the caller's
 * socket lock keeps setsockopt() out.
 */
static inline u32 portsel_sk_port_range(const struct inet_sock *inet)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return READ_ONCE(inet->local_port_range);
#else
	return (u32)inet->local_port_range.hi << 16 |
	       inet->local_port_range.lo;
#endif
}

/* Replace @old by @new; false, and nothing changed, if it held another. */
static inline bool portsel_sk_port_range_swap(struct inet_sock *inet,
					      u32 old, u32 new)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return try_cmpxchg(&inet->local_port_range, &old, new);
#else
	if (portsel_sk_port_range(inet) != old)
		return false;
	inet->local_port_range.lo = new & 0xffff;
	inet->local_port_range.hi = new >> 16;
	return true;
#endif
}

/*
 * The netns range: one u32 without its seqlock since 6.7 as well. Only
 * the KUnit suite sets it, on a struct net of its own.
 */
static inline void portsel_net_port_range_init(struct net *net)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	seqlock_init(&net->ipv4.ip_local_ports.lock);
#endif
}

static inline void portsel_net_port_range_set(struct net *net, u16 lo, u16 hi)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	WRITE_ONCE(net->ipv4.ip_local_ports.range, (u32)hi << 16 | lo);
#else
	net->ipv4.ip_local_ports.range[0] = lo;
	net->ipv4.ip_local_ports.range[1] = hi;
#endif
}

#endif /* _PORTSEL_COMPAT_H */

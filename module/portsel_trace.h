/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM portsel

#if !defined(_PORTSEL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PORTSEL_TRACE_H

#include <linux/socket.h>
#include <linux/tracepoint.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "compat.h"
#include "policy.h"

#ifndef _PORTSEL_TRACE_HELPERS
#define _PORTSEL_TRACE_HELPERS
/* An AF_INET6 socket connecting to a v4-mapped address: an IPv4 flow. */
static inline bool portsel_trace_v4mapped(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	return sk->sk_family == AF_INET6 &&
	       ipv6_addr_v4mapped(&sk->sk_v6_daddr);
#else
	return false;
#endif
}
#endif

/*
 * One event per connect() that a portsel policy handled: the policy's
 * name (a string, which perf and trace-cmd print as it is), the socket's
 * family (with v4mapped=1 for an AF_INET6 socket connecting to IPv4),
 * what it chose (0 on failure), how many ports it tried, and what
 * connect() got back.
 */
TRACE_EVENT(portsel_select,
	    TP_PROTO(const struct sock *sk, int policy, u16 port, u32 probes,
		     int result, bool skipped_scan),
	    TP_ARGS(sk, policy, port, probes, result, skipped_scan),
	    TP_STRUCT__entry(__field(u16, family)
			     __field(u16, port)
			     __string(policy, portsel_policy_name(policy))
			     __field(u32, probes)
			     __field(int, result)
			     __field(bool, v4mapped)
			     __field(bool, skipped_scan)),
	    TP_fast_assign(__entry->family = sk->sk_family;
			   __entry->v4mapped = portsel_trace_v4mapped(sk);
			   __entry->port = port;
			   portsel_assign_str(policy, portsel_policy_name(policy));
			   __entry->probes = probes;
			   __entry->result = result;
			   __entry->skipped_scan = skipped_scan;),
	    TP_printk("family=%s v4mapped=%d policy=%s port=%u probes=%u result=%d skipped_scan=%d",
		      __print_symbolic(__entry->family,
				       { AF_INET, "AF_INET" },
				       { AF_INET6, "AF_INET6" }),
		      __entry->v4mapped,
		      __get_str(policy),
		      __entry->port, __entry->probes, __entry->result,
		      __entry->skipped_scan)
);

#endif /* _PORTSEL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE portsel_trace
#include <trace/define_trace.h>

/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM portsel

#if !defined(_PORTSEL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PORTSEL_TRACE_H

#include <linux/socket.h>
#include <linux/tracepoint.h>

#include "policy.h"

/*
 * One event per connect() that a portsel policy handled: what it chose
 * (0 on failure), how many ports it tried, and what connect() got back.
 */
TRACE_EVENT(portsel_select,
	    TP_PROTO(u16 family, int policy, u16 port, u32 probes, int result,
		     bool skipped_scan),
	    TP_ARGS(family, policy, port, probes, result, skipped_scan),
	    TP_STRUCT__entry(__field(u16, family)
			     __field(u16, port)
			     __field(int, policy)
			     __field(u32, probes)
			     __field(int, result)
			     __field(bool, skipped_scan)),
	    TP_fast_assign(__entry->family = family;
			   __entry->port = port;
			   __entry->policy = policy;
			   __entry->probes = probes;
			   __entry->result = result;
			   __entry->skipped_scan = skipped_scan;),
	    TP_printk("family=%s policy=%s port=%u probes=%u result=%d skipped_scan=%d",
		      __print_symbolic(__entry->family,
				       { AF_INET, "AF_INET" },
				       { AF_INET6, "AF_INET6" }),
		      __print_symbolic(__entry->policy,
				       { PORTSEL_EVEN_FIRST, "even-first" },
				       { PORTSEL_SEQUENTIAL, "sequential" },
				       { PORTSEL_RANDOM, "random" }),
		      __entry->port, __entry->probes, __entry->result,
		      __entry->skipped_scan)
);

#endif /* _PORTSEL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE portsel_trace
#include <trace/define_trace.h>

// SPDX-License-Identifier: GPL-2.0
/*
 * Instantiates the portsel tracepoints (module/portsel_trace.h).
 */

#define CREATE_TRACE_POINTS
#include "portsel_trace.h"

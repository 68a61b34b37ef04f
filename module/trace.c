// SPDX-License-Identifier: GPL-2.0
/*
 * Instantiates the portsel tracepoints (module/trace.h).
 */

#define CREATE_TRACE_POINTS
#include "trace.h"

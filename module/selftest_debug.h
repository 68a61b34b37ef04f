/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deliberate bug, for the self-check of the debug kernel tier only
 * (scripts/debugtest.sh --self-check). It is built when kbuild is given
 * PORTSEL_SELFTEST_DEBUG=y, never otherwise: the module then commits it
 * at load time, and the tier must report it.
 */
#ifndef PORTSEL_SELFTEST_DEBUG_H
#define PORTSEL_SELFTEST_DEBUG_H

#ifdef PORTSEL_SELFTEST_DEBUG
void portsel_selftest_debug(void);
#else
static inline void portsel_selftest_debug(void)
{
}
#endif

#endif /* PORTSEL_SELFTEST_DEBUG_H */

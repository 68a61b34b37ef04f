/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deliberate bugs, for the self-check of the debug kernel tiers only
 * (scripts/debugtest.sh --self-check, with or without --kcsan). They are
 * built when kbuild is given PORTSEL_SELFTEST_DEBUG=y, never otherwise:
 * the module then commits them at load time, and the tier must report
 * the one its checker sees.
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

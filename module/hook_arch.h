/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hook does differently on each architecture: where a traced
 * function's ftrace site and body are (site.c decodes the bytes), and how
 * an ftrace callback sends the traced call elsewhere. Only hook.c
 * includes it; hook_abi.h refuses every other architecture.
 */
#ifndef _PORTSEL_HOOK_ARCH_H
#define _PORTSEL_HOOK_ARCH_H

#include <linux/ftrace.h>
#include <linux/ptrace.h>

#include "compat.h"
#include "site.h"

#if defined(CONFIG_X86_64)
static inline int portsel_arch_site(const u8 *text, struct portsel_site *s)
{
	return portsel_site_x86_64(text, IS_ENABLED(CONFIG_X86_KERNEL_IBT), s);
}

/*
 * Without IBT the site is the symbol itself: should the bytes be another
 * layout, calling the symbol still works, through the trampoline (our
 * calls come back from it untouched, only slower). Under IBT the site is
 * unknown.
 */
#define PORTSEL_ARCH_SITE_REQUIRED	IS_ENABLED(CONFIG_X86_KERNEL_IBT)
#elif defined(CONFIG_ARM64)
static inline int portsel_arch_site(const u8 *text, struct portsel_site *s)
{
	return portsel_site_arm64(text, s);
}

/* The site is never the symbol: releases would go unseen at a guess. */
#define PORTSEL_ARCH_SITE_REQUIRED	1
#endif

/*
 * With DYNAMIC_FTRACE_WITH_ARGS (x86_64 on 6.1 and 6.12, arm64 on 6.12)
 * the plain ftrace_caller saves the argument registers and honours a new
 * ip, which livepatch relies on since 5.11: SAVE_REGS, the trampoline
 * that saves every register on every call, only where that is missing
 * (arm64 on 6.1, whose ftrace_caller passes the argument registers but
 * returns to the pc saved by its SAVE_REGS variant only).
 */
#ifdef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#define PORTSEL_FTRACE_OPS_REGS	0

static __always_inline void portsel_arch_redirect(struct ftrace_regs *fregs,
						  unsigned long ip)
{
	ftrace_regs_set_instruction_pointer(fregs, ip);
}
#else
#define PORTSEL_FTRACE_OPS_REGS	FTRACE_OPS_FL_SAVE_REGS

/*
 * ftrace_instruction_pointer_set() is an empty macro without WITH_ARGS:
 * the call would run on untouched. Set the pc that the SAVE_REGS
 * trampoline returns to.
 */
static __always_inline void portsel_arch_redirect(struct ftrace_regs *fregs,
						  unsigned long ip)
{
	instruction_pointer_set(ftrace_get_regs(fregs), ip);
}
#endif

#endif /* _PORTSEL_HOOK_ARCH_H */

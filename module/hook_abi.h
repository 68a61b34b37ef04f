/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hook assumes about the kernel it is built for, checked by the
 * compiler. portsel calls __inet_hash_connect() at an address it found by
 * name and replaces it by redirecting its ftrace site; neither is
 * checked by the linker or at load time. A DKMS rebuild against a kernel
 * whose prototype or configuration differs must fail here rather than load
 * and crash.
 */
#ifndef _PORTSEL_HOOK_ABI_H
#define _PORTSEL_HOOK_ABI_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <net/inet_hashtables.h>

#include "hook.h"

/*
 * The hook must know the instructions at a function's entry that ftrace
 * patches, and enter past them (hook_arch.h, site.c): x86_64 and arm64.
 */
#if !defined(CONFIG_64BIT) || !(defined(CONFIG_X86_64) || defined(CONFIG_ARM64))
#error "portsel: the hook knows the ftrace site of x86_64 and arm64 kernels only"
#endif

/*
 * With IBT (every amd64 flavour of 6.12) a function starts with ENDBR64,
 * sealed to a 4-byte NOP at boot where nothing calls it indirectly, and
 * its ftrace site follows at +4: the hook enters at +9 (hook.c checks
 * the bytes at load). An indirect call there would fault on CET
 * hardware; the hook's calls into the kernel are static calls, which
 * are direct only where the architecture patches them.
 */
#if defined(CONFIG_X86_KERNEL_IBT) && !defined(CONFIG_HAVE_STATIC_CALL)
#error "portsel: CONFIG_X86_KERNEL_IBT without CONFIG_HAVE_STATIC_CALL: calls past ENDBR64"
#endif

/*
 * arm64's static calls are generic: a pointer loaded and called with blr.
 * Past the site (+8) there is no landing pad, so with BTI ("bti c" first,
 * clang builds) that call would fault. Pointer authentication is fine:
 * paciasp at +8 signs the return address the call left.
 */
#ifdef CONFIG_ARM64_BTI_KERNEL
#error "portsel: CONFIG_ARM64_BTI_KERNEL: a call past the ftrace site misses BTI's landing pad"
#endif

/* arm64's ftrace site is patchable-function-entry only with these. */
#if defined(CONFIG_ARM64) && !defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS) && \
	!defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#error "portsel: arm64 without DYNAMIC_FTRACE_WITH_REGS/_ARGS: no patchable entry to hook"
#endif

/*
 * kCFI checks the type hash in front of every indirect call's target. The
 * calls into the kernel are direct static calls, but ftrace's calls of
 * our callbacks and the core's fallback calls have never run under it.
 */
#ifdef CONFIG_CFI_CLANG
#error "portsel: CONFIG_CFI_CLANG is set; the hook is untested with kCFI"
#endif

/* hook.h's portsel_hash_connect_fn: the prototype portsel calls and replaces. */
static_assert(__same_type(__inet_hash_connect, portsel_hash_connect_fn),
	      "portsel: __inet_hash_connect() in <net/inet_hashtables.h> differs from the prototype portsel calls");

#endif /* _PORTSEL_HOOK_ABI_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * The layouts of a traceable function's entry, as compiled for ftrace.
 * Each decoder accepts exactly the instructions the kernel writes there,
 * at boot or when tracing starts and stops, and nothing else: a layout it
 * does not know means the hook would enter the function at a guess.
 */

#include <linux/errno.h>
#include <linux/string.h>

#include "site.h"

/* x86_64: call __fentry__ (e8 rel32), or the 5-byte NOP it is patched to. */
#define X86_CALL		0xe8
#define X86_SITE_SIZE		5
#define X86_ENDBR_SIZE		4

/**
 * portsel_site_x86_64 - the ftrace site of an x86_64 function
 * @text: its first PORTSEL_SITE_PEEK bytes
 * @ibt: whether the kernel is built with CONFIG_X86_KERNEL_IBT
 * @s: the offsets found
 *
 * The site is the function's first instruction; with IBT it follows the
 * ENDBR64 that starts the function, or the 4-byte NOP the kernel seals
 * that to at boot where nothing calls the function indirectly.
 *
 * Return: 0, or -ENOEXEC for any other layout.
 */
int portsel_site_x86_64(const u8 *text, bool ibt, struct portsel_site *s)
{
	static const u8 nop5[X86_SITE_SIZE] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
	static const u8 endbr64[X86_ENDBR_SIZE] = { 0xf3, 0x0f, 0x1e, 0xfa };
	/* the kernel's seal: osp nopl (%rax), gen_endbr_poison() */
	static const u8 nop4[X86_ENDBR_SIZE] = { 0x66, 0x0f, 0x1f, 0x00 };
	unsigned int at = 0;

	if (ibt && (!memcmp(text, endbr64, X86_ENDBR_SIZE) ||
		    !memcmp(text, nop4, X86_ENDBR_SIZE)))
		at = X86_ENDBR_SIZE;
	if (text[at] != X86_CALL && memcmp(&text[at], nop5, X86_SITE_SIZE))
		return -ENOEXEC;
	s->site = at;
	s->entry = at + X86_SITE_SIZE;
	return 0;
}

/*
 * arm64, -fpatchable-function-entry=2: two NOPs at the entry. At boot
 * ftrace writes "mov x9, x30" (the caller's return address, kept for the
 * trampoline) into the first; the second, the site, is a NOP or a
 * "bl" to the trampoline. With BTI a "bti c" would come first: hook_abi.h
 * refuses such kernels.
 */
#define ARM64_INSN_SIZE		4
#define ARM64_NOP		0xd503201f
#define ARM64_MOV_X9_X30	0xaa1e03e9
#define ARM64_BL_MASK		0xfc000000
#define ARM64_BL		0x94000000

/* Instructions are little-endian whatever the data's order. */
static u32 portsel_arm64_insn(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/**
 * portsel_site_arm64 - the ftrace site of an arm64 function
 * @text: its first PORTSEL_SITE_PEEK bytes (little-endian instructions)
 * @s: the offsets found
 *
 * The body after the site expects nothing from the two instructions
 * before it: entering there is a plain call of the function.
 *
 * Return: 0, or -ENOEXEC for any other layout (the first NOP not yet
 * initialised by ftrace, too).
 */
int portsel_site_arm64(const u8 *text, struct portsel_site *s)
{
	u32 first = portsel_arm64_insn(text);
	u32 second = portsel_arm64_insn(text + ARM64_INSN_SIZE);

	if (first != ARM64_MOV_X9_X30)
		return -ENOEXEC;
	if (second != ARM64_NOP && (second & ARM64_BL_MASK) != ARM64_BL)
		return -ENOEXEC;
	s->site = ARM64_INSN_SIZE;
	s->entry = 2 * ARM64_INSN_SIZE;
	return 0;
}

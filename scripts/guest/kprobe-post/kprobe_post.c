// SPDX-License-Identifier: GPL-2.0
/*
 * A second IPMODIFY owner of __inet_hash_connect() for portsel's test VM:
 * a kprobe with a post_handler is armed through kprobes' IPMODIFY ftrace
 * ops (arm_kprobe_ftrace() in kernel/kprobes.c), so it and portsel
 * exclude each other. Built by scripts/vmtest.sh, never installed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>

static unsigned long kprobe_post_hits;
module_param_named(hits, kprobe_post_hits, ulong, 0444);
MODULE_PARM_DESC(hits, "post_handler calls so far");

static void kprobe_post_handler(struct kprobe *p, struct pt_regs *regs,
				unsigned long flags)
{
	kprobe_post_hits++;
}

static struct kprobe kprobe_post_kp = {
	.symbol_name	= "__inet_hash_connect",
	.post_handler	= kprobe_post_handler,
};

static int __init kprobe_post_init(void)
{
	int err = register_kprobe(&kprobe_post_kp);

	if (err)
		pr_info("register_kprobe: %d\n", err);
	return err;
}

static void __exit kprobe_post_exit(void)
{
	unregister_kprobe(&kprobe_post_kp);
}

module_init(kprobe_post_init);
module_exit(kprobe_post_exit);

MODULE_DESCRIPTION("portsel test: a kprobe with a post_handler on __inet_hash_connect");
MODULE_LICENSE("GPL");

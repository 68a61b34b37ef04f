// SPDX-License-Identifier: GPL-2.0
/*
 * The deliberate bugs of selftest_debug.h: read one byte past the end of
 * a kmalloc()ed buffer, which KASAN reports as slab-out-of-bounds, and
 * increment a plain counter from two CPUs at once, which KCSAN reports
 * as a data race. Each checker's kernel lacks the other's checker, so a
 * load reports exactly one of them.
 */

#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "selftest_debug.h"

/* Long enough for KCSAN's watchpoints (one access in ~2000) to meet. */
#define PORTSEL_SELFTEST_RACE_LOOPS	200000

static unsigned long portsel_selftest_racy;

static void portsel_selftest_race_loop(struct work_struct *work)
{
	int i;

	/* the barrier keeps every load and store in the loop, racing */
	for (i = 0; i < PORTSEL_SELFTEST_RACE_LOOPS; i++) {
		portsel_selftest_racy++;
		barrier();
	}
}

/* The same loop here and in a work item on another CPU, at once. */
static void portsel_selftest_race(void)
{
	struct work_struct work;
	unsigned int cpu;

	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu >= nr_cpu_ids)
		return;
	INIT_WORK_ONSTACK(&work, portsel_selftest_race_loop);
	schedule_work_on(cpu, &work);
	portsel_selftest_race_loop(&work);
	flush_work(&work);
	destroy_work_on_stack(&work);
	pr_warn("self-check build: a plain counter raced on two CPUs: %lu\n",
		portsel_selftest_racy);
}

void portsel_selftest_debug(void)
{
	size_t len = 16;
	u8 *buf;

	portsel_selftest_race();
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return;
	/* hide the length, so that the compiler cannot see the overflow */
	OPTIMIZER_HIDE_VAR(len);
	pr_warn("self-check build: reading past a %zu-byte buffer: %u\n",
		len, READ_ONCE(buf[len]));
	kfree(buf);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The selection loop, and each policy's use of it.
 */

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/jiffies.h>

#include "select.h"

/*
 * The module's callbacks are always connect.c's: with retpolines they are
 * called directly, not through the pointer each port would pay for.
 * Without (UML's KUnit, whose simulator passes its own), INDIRECT_CALL_1
 * is the plain indirect call and never names them.
 */
static bool portsel_ops_reserved(const struct portsel_probe_ops *ops,
				 void *ctx, u16 port)
{
	return ops->reserved &&
	       INDIRECT_CALL_1(ops->reserved, portsel_try_reserved, ctx, port);
}

static int portsel_ops_try(const struct portsel_probe_ops *ops, void *ctx,
			   u16 port)
{
	return INDIRECT_CALL_1(ops->try_port, portsel_try_port, ctx, port);
}

/*
 * A candidate the caller found busy in bulk: a probe, answered without a
 * call. (The hook fills the set from its second busy port on, when
 * even-first watches releases already; even-first checks that too.)
 */
static bool portsel_known_busy(const struct portsel_probe_ops *ops,
			       struct portsel_result *res, u16 port)
{
	if (!ops->known || !ops->known->map ||
	    !portsel_busyset_has(ops->known, port))
		return false;
	res->probes++;
	res->known_busy++;
	return true;
}

/**
 * portsel_probe - try candidates in order until one is free
 * @o: the candidate order
 * @ops: how to test and take a port
 * @ctx: passed to @ops
 * @res: @res->port and @res->probes are set
 *
 * Return: 0 with @res->port set; -EADDRNOTAVAIL when every candidate is
 * busy; any other error of @ops->try_port as soon as it happens.
 */
int portsel_probe(struct portsel_order *o, const struct portsel_probe_ops *ops,
		  void *ctx, struct portsel_result *res)
{
	u16 port;
	int err;

	res->port = 0;
	res->probes = 0;
	res->known_busy = 0;

	while (portsel_order_next(o, &port)) {
		if (portsel_known_busy(ops, res, port))
			continue;
		if (portsel_ops_reserved(ops, ctx, port))
			continue;
		res->probes++;
		err = portsel_ops_try(ops, ctx, port);
		if (err == -EADDRNOTAVAIL)
			continue;
		if (!err)
			res->port = port;
		return err;
	}
	return -EADDRNOTAVAIL;
}

/*
 * Make sure releases are watched until @until at least, and return until
 * when they are now. The watch only ever moves forward (a connect that
 * saw it in force at some time knows it was in force ever since), and is
 * written at most about twice an epoch. Fully ordered: the watch before
 * the probes or the mark that follow, against the release path's barrier
 * after the port is unhashed and before the watch is read. Either the
 * release sees the watch and tells the memory, or what comes after this
 * sees its port free.
 */
static unsigned long portsel_watch_until(unsigned long *watch,
					 unsigned long until)
{
	unsigned long w = READ_ONCE(*watch);

	do {
		if (!time_before(w, until))
			break;
	} while (!try_cmpxchg(watch, &w, until));
	/* the watch before what we do next; see the release path */
	smp_mb();
	return time_before(w, until) ? until : w;
}

/*
 * Start watching releases at a scan's first busy port: from here on, each
 * release of a port in the netns tells even-first's memory, for an epoch.
 * Renewed once less than half of it is left.
 */
static unsigned long portsel_watch(unsigned long *watch, unsigned long now)
{
	unsigned long w = READ_ONCE(*watch);

	if (!time_before(w, now + PORTSEL_RESALT_PERIOD / 2)) {
		/* the watch before our probes, as in portsel_watch_until() */
		smp_mb();
		return w;
	}
	return portsel_watch_until(watch, now + PORTSEL_RESALT_PERIOD);
}

/*
 * The unsalted keyed hash of the connect's tuple, as the policies before
 * 5.12 had it (even-first hashes the kernel's port_offset instead). The
 * tuple is the caller's, so the salt is cleared in a copy.
 */
static u64 portsel_request_hash(const struct portsel_request *req)
{
	struct portsel_tuple t = *req->tuple;

	t.salt = 0;
	return portsel_hash(&t, req->key);
}

/* What one even-first connect knows of its key's memory word. */
struct portsel_ef {
	u64 *word;		/* NULL while the memory is off */
	u64 seen;		/* the word as last read or written by us */
	u32 tag;
	bool markable;		/* no release since @seen was read */
	bool watched;		/* releases are watched for our probes */
	unsigned long until;	/* ... and have been, up to then at least */
	bool full;		/* the preferred parity was found busy */
	u16 unwatched;		/* the busy port probed before they were */
	u16 tried;		/* the hint, once tried */
};

static __always_inline int portsel_ef_try(struct portsel_ef *ef,
					  const struct portsel_request *req,
					  struct portsel_shared *sh,
					  const struct portsel_probe_ops *ops,
					  void *ctx, struct portsel_result *res,
					  u16 port)
{
	int err;

	res->probes++;
	err = portsel_ops_try(ops, ctx, port);
	if (!err) {
		res->port = port;
	} else if (err == -EADDRNOTAVAIL && !ef->watched) {
		/*
		 * The first busy port: from now on this scan may end in a
		 * mark, so releases must be seen. This port was probed before
		 * they were, and is probed again before marking.
		 */
		ef->until = portsel_watch(sh->watch, req->now);
		ef->watched = true;
		ef->unwatched = port;
	}
	return err;
}

/*
 * A candidate not to try: the hint that failed already, a port known busy
 * (it counts as a probe once releases are watched) or a reserved one.
 */
static __always_inline bool portsel_ef_skip(struct portsel_ef *ef,
					    const struct portsel_probe_ops *ops,
					    void *ctx,
					    struct portsel_result *res,
					    u16 port)
{
	return port == ef->tried ||
	       (ef->watched && portsel_known_busy(ops, res, port)) ||
	       portsel_ops_reserved(ops, ctx, port);
}

/*
 * A released port is tried first where the order would start anyway: on
 * the preferred parity, or on the other one while the preferred is known
 * full and not reserved away. It must still be in the range (the netns
 * range may have moved since) and not reserved.
 */
static bool portsel_ef_hint_fits(const struct portsel_request *req,
				 const struct portsel_probe_ops *ops, void *ctx,
				 u16 hint, bool full)
{
	const struct portsel_range *r = &req->range;

	if (hint < r->low || hint > r->high)
		return false;
	if (portsel_port_preferred(r, hint) == full)
		return false;
	if (full && req->reserve_odd)
		return false;
	return !portsel_ops_reserved(ops, ctx, hint);
}

/*
 * Every preferred port was busy: probe the one seen before releases were
 * watched once more; if it is still busy, the key is full.
 */
static int portsel_ef_preferred_busy(struct portsel_ef *ef,
				     const struct portsel_request *req,
				     struct portsel_shared *sh,
				     const struct portsel_probe_ops *ops,
				     void *ctx, struct portsel_result *res)
{
	int err;

	if (!ef->word)
		return -EADDRNOTAVAIL;
	if (ef->unwatched) {
		err = portsel_ef_try(ef, req, sh, ops, ctx, res, ef->unwatched);
		if (err != -EADDRNOTAVAIL)
			return err;
	}
	ef->full = true;
	return -EADDRNOTAVAIL;
}

/*
 * Mark the key full, unless a release rewrote the word since it was read.
 * The hint of a port of the other parity stays. The mark lives at most to
 * the end of its epoch (its tag changes with the salt), whatever the hold
 * is or becomes: releases are watched that long first, so that a release
 * before the mark ends always ends it. And a mark needs every probe of the
 * scan watched: if the watch ran out during the scan (a long one), a
 * release may have gone untold, and the key is not marked. The clock is
 * read after the watch is extended: a release that read the old watch
 * as expired did so before this read, which then sees it expired too.
 */
static void portsel_ef_mark(struct portsel_ef *ef,
			    const struct portsel_request *req,
			    struct portsel_shared *sh)
{
	u64 mark;

	if (!ef->full || !ef->markable)
		return;
	portsel_watch_until(sh->watch, req->now - req->now %
					PORTSEL_RESALT_PERIOD +
					PORTSEL_RESALT_PERIOD);
	if (!time_before(sh->clock(), ef->until))
		return;
	mark = portsel_mem_word(ef->tag, portsel_mem_hint(ef->seen, ef->tag),
				portsel_mem_stamp_of(req->now));
	if (portsel_mem_update(ef->word, &ef->seen, mark))
		ef->seen = mark;
}

/* After a success: a taken hint is used up, a taken preferred port unmarks. */
static void portsel_ef_taken(struct portsel_ef *ef,
			     const struct portsel_request *req, u16 port)
{
	u64 w = ef->seen;

	if (!ef->word || portsel_mem_tag(w) != ef->tag)
		return;
	if (portsel_mem_hint_port(w) == port)
		w &= ~PORTSEL_MEM_HINT_MASK;
	if (portsel_port_preferred(&req->range, port))
		w = portsel_mem_word(ef->tag, portsel_mem_hint_port(w), 0);
	if (w != ef->seen)
		portsel_mem_update(ef->word, &ef->seen, w);
}

/*
 * A mark of the key's word ends as soon as any port of its destination
 * comes back, under whichever key (another range, device or family), or
 * any port that bind() held in the netns: memory.h.
 */
static bool portsel_ef_freed_since(const struct portsel_request *req,
				   const struct portsel_shared *sh, u64 w)
{
	u16 dest = READ_ONCE(*portsel_perturb_freed(sh->table,
						     req->port_offset));
	u16 any = READ_ONCE(*sh->freed_any);
	/* after the slots: a release stamped after req->now is inside */
	unsigned long now = sh->clock();

	return portsel_mem_freed_since(dest, w, now) ||
	       portsel_mem_freed_since(any, w, now);
}

/*
 * RFC 6056 Algorithm 4 with the preferred parity first, and the exhaustion
 * memory: a scan that found the whole preferred parity busy marks its key,
 * and until the mark expires connects of that key start on the other
 * parity (or, with reserve_odd, fail at once) instead of paying for the
 * same full scan again. A release of one of the key's ports ends the mark
 * at once and leaves the port as a hint, tried first by the next connect.
 * What no release tells (a TIME_WAIT the kernel may now recycle, an edit
 * of ip_local_reserved_ports) is seen when the mark expires.
 * With step_width set, each pass walks in Linux 7.1's random coprime step
 * (portsel_order_scan_step()): still every port of a parity once, so the
 * memory judges and marks the same set of ports, only in another order.
 * A success moves the bucket past every slot its pass walked, reserved
 * and known-busy ones too, as Linux's loop counter does: counting only
 * the ports tried would leave the next start inside a reserved block,
 * and the port after the block would come again and again.
 */
static int portsel_even_first(const struct portsel_request *req,
			      struct portsel_shared *sh,
			      const struct portsel_probe_ops *ops, void *ctx,
			      struct portsel_result *res)
{
	struct portsel_perturb *t = sh->table;
	struct portsel_ef ef = { .watched = true };
	struct portsel_order o;
	bool full = false, judged;
	u16 port, hint = 0;
	u32 idx, start, walked = 0;
	u64 hash;
	int err;

	hash = portsel_ef_hash(req->port_offset, req->tuple, req->epoch,
			       req->key);
	idx = portsel_perturb_index(t, hash);
	ef.tag = portsel_hash_offset(hash);
	if (req->no_parity) {
		/* Linux 6.8 for a socket with its own range: step 1, no parity */
		portsel_order_linear(&o, &req->range,
				     READ_ONCE(t->count[idx]) + ef.tag, false);
		portsel_order_step_width(&o, req->step_width, req->step_rnd);
		err = portsel_probe(&o, ops, ctx, res);
		if (!err)
			portsel_perturb_advance(t, idx, o.k - 1, req->rnd, 1);
		return err;
	}
	if (req->hold) {
		ef.word = &t->mem[idx];
		ef.seen = portsel_mem_read(ef.word);
		ef.markable = true;
		ef.until = READ_ONCE(*sh->watch);
		ef.watched = time_before(req->now, ef.until);
		full = portsel_mem_full(ef.seen, ef.tag, req->now, req->hold) &&
		       !portsel_ef_freed_since(req, sh, ef.seen);
		hint = portsel_mem_hint(ef.seen, ef.tag);
	}
	res->skipped_scan = full;

	if (hint && portsel_ef_hint_fits(req, ops, ctx, hint, full)) {
		err = portsel_ef_try(&ef, req, sh, ops, ctx, res, hint);
		if (err != -EADDRNOTAVAIL) {
			res->hinted = !err;
			goto out;
		}
		/* taken by another connect since: forget it */
		ef.tried = hint;
		ef.markable = portsel_mem_update(ef.word, &ef.seen, ef.seen &
						 ~PORTSEL_MEM_HINT_MASK);
		if (ef.markable)
			ef.seen &= ~PORTSEL_MEM_HINT_MASK;
	}

	/* a key known full starts on the other parity: nothing to judge */
	judged = full;
	err = -EADDRNOTAVAIL;
	start = READ_ONCE(t->count[idx]) + ef.tag;
	/*
	 * The order's first port before the order: most connects take it and
	 * never build the rest. It is the loop's first iteration, done the
	 * loop's way (a first pass never judges).
	 */
	if (portsel_order_parity_first(&req->range, start, req->reserve_odd,
				       full, &port) &&
	    !portsel_ef_skip(&ef, ops, ctx, res, port)) {
		err = portsel_ef_try(&ef, req, sh, ops, ctx, res, port);
		if (err != -EADDRNOTAVAIL)
			goto out;
	}
	portsel_order_parity(&o, &req->range, start, req->reserve_odd, full);
	portsel_order_step_width(&o, req->step_width, req->step_rnd);
	/* the first port, done above */
	portsel_order_next(&o, &port);
	while (portsel_order_next(&o, &port)) {
		if (!judged && portsel_order_pass(&o) > 0) {
			judged = true;
			err = portsel_ef_preferred_busy(&ef, req, sh, ops, ctx,
							res);
			if (err != -EADDRNOTAVAIL) {
				walked = res->probes - 1;
				goto out;
			}
		}
		if (portsel_ef_skip(&ef, ops, ctx, res, port))
			continue;
		err = portsel_ef_try(&ef, req, sh, ops, ctx, res, port);
		if (err != -EADDRNOTAVAIL) {
			walked = o.k - 1;
			goto out;
		}
	}
	if (!judged) {
		err = portsel_ef_preferred_busy(&ef, req, sh, ops, ctx, res);
		walked = res->probes - 1;
	}

out:
	/* a fatal error leaves the table as it was */
	if (err && err != -EADDRNOTAVAIL)
		return err;
	portsel_ef_mark(&ef, req, sh);
	if (!err) {
		portsel_ef_taken(&ef, req, res->port);
		portsel_perturb_advance(t, idx, walked, req->rnd, 2);
	}
	return err;
}

/*
 * The start of Linux's policies before 5.12: an unsalted hash of the tuple
 * plus the netns' counter, which a success moves by the ports it covered.
 */
static u32 portsel_hint_start(const struct portsel_request *req,
			      const struct portsel_shared *sh)
{
	return portsel_hash_offset(portsel_request_hash(req)) +
	       READ_ONCE(*sh->hint);
}

static void portsel_hint_advance(struct portsel_shared *sh, u32 ports)
{
	WRITE_ONCE(*sh->hint, READ_ONCE(*sh->hint) + ports);
}

/*
 * Linux <= 4.1 (Debian 8 Jessie), RFC 6056 Algorithm 3: hash plus one
 * counter, step 1. The counter moves by the probes used, so one
 * destination gets consecutive ports while they are free. No time salt:
 * 3.16 had none, and with one the run of consecutive ports would break
 * every ten seconds. Unsalted, it also tells an observer of two of the
 * netns' connects how many it made in between.
 */
static int portsel_sequential(const struct portsel_request *req,
			      struct portsel_shared *sh,
			      const struct portsel_probe_ops *ops, void *ctx,
			      struct portsel_result *res)
{
	struct portsel_order o;
	int err;

	portsel_order_linear(&o, &req->range, portsel_hint_start(req, sh),
			     req->reserve_odd);
	err = portsel_probe(&o, ops, ctx, res);
	/* start counts ports; with reserve_odd each probe moves by two */
	if (!err)
		portsel_hint_advance(sh, res->probes * (req->reserve_odd ? 2 : 1));
	return err;
}

/*
 * Linux 4.6 to 5.11 (Debian 9 Stretch to 11 Bullseye): the same hash and
 * counter, but the start rounded down to the preferred parity and the
 * parities scanned one after the other in steps of 2, the counter moving
 * by two ports per probe: one destination gets every other port, 32770,
 * 32772, ..., the even ports that made people ask. Unsalted, as then.
 * It shares the kernel's scan shape, so step_width applies to it as to
 * even-first; the counter still moves two ports per probe.
 */
static int portsel_sequential_even(const struct portsel_request *req,
				   struct portsel_shared *sh,
				   const struct portsel_probe_ops *ops,
				   void *ctx, struct portsel_result *res)
{
	u32 start = portsel_hint_start(req, sh);
	struct portsel_order o;
	int err;

	if (req->no_parity)
		portsel_order_linear(&o, &req->range, start, false);
	else
		portsel_order_parity(&o, &req->range, start, req->reserve_odd,
				     false);
	portsel_order_step_width(&o, req->step_width, req->step_rnd);
	err = portsel_probe(&o, ops, ctx, res);
	/* one port per probe in step 1, two in a parity's steps */
	if (!err)
		portsel_hint_advance(sh, res->probes * (req->no_parity ? 1 : 2));
	return err;
}

/* RFC 6056 Algorithm 1, as FreeBSD and OpenBSD: a random start, step 1. */
static int portsel_random(const struct portsel_request *req,
			  struct portsel_shared *sh,
			  const struct portsel_probe_ops *ops, void *ctx,
			  struct portsel_result *res)
{
	struct portsel_order o;

	portsel_order_linear(&o, &req->range, req->rnd, req->reserve_odd);
	return portsel_probe(&o, ops, ctx, res);
}

/*
 * RFC 6056 Algorithm 2: every try somewhere unpredictable. A random start
 * and a random stride coprime to the number of ports make each connect's
 * tries a permutation of the range: no port twice, every port reachable.
 */
static int portsel_random_pick(const struct portsel_request *req,
			       struct portsel_shared *sh,
			       const struct portsel_probe_ops *ops, void *ctx,
			       struct portsel_result *res)
{
	u32 n = req->reserve_odd ? portsel_range_preferred(&req->range) :
				   portsel_range_size(&req->range);
	struct portsel_order o;

	portsel_order_permuted(&o, &req->range, req->rnd & 0xffff,
			       portsel_order_coprime(n, req->rnd >> 16),
			       req->reserve_odd);
	return portsel_probe(&o, ops, ctx, res);
}

/*
 * RFC 6056 Algorithm 5: one counter per netns advances by a random
 * 1..PORTSEL_RANDOM_INC_N per connect, then step 1 past busy ports; the
 * counter stays on the port taken. N = 500, the value NetBSD uses.
 */
#define PORTSEL_RANDOM_INC_N	500

static int portsel_random_inc(const struct portsel_request *req,
			      struct portsel_shared *sh,
			      const struct portsel_probe_ops *ops, void *ctx,
			      struct portsel_result *res)
{
	u32 start = READ_ONCE(*sh->next) + 1 + req->rnd % PORTSEL_RANDOM_INC_N;
	struct portsel_order o;
	int err;

	portsel_order_linear(&o, &req->range, start, req->reserve_odd);
	err = portsel_probe(&o, ops, ctx, res);
	if (!err)
		WRITE_ONCE(*sh->next, start + (res->probes - 1) *
			   (req->reserve_odd ? 2 : 1));
	return err;
}

/*
 * The table: a policy is one function above and one row here, in the
 * order of enum portsel_policy.
 */
const struct portsel_policy_ops portsel_policies[PORTSEL_POLICY_NR] = {
	[PORTSEL_KERNEL]		= { "kernel", NULL, 0, false },
	/* the increment's random 0..7 */
	[PORTSEL_EVEN_FIRST]		= { "even-first", portsel_even_first,
					    3, true },
	[PORTSEL_SEQUENTIAL]		= { "sequential", portsel_sequential,
					    0, false },
	/* the kernel's scan shape: its step width applies */
	[PORTSEL_SEQUENTIAL_EVEN]	= { "sequential-even",
					    portsel_sequential_even, 0, true },
	/* a start anywhere in up to 65,536 ports, without a visible bias */
	[PORTSEL_RANDOM]		= { "random", portsel_random, 32, false },
	[PORTSEL_RANDOM_PICK]		= { "random-pick", portsel_random_pick,
					    32, false },
	[PORTSEL_RANDOM_INC]		= { "random-inc", portsel_random_inc,
					    32, false },
};

/**
 * portsel_choose - pick and take a port for one connect()
 * @req: the connect's inputs, only read
 * @sh: shared state the policy reads and updates
 * @ops: how to test and take a port
 * @ctx: passed to @ops
 * @res: the outcome, also on failure
 *
 * Return: as portsel_probe(); -EINVAL for %PORTSEL_KERNEL, which the caller
 * must leave to the kernel, and for a policy out of the table.
 */
int portsel_choose(const struct portsel_request *req,
		   struct portsel_shared *sh,
		   const struct portsel_probe_ops *ops, void *ctx,
		   struct portsel_result *res)
{
	res->port = 0;
	res->probes = 0;
	res->skipped_scan = false;
	res->hinted = false;
	res->known_busy = 0;

	if (req->policy >= PORTSEL_POLICY_NR ||
	    !portsel_policies[req->policy].choose)
		return -EINVAL;
	/* even-first, the default, without a retpoline */
	return INDIRECT_CALL_1(portsel_policies[req->policy].choose,
			       portsel_even_first, req, sh, ops, ctx, res);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The selection loop, and each policy's use of it.
 */

#include <linux/errno.h>

#include "select.h"

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

	while (portsel_order_next(o, &port)) {
		if (ops->reserved && ops->reserved(ctx, port))
			continue;
		res->probes++;
		err = ops->try_port(ctx, port);
		if (err == -EADDRNOTAVAIL)
			continue;
		if (!err)
			res->port = port;
		return err;
	}
	return -EADDRNOTAVAIL;
}

/*
 * RFC 6056 Algorithm 4 with the preferred parity first, and the exhaustion
 * memory: a scan that found the whole preferred parity busy marks the
 * bucket, and until the mark expires connects hashing there start on the
 * other parity (or, with reserve_odd, fail at once) instead of paying for
 * the same full scan again. The mark carries the destination's tag, so
 * another destination sharing the bucket is not misled by it. The price:
 * ports freed during the hold are found only once it expires (or when the
 * other parity is full too).
 */
static int portsel_even_first(struct portsel_request *req,
			      struct portsel_perturb *t,
			      const struct portsel_probe_ops *ops, void *ctx,
			      struct portsel_result *res)
{
	struct portsel_order o;
	bool full, took_preferred;
	u32 idx, tag;
	u64 hash;
	int err;

	req->tuple->salt = req->epoch;
	hash = portsel_hash(req->tuple, req->key);
	idx = portsel_perturb_index(t, hash);
	tag = portsel_hash_offset(hash);
	full = portsel_perturb_is_full(t, idx, tag, req->now, req->hold);

	portsel_order_init(&o, PORTSEL_EVEN_FIRST, &req->range,
			   READ_ONCE(t->count[idx]) + tag,
			   req->reserve_odd, full);
	err = portsel_probe(&o, ops, ctx, res);
	res->skipped_scan = full;

	if (err && err != -EADDRNOTAVAIL)
		return err;

	took_preferred = !err && portsel_port_preferred(&req->range, res->port);
	if (took_preferred)
		portsel_perturb_clear_full(t, idx, tag);
	else if (!full)
		portsel_perturb_mark_full(t, idx, tag, req->now);

	if (!err)
		portsel_perturb_advance(t, idx, res->probes - 1, req->rnd);
	return err;
}

/*
 * Linux <= 4.1, RFC 6056 Algorithm 3: hash plus one counter, step 1. The
 * counter moves by the probes used, so one destination gets consecutive
 * ports while they are free. No time salt: 3.16 had none, and with one the
 * run of consecutive ports would break every ten seconds.
 */
static int portsel_sequential(struct portsel_request *req, u32 *hint,
			      const struct portsel_probe_ops *ops, void *ctx,
			      struct portsel_result *res)
{
	struct portsel_order o;
	u32 start;
	int err;

	req->tuple->salt = 0;
	start = portsel_hash_offset(portsel_hash(req->tuple, req->key)) +
		READ_ONCE(*hint);
	portsel_order_init(&o, PORTSEL_SEQUENTIAL, &req->range, start,
			   req->reserve_odd, false);
	err = portsel_probe(&o, ops, ctx, res);
	/* start counts ports; with reserve_odd each probe moves by two */
	if (!err)
		WRITE_ONCE(*hint, READ_ONCE(*hint) +
			   res->probes * (req->reserve_odd ? 2 : 1));
	return err;
}

/**
 * portsel_choose - pick and take a port for one connect()
 * @req: the connect's inputs
 * @sh: shared state the policy reads and updates
 * @ops: how to test and take a port
 * @ctx: passed to @ops
 * @res: the outcome, also on failure
 *
 * Return: as portsel_probe(); -EINVAL for %PORTSEL_KERNEL, which the caller
 * must leave to the kernel.
 */
int portsel_choose(struct portsel_request *req, struct portsel_shared *sh,
		   const struct portsel_probe_ops *ops, void *ctx,
		   struct portsel_result *res)
{
	struct portsel_order o;

	res->port = 0;
	res->probes = 0;
	res->skipped_scan = false;

	switch (req->policy) {
	case PORTSEL_EVEN_FIRST:
		return portsel_even_first(req, sh->table, ops, ctx, res);
	case PORTSEL_SEQUENTIAL:
		return portsel_sequential(req, sh->hint, ops, ctx, res);
	case PORTSEL_RANDOM:
		/* RFC 6056 Algorithm 1, as FreeBSD and OpenBSD: random start */
		portsel_order_init(&o, PORTSEL_RANDOM, &req->range, req->rnd,
				   req->reserve_odd, false);
		return portsel_probe(&o, ops, ctx, res);
	default:
		return -EINVAL;
	}
}

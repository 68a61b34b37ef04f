# SPDX-License-Identifier: GPL-2.0
"""What bind(0) pays under connect() load (make compare's workload 4):
the time of each attempt as the guest measured it, and the ports the
kernel's scan walks, derived from the ports connect() held.

bind(0) is not portsel's: inet_csk_find_open_port() (the same in 6.1
and 6.12) picks a random odd offset from the range's low end, tries the
ports of that parity (the one connect() does not prefer) in steps of 2,
wrapping, then those of the other parity from the port below its start;
with SO_REUSEADDR it does so in the lower half of the range first, then
in the upper half with a new start. expected_walk() is the mean, over
every start, of the ports tried up to and including the free one (all
of them when none is free), with the checkpoint's connections held: a
model of the scan from the ports held, not an observation."""

from .stats import percentile

QUARTERS = ("25", "50", "75", "full")


def _next_free(free):
    """For each index of the cyclic list FREE (bools): the steps to the
    first free index at or after it; None when none is free."""
    m = len(free)
    if not any(free):
        return None
    d = [0] * m
    nxt = None
    for k in range(2 * m - 1, -1, -1):
        j = k % m
        if free[j]:
            nxt = k
        if k < m:
            d[j] = nxt - k
    return d


def _walk_segment(is_free, lo, high):
    """(expected ports tried, found) for one scan of [lo, high)."""
    remaining = high - lo
    if remaining > 1:
        remaining &= ~1
    m = remaining // 2
    if m == 0:
        return 0.0, False
    # offsets 1, 3, ..: the first pass on lo + 1 + 2j, the second on lo + 2j
    first = _next_free([is_free(lo + 1 + 2 * j) for j in range(m)])
    if first is not None:
        return sum(x + 1 for x in first) / m, True
    second = _next_free([is_free(lo + 2 * j) for j in range(m)])
    if second is not None:
        return m + sum(x + 1 for x in second) / m, True
    return float(2 * m), False


def expected_walk(held, lo, hi, reuseaddr=False):
    """Mean ports bind(0) tries on ip_local_port_range LO..HI with the
    ports HELD (a set) taken; REUSEADDR: the socket has SO_REUSEADDR."""
    high = hi + 1

    def is_free(p):
        return p not in held
    if reuseaddr and high - lo >= 4:
        half = lo + (((high - lo) >> 2) << 1)
        segments = ((lo, half), (half, high))
    else:
        segments = ((lo, high),)
    total = 0.0
    for a, b in segments:
        e, found = _walk_segment(is_free, a, b)
        total += e
        if found:
            break
    return total


def checkpoints(r, full):
    """The held counts of QUARTERS for a fill of range R that ended with
    FULL held (None when unknown)."""
    return (r // 4, r // 2, 3 * r // 4, full)


def cells(lab, r, lo, hi):
    """For one label: the median bind(0) time (ns) at each checkpoint,
    plain and with SO_REUSEADDR, the expected ports walked, both ways,
    and SO_REUSEADDR's success %; empty where not measured."""
    full = lab.sums.get("bindfill_ok", "")
    cps = checkpoints(r, int(full) if full else None)
    t = {"plain": [], "reuseaddr": []}
    walk = {"plain": [], "reuseaddr": []}
    ok_r = []
    for h in cps:
        for kind in ("plain", "reuseaddr"):
            ns = lab.bindt.get((kind, h)) if h is not None else None
            t[kind].append("%d" % percentile([x[1] for x in ns], 0.5)
                           if ns else "")
            if ns and len(lab.hold) >= h:
                held = set(lab.hold[:h])
                walk[kind].append("%.1f" % expected_walk(
                    held, lo, hi, kind == "reuseaddr"))
            else:
                walk[kind].append("")
        b = lab.bindr.get(h) if h is not None else None
        ok_r.append("%.0f" % (100 * b[1] / b[0]) if b else "")
    return t["plain"] + t["reuseaddr"] + walk["plain"] + walk["reuseaddr"] \
        + ok_r


def columns():
    out = []
    for pre in ("bind_p50_ns_", "bindr_p50_ns_", "bind_walk_", "bindr_walk_",
                "bindr_ok_pct_"):
        out += [pre + q for q in QUARTERS]
    return out

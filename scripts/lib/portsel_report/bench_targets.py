# SPDX-License-Identifier: GPL-2.0
"""The targets of issue 15 for even-first, judged from make bench's rows."""


def _met(ok):
    return "met" if ok else "NOT met"


def _p1(t):
    """P1 as restated: even-first within 1 % of stock's median, the module
    at kernel (loaded, idle) within 0.3 %; the kernel-paired ratio too."""
    def cps(p):
        return ("P1", "-", p, "connects_per_s")
    pair = ("P1", "-", "even-first", "paired_ratio")
    if cps("stock") not in t.r:
        return
    stock = t.md(*cps("stock"))
    if cps("even-first") in t.r:
        x = t.md(*cps("even-first")) / stock
        paired = (" (paired with kernel min/median/max %s)"
                  % t.mmm(pair, "%.3f")) if pair in t.r else ""
        yield ("  P1 connects/s within 1 %% of stock's median: %.3fx %s%s"
               % (x, _met(x >= 0.99), paired))
    if cps("kernel") in t.r:
        x = t.md(*cps("kernel")) / stock
        yield ("  P1 module at kernel within 0.3 %% of stock's median:"
               " %.3fx %s" % (x, _met(x >= 0.997)))


def _probe(t):
    for part, how in (("probe", "fills"), ("scan", "steady")):
        for r in t.ranges.get(part, []):
            x = t.r.get((part, r, "even-first:past", "probe_cost"))
            if x and x.ratio:
                yield ("  probe cost (%s, %s ports) <= 0.8 x kernel's step:"
                       " %sx %s" % (how, r, x.ratio,
                                    _met(float(x.ratio) <= 0.8)))
    for r in t.ranges.get("fullscan", []):
        x = t.r.get(("fullscan", r, "even-first", "connect_avg"))
        if x and x.ratio:
            yield ("  fullscan %s ports: refused connect() <= 0.8 x kernel:"
                   " %sx %s" % (r, x.ratio, _met(float(x.ratio) <= 0.8)))


def _sockmany(t):
    k = ("sockmany", "28232", "even-first", "wall")
    best = None
    for p in ("sequential", "random"):
        l = ("sockmany", "28232", p, "wall")
        if l in t.r and (best is None or t.md(*l) < t.md(*best)):
            best = l
    if k in t.r and best and t.md(*best) > 0:
        x = t.md(*k) / t.md(*best)
        yield ("  sockmany: <= 1.05 x the fastest no-cliff policy (%s):"
               " %.3fx %s" % (best[2], x, _met(x <= 1.05)))


def _fills(t):
    for r in ("4000", "28232"):
        k = ("P2", r, "even-first", "after_over_before")
        if k in t.r:
            yield ("  P2 %s ports: p50 after <= 1.5 x p50 before: %.2fx %s"
                   % (r, t.md(*k), _met(t.md(*k) <= 1.5)))
    for r in ("1", "16"):
        k, l = ("P2c", r, "even-first", "mean_probes"), \
            ("P2c", r, "even-first", "p50_over_low")
        if k in t.r and l in t.r:
            yield ("  P2c %s even port(s) free: mean probes <= 2: %.2f %s;"
                   " p50 <= 1.2 x low-occupancy p50: %.2fx %s"
                   % (r, t.md(*k), _met(t.md(*k) <= 2), t.md(*l),
                      _met(t.md(*l) <= 1.2)))
    x = t.r.get(("P2", "28232", "even-first", "total"))
    if x and x.ratio:
        yield ("  P2 28232 ports: fill time <= 0.1 x kernel: %sx %s"
               % (x.ratio, _met(float(x.ratio) <= 0.1)))


def _p3(t):
    for r in t.ranges.get("P3", []):
        k = ("P3", r, "even-first", "mean_at_90")
        if k in t.r:
            yield ("  P3 %s ports: mean probes <= 2.0 below 90 %%: %.3f %s"
                   % (r, t.md(*k), _met(t.md(*k) <= 2.0)))
        for p in t.policies("P3", r):
            k = t.r.get(("P3", r, p, "max_all"))
            f = t.r.get(("P3", r, p, "fail_probes"))
            if k:
                mk, mf = float(k.max), float(f.max) if f else 0
                yield ("  P3 %s ports %s: max probes <= %s eligible: %d,"
                       " fail %d %s" % (r, p, r, mk, mf,
                                        _met(mk <= int(r) and mf <= int(r))))


def targets(t):
    """The target lines, in the order bench.txt has always had them."""
    return [line for part in (_p1, _probe, _sockmany, _fills, _p3)
            for line in part(t)]

# SPDX-License-Identifier: GPL-2.0
"""make bench's picture: the data files scripts/lib/bench.gp draws
bench.png from."""

import os

from .bench_out import Table


def _line(f, label, *series):
    f.write('"%s" %s\n' % (label, " ".join(series)))


def plot_data(rows, order, out):
    """bench-plot-{probe,p1,p2,sockmany}.dat: a label, then "median min
    max" per series ("? ? ?" when absent). Returns gnuplot's has_* flags."""
    t = Table(rows, order)

    def get(*k):
        x = t.r.get(k)
        return "%s %s %s" % (x.median, x.min, x.max) if x else "? ? ?"
    path = {d: os.path.join(out, "bench-plot-%s.dat" % d)
            for d in ("probe", "p1", "p2", "sockmany")}
    with open(path["probe"], "w") as f:
        for part, r, lab in (("probe", "4000", "fills, 4,000 ports"),
                             ("probe", "28232", "fills, 28,232 ports"),
                             ("scan", "4000", "steady, 4,000 ports"),
                             ("scan", "28232", "steady, 28,232 ports")):
            # a group compares: both of them, or none
            if (part, r, "kernel", "probe_cost") in t.r and \
               (part, r, "even-first:past", "probe_cost") in t.r:
                _line(f, lab, *(get(part, r, p, "probe_cost") for p in
                                ("kernel", "even-first:past",
                                 "even-first:ftrace")))
        if ("fullscan", "4000", "kernel", "per_port") in t.r:
            _line(f, "full scan, 4,000 ports",
                  get("fullscan", "4000", "kernel", "per_port"),
                  get("fullscan", "4000", "even-first", "per_port"), "? ? ?")
    pols = [p for p in order if ":" not in p]
    with open(path["p1"], "w") as f:
        for p in pols:
            if ("P1", "-", p, "connect_avg") in t.r:
                _line(f, p, get("P1", "-", p, "connect_avg"))
    with open(path["p2"], "w") as f:
        for p in pols:
            if ("P2", "4000", p, "p50_after") in t.r or \
               ("P2", "28232", p, "p50_after") in t.r:
                _line(f, p, get("P2", "4000", p, "p50_before"),
                      get("P2", "4000", p, "p50_after"),
                      get("P2", "28232", p, "p50_after"))
    with open(path["sockmany"], "w") as f:
        for p in pols:
            if ("sockmany", "28232", p, "wall") in t.r:
                _line(f, p, get("sockmany", "28232", p, "wall"))
    has = ["has_%s=1" % d for d in path if os.path.getsize(path[d])]
    with open(path["probe"]) as f:
        if any(line.split()[-3] != "?" for line in f):
            has.append("has_ftrace=1")
    return has

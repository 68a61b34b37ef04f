# SPDX-License-Identifier: GPL-2.0
"""make bench's text table (bench.txt) from the rows, with the targets of
issue 15; the data of bench.png is bench_plot's."""


class Table:
    """The rows by (part, range, policy, metric), and the ranges and
    policies of each part in the rows' order."""

    def __init__(self, rows, order):
        self.r = {(x.part, x.range, x.policy, x.metric): x for x in rows}
        self.ranges, self.pols = {}, {}
        for x in rows:
            self.ranges.setdefault(x.part, [])
            if x.range not in self.ranges[x.part]:
                self.ranges[x.part].append(x.range)
            self.pols.setdefault((x.part, x.range), set()).add(x.policy)
        self.order = order

    def policies(self, part, rng):
        have = self.pols.get((part, rng), set())
        return [p for p in self.order if p in have]

    def md(self, *k):
        return float(self.r[k].median)

    def mmm(self, k, fmt):
        """min/median/max of a metric, one number when they agree."""
        x = self.r.get(k)
        if not x:
            return "-"
        if float(x.min) == float(x.max):
            return fmt % float(x.median)
        return "/".join(fmt % float(v) for v in (x.min, x.median, x.max))

    def val(self, k, fmt):
        x = self.r.get(k)
        return fmt % float(x.median) if x else "-"

    def rat(self, k):
        x = self.r.get(k)
        return x.ratio + "x" if x and x.ratio else "-"


def _p1(t, o, a):
    o.append("\nP1  connect+close loop, one destination, %d connects, %d run(s);"
             " min/median/max" % (a.churn, a.runs))
    o.append("    in slices alternating between the policies; stock (module"
             " unloaded): one block a run")
    o.append("    ratio: of the medians; paired: each slice against the"
             " kernel's slice of the same round")
    f = "%-16s %-20s %-8s %-20s %-16s %s"
    o.append(f % ("policy", "connects/s", "ratio", "paired", "connect() us",
                  "errors"))
    for p in t.policies("P1", "-"):
        k = ("P1", "-", p)
        o.append(f % (p, t.mmm(k + ("connects_per_s",), "%.0f"),
                      t.rat(k + ("connects_per_s",)),
                      t.mmm(k + ("paired_ratio",), "%.3f"),
                      t.mmm(k + ("connect_avg",), "%.0f"),
                      t.val(k + ("errors",), "%d")))


def _p2(t, o):
    f = "%-11s %-6s %-24s %-7s %-18s %-18s %-20s %s"
    for r in t.ranges.get("P2", []):
        o.append("\nP2  fill one destination, %s ports, to exhaustion; times"
                 " in ms / us; min/median/max" % r)
        o.append(f % ("policy", "ports", "total connect() ms", "ratio",
                      "p50 before us", "p50 after us", "p99 after us",
                      "after/before"))
        for p in t.policies("P2", r):
            k = ("P2", r, p)
            o.append(f % (p, t.val(k + ("ports",), "%d"),
                          t.mmm(k + ("total",), "%.0f"), t.rat(k + ("total",)),
                          t.mmm(k + ("p50_before",), "%.0f"),
                          t.mmm(k + ("p50_after",), "%.0f"),
                          t.mmm(k + ("p99_after",), "%.0f"),
                          t.val(k + ("after_over_before",), "%.2f")))


def _p2c(t, o):
    if "P2c" not in t.ranges:
        return
    o.append("\nP2c connect+close (RST) to one destination on 40000-43999"
             " while every even port but N is held")
    o.append("    (N 2000: nothing held); min/median/max of the runs; p50/low:"
             " against N 2000 of the same policy and run")
    f = "%-6s %-11s %-22s %-8s %-18s %-16s %s"
    o.append(f % ("free", "policy", "p50 connect() us", "ratio", "mean us",
                  "probes/connect", "p50/low"))
    for r in reversed(t.ranges["P2c"]):
        for p in t.policies("P2c", r):
            k = ("P2c", r, p)
            o.append(f % (r, p, t.mmm(k + ("p50",), "%.0f"),
                          t.rat(k + ("p50",)),
                          t.mmm(k + ("connect_avg",), "%.0f"),
                          t.val(k + ("mean_probes",), "%.2f"),
                          t.val(k + ("p50_over_low",), "%.2f")))


def _p3(t, o):
    f = "%-11s %-12s %-12s %-12s %-10s %-8s %s"
    for r in t.ranges.get("P3", []):
        o.append("\nP3  probes per connect (portsel_stat), %s ports: mean/max"
                 " over the connects so far at 50/90/100 %% of the preferred"
                 " parity;\n    \"after\": mean of the connects after it"
                 " filled; max: largest over the fill; fail: the final"
                 " refused connect (medians)" % r)
        o.append(f % ("policy", "at 50%", "at 90%", "at 100%", "after", "max",
                      "fail"))
        for p in t.policies("P3", r):
            k = ("P3", r, p)
            at = [t.val(k + ("mean_at_" + q,), "%.3f") + "/"
                  + t.val(k + ("max_at_" + q,), "%d") for q in ("50", "90", "100")]
            o.append(f % tuple([p] + at + [
                t.val(k + ("mean_after",), "%.2f"),
                t.val(k + ("max_all",), "%d"),
                t.val(k + ("fail_probes",), "%d")]))


def _probe_lines(t, o, part):
    for r in t.ranges.get(part, []):
        for p in t.policies(part, r):
            k = (part, r, p)
            s = "    %5d ports %-18s %-16s %-8s %-9s" % (
                int(r), p, t.mmm(k + ("probe_cost",), "%.0f"),
                t.rat(k + ("probe_cost",)),
                t.val(k + ("probes_per_s",), "%.3g"))
            if k + ("p50_after",) in t.r:
                s += " p50 %s -> %s us" % (t.val(k + ("p50_before",), "%.0f"),
                                           t.val(k + ("p50_after",), "%.0f"))
            if k + ("connect_scan",) in t.r:
                s += " connect %s -> %s us" % (
                    t.val(k + ("connect_base",), "%.0f"),
                    t.val(k + ("connect_scan",), "%.0f"))
            if k + ("probes_per_connect",) in t.r:
                s += ", %s probes each" % t.val(k + ("probes_per_connect",),
                                                "%.0f")
            if k + ("probes_per_s_stat",) in t.r:
                s += ", %s probes/s by portsel_stat" % t.val(
                    k + ("probes_per_s_stat",), "%.3g")
            o.append(s)


def _probe(t, o):
    if "probe" in t.ranges or "scan" in t.ranges:
        o.append("\nprobe cost: ns per busy port scanned (min/median/max),"
                 " ratio to the kernel's, probes/s at the median;\n"
                 "    even-first:past / :ftrace = exhaust_hold_ms 0, calls of"
                 " the original entering past / through the ftrace site")
    if "probe" in t.ranges:
        o.append("  from the fills: (p50 after the half - p50 before) / ports"
                 " of the preferred parity")
    _probe_lines(t, o, "probe")
    if "scan" in t.ranges:
        o.append("  steady state: (connect+close to a destination whose"
                 " preferred parity is held - to a free one) / ports held")
    _probe_lines(t, o, "scan")


def _fullscan(t, o):
    f = "%-11s %-24s %-8s %-20s %-16s %s"
    for r in t.ranges.get("fullscan", []):
        o.append("\nfullscan  every port of a %s-port range held towards one"
                 " destination: connects to it try" % r)
        o.append("    all of them and are refused (EADDRNOTAVAIL); even-first"
                 " at exhaust_hold_ms 0; min/median/max of the rounds")
        o.append(f % ("policy", "refused connect() us", "ratio", "ns per port",
                      "probes/connect", "refused/other"))
        for p in t.policies("fullscan", r):
            k = ("fullscan", r, p)
            o.append(f % (p, t.mmm(k + ("connect_avg",), "%.0f"),
                          t.rat(k + ("connect_avg",)),
                          t.mmm(k + ("per_port",), "%.0f"),
                          t.val(k + ("probes_per_connect",), "%.0f"),
                          t.val(k + ("refused",), "%d") + "/"
                          + t.val(k + ("errors",), "%d")))


def _sockmany(t, o, a):
    if "sockmany" not in t.ranges:
        return
    o.append("\nsockmany  stress-ng --sockmany 1 --sockmany-ops %d: one"
             " loopback destination, default range," % a.sockmany_ops)
    o.append("    every connection held; seconds: the guest's clock around"
             " each run (min/median/max of the runs);")
    o.append("    stress-ng s: its own real time; failed: runs short of their"
             " count or with an error")
    f = "%-16s %-26s %-8s %-10s %-10s %s"
    o.append(f % ("policy", "seconds", "ratio", "ops", "stress-ng s",
                  "failed"))
    for p in t.policies("sockmany", "28232"):
        k = ("sockmany", "28232", p)
        o.append(f % (p, t.mmm(k + ("wall",), "%.2f"), t.rat(k + ("wall",)),
                      t.val(k + ("ops",), "%d"),
                      t.val(k + ("stressng_real",), "%.2f"),
                      t.val(k + ("errors",), "%d")))


def text(rows, order, a, made_on=""):
    """bench.txt's table (without the host line the driver adds); MADE_ON
    (bench.made_on) first, when the records tell it."""
    from .bench_targets import targets
    t = Table(rows, order)
    o = ["measured on " + made_on] if made_on else []
    o += ["times are instruction counts: qemu -icount shift=0, one guest"
         " instruction = 1 ns" if a.icount else
         "times are TCG's emulated wall time (--tcg): only ratios within"
         " this boot mean something"]
    if "P1" in t.ranges:
        _p1(t, o, a)
    _p2(t, o)
    _p2c(t, o)
    _p3(t, o)
    _probe(t, o)
    _fullscan(t, o)
    _sockmany(t, o, a)
    o.append("\ntargets (even-first):")
    o += targets(t)
    return "\n".join(o) + "\n"

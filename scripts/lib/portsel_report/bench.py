# SPDX-License-Identifier: GPL-2.0
"""make bench: the guest's records (scripts/guest/bench.sh) to samples,
one value per measurement and run, and samples to rows: min, median and
max over the runs, and the ratio of medians against the policy "kernel"."""

from collections import namedtuple

from .stats import awk_num, median, num

PARTS = ("P1", "P2", "P2c", "P3", "probe", "scan", "fullscan", "sockmany")
# metrics where a ratio to the kernel's median means something
RATIOED = {"connects_per_s", "connect_avg", "total", "p50", "p50_before",
           "p50_after", "p99_after", "probe_cost", "probes_per_s",
           "per_port", "wall"}
# the two ways portsel's calls of the original enter (probe workloads)
VARIANTS = ("even-first:past", "even-first:ftrace")
CSV_HEAD = "part,range,policy,metric,unit,runs,min,median,max,ratio_to_kernel"

Row = namedtuple("Row", "part range policy metric unit runs min median max "
                 "ratio")


class Samples:
    """Samples in the order first produced: (part, range, policy, metric)
    -> unit and values. A value is kept as awk printed it (%.6g), as the
    csv always had it."""

    def __init__(self):
        self.unit, self.values = {}, {}

    def out(self, part, rng, policy, metric, unit, v):
        k = (part, str(rng), policy, metric)
        if k not in self.values:
            self.unit[k], self.values[k] = unit, []
        self.values[k].append(num(awk_num(v)))


def _p1(recs, s):
    """P1 comes in slices: a run of a policy is the sum of its slices. The
    loop time in ns when churn gives it (whole ms made whole runs and
    slices of different policies come out as the same few values)."""
    runs, rounds, per_slice = {}, [], {}
    for f in recs:
        k = (f["policy"], f["run"])
        t = runs.setdefault(k, [0.0, 0.0, 0.0, 0.0])  # connects ms ns errors
        ms = num(f["ns"]) / 1e6 if "ns" in f else num(f.get("ms"))
        t[0] += num(f.get("connects"))
        t[1] += ms
        t[2] += num(f.get("connects")) * num(f.get("avg_ns"))
        t[3] += num(f.get("errors"))
        ks = (f["run"], f.get("slice"))
        if ks not in rounds:
            rounds.append(ks)
        if ms > 0:
            per_slice[f["policy"], ks] = num(f.get("connects")) * 1000 / ms
    for (pol, _), (c, ms, ns, err) in runs.items():
        if ms > 0:
            s.out("P1", "-", pol, "connects_per_s", "1/s", c * 1000 / ms)
        if c > 0:
            s.out("P1", "-", pol, "connect_avg", "us", ns / c / 1000)
        s.out("P1", "-", pol, "connects", "n", c)
        s.out("P1", "-", pol, "errors", "n", err)
    # each slice against the kernel's slice of the same round
    for pol, run in runs:
        if num(run) != 1 or pol == "kernel":
            continue
        for ks in rounds:
            if (pol, ks) in per_slice and ("kernel", ks) in per_slice:
                s.out("P1", "-", pol, "paired_ratio", "x",
                      per_slice[pol, ks] / per_slice["kernel", ks])


def _p2c(f, s, low):
    """connect+close with K even ports free (K 2000: none held)."""
    r, p = f["k"], f["policy"]
    s.out("P2c", r, p, "p50", "us", num(f.get("p50_ns")) / 1000)
    s.out("P2c", r, p, "connect_avg", "us", num(f.get("avg_ns")) / 1000)
    s.out("P2c", r, p, "errors", "n", f.get("errors", ""))
    if "probes" in f and num(f.get("connects")) > 0:
        s.out("P2c", r, p, "mean_probes", "probes",
              num(f["probes"]) / num(f["connects"]))
    if num(r) == 2000:
        low[p, f.get("run")] = num(f.get("p50_ns"))
    elif low.get((p, f.get("run")), 0) > 0:
        s.out("P2c", r, p, "p50_over_low", "x",
              num(f.get("p50_ns")) / low[p, f.get("run")])


def _fullscan(f, s):
    """Refused connects that try every port of the range."""
    r, p, g = f["range"], f["policy"], lambda k: num(f.get(k))
    if g("fails") > 0:
        s.out("fullscan", r, p, "connect_avg", "us", g("fail_avg_ns") / 1000)
        s.out("fullscan", r, p, "p50", "us", g("fail_p50_ns") / 1000)
        if g("held") > 0:
            s.out("fullscan", r, p, "per_port", "ns",
                  g("fail_avg_ns") / g("held"))
    s.out("fullscan", r, p, "held", "ports", f.get("held", ""))
    s.out("fullscan", r, p, "refused", "n", g("err_EADDRNOTAVAIL"))
    # anything but a refusal, or a connect that got through
    s.out("fullscan", r, p, "errors", "n",
          g("errors") - g("err_EADDRNOTAVAIL") + g("connects"))
    if "probes" in f and g("fails") > 0:
        s.out("fullscan", r, p, "probes_per_connect", "probes",
              g("probes") / g("fails"))


def _sockmany(f, s):
    """stress-ng --sockmany on the default range, a run per policy."""
    p, g = f["policy"], lambda k: num(f.get(k))
    s.out("sockmany", 28232, p, "wall", "s", g("ms") / 1000)
    if "real_s" in f:
        s.out("sockmany", 28232, p, "stressng_real", "s", f["real_s"])
    s.out("sockmany", 28232, p, "ops", "n", f.get("ops", ""))
    # a run that did not reach its count, or failed
    s.out("sockmany", 28232, p, "errors", "n",
          (g("ops") < g("want")) + (g("rc") != 0))


def _scan(f, s):
    """The steady-state probe workload."""
    p = "kernel" if f["variant"] == "kernel" else "even-first:" + f["variant"]
    r, g = f["range"], lambda k: num(f.get(k))
    if g("held") > 0:
        ns = (g("avg_ns") - g("base_avg_ns")) / g("held")
        s.out("scan", r, p, "probe_cost", "ns", ns)
        if ns > 0:
            s.out("scan", r, p, "probes_per_s", "1/s", 1e9 / ns)
    s.out("scan", r, p, "held", "ports", f.get("held", ""))
    s.out("scan", r, p, "connect_base", "us", g("base_avg_ns") / 1000)
    s.out("scan", r, p, "connect_scan", "us", g("avg_ns") / 1000)
    if "probes" in f and g("connects") > 0:
        s.out("scan", r, p, "probes_per_connect", "probes",
              g("probes") / g("connects"))
        s.out("scan", r, p, "probes_per_s_stat", "1/s",
              g("probes") * 1e9 / (g("connects") * g("avg_ns")))


def _fill(f, s):
    """A fill to exhaustion (P2), its probes (P3); under the probe set, or
    for the kernel, the cost of one busy port from it."""
    r, g = f["range"], lambda k: num(f.get(k))
    probe = f.get("set") == "probe"
    p = f["policy"] + (":" + f.get("module", "") if probe else "")
    part = "probe" if probe else "P2"
    before, after = g("before_p50_ns"), g("after_p50_ns")
    s.out(part, r, p, "ports", "n", f.get("ok", ""))
    s.out(part, r, p, "total", "ms",
          (g("before_sum_ns") + g("after_sum_ns")) / 1e6)
    s.out(part, r, p, "p50_before", "us", before / 1000)
    s.out(part, r, p, "p50_after", "us", after / 1000)
    s.out(part, r, p, "p99_after", "us", g("after_p99_ns") / 1000)
    if before > 0:
        s.out(part, r, p, "after_over_before", "x", after / before)
    if f["policy"] == "kernel" or probe:
        # every connect after the preferred parity filled scanned all of it
        ns = (after - before) / g("pref")
        s.out("probe", r, p, "probe_cost", "ns", ns)
        if ns > 0:
            s.out("probe", r, p, "probes_per_s", "1/s", 1e9 / ns)
        if not probe:
            s.out("probe", r, p, "p50_before", "us", before / 1000)
            s.out("probe", r, p, "p50_after", "us", after / 1000)
    if "c50" not in f:
        return
    part = "probe" if probe else "P3"
    for pt in ("50", "90", "100"):
        if g("c" + pt) > 0:
            s.out(part, r, p, "mean_at_" + pt, "probes",
                  g("p" + pt) / g("c" + pt))
        s.out(part, r, p, "max_at_" + pt, "probes", f.get("m" + pt, ""))
    # the same by band of occupancy
    if g("c50") > 0:
        s.out(part, r, p, "mean_0_50", "probes", g("p50") / g("c50"))
    for a, b in (("50", "90"), ("90", "100")):
        if g("c" + b) > g("c" + a):
            s.out(part, r, p, "mean_%s_%s" % (a, b), "probes",
                  (g("p" + b) - g("p" + a)) / (g("c" + b) - g("c" + a)))
    dc, dp = g("cfull") - g("c100"), g("pfull") - g("p100")
    if dc > 0:
        s.out(part, r, p, "mean_after", "probes", dp / dc)
    s.out(part, r, p, "max_all", "probes", f.get("mfull", ""))
    s.out(part, r, p, "fail_probes", "probes", f.get("fail_probes", ""))
    s.out(part, r, p, "eligible", "ports", r)
    if probe and g("after_sum_ns") > 0:
        s.out("probe", r, p, "probes_per_s_stat", "1/s",
              dp * 1e9 / g("after_sum_ns"))


def samples(records):
    """(Samples, policies): the module's policies as the guest listed them
    (its "policies" record), else as they first appear."""
    s, low, p1, policies = Samples(), {}, [], []
    handlers = {"p2c": lambda f: _p2c(f, s, low), "fullscan":
                lambda f: _fullscan(f, s), "sockmany": lambda f: _sockmany(f, s),
                "scan": lambda f: _scan(f, s), "fill": lambda f: _fill(f, s)}
    for kind, f in records:
        if kind == "policies":
            policies = f.get("list", "").split(",")
        elif kind == "p1":
            p1.append(f)
        elif kind in handlers:
            handlers[kind](f)
    _p1(p1, s)
    return s, policies


def made_on(records):
    """What the run was measured on, from the guest's "kernel" record:
    "Debian RELEASE (target NAME)", "" for records without one."""
    for kind, f in records:
        if kind == "kernel" and isinstance(f, dict) and f.get("release"):
            return "Debian %s%s" % (f["release"], " (target %s)" % f["target"]
                                    if f.get("target") else "")
    return ""


def policy_order(s, policies):
    """Rows' policy order: stock, the module's policies, the two ways of
    the probe workloads, then any other policy as first seen. Records of
    a guest that did not list the policies: stock, kernel (the baseline),
    then as first seen."""
    seen = [k[2] for k in s.values if k[2] not in VARIANTS]
    order = ["stock"] + ([p for p in policies if p] or ["kernel"] + seen)
    for p in list(VARIANTS) + seen:
        if p not in order:
            order.append(p)
    return list(dict.fromkeys(order))


def aggregate(s, order):
    """The rows, sorted by part, range, policy, then first seen."""
    med = {k: median(v) for k, v in s.values.items()}
    rows = []
    for i, (k, v) in enumerate(s.values.items()):
        part, rng, pol, metric = k
        kk = (part, rng, "kernel", metric)
        ratio = ""
        if metric in RATIOED and med.get(kk):
            ratio = "%.3f" % (med[k] / med[kk])
        key = (PARTS.index(part) + 1 if part in PARTS else 0,
               int(num(rng)), order.index(pol), i)
        rows.append((key, Row(part, rng, pol, metric, s.unit[k], len(v),
                              "%.6g" % min(v), "%.6g" % med[k],
                              "%.6g" % max(v), ratio)))
    return [r for _, r in sorted(rows, key=lambda x: x[0])]


def csv_lines(rows):
    return [CSV_HEAD] + [",".join(str(x) for x in r) for r in rows]


def short_fills(rows):
    """Fills that did not get every port of their range."""
    return ["%s %s %s" % (r.part, r.range, r.policy) for r in rows
            if r.metric == "ports" and r.runs > 0
            and (r.min != r.range or r.max != r.range)]


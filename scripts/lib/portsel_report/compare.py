# SPDX-License-Identifier: GPL-2.0
"""make compare: the guest's records (scripts/guest/compare.sh) to the
rows of compare.csv, one per label in the order the VM ran them."""

from . import bindcost, blockspread, hashspread
from .stats import awk_num, num, percentile

COLUMNS = (
    "policy,even_pct_one,even_pct_spread,distinct_spread,stride_median,"
    "stride_mean,reuse_rounds,reuse_min,reuse_mean,reuse_median,"
    "reuse_count,fill_range,fill_connections,fill_connect_s,first_p50_us,"
    "first_p99_us,second_p50_us,second_p99_us,probes_first,probes_second,"
    "probes_failing,bind_ok_pct_25,bind_ok_pct_50,bind_ok_pct_75,"
    "bind_ok_pct_full,bind_full_held,bind_odd_pct,even_pct_narrow").split(
        ",") + bindcost.columns() + hashspread.columns() + blockspread.columns()

# Workload 1's addresses in records that do not name them (before the
# dst records): the guest's layout, 127.0.0.1 to 127.0.0.1, the one
# destination at port 5001 + 10 * (the label's place from 1), the many
# at 6000 + their index.
SRC = "127.0.0.1"
SPREAD_BASE = "127.0.0.1:6000"


class Label:
    """What the records say about one label (a policy, or "even-first
    reserve_odd=1")."""

    def __init__(self):
        self.one = []           # workload 1: ports to one destination
        self.spread = []        # and over many
        self.spread_dst = []    # the destination index of each of those
        self.dst = {}           # part -> "ADDR:PORT" (dst records)
        self.narrow = []        # and with the socket's own range
        self.sums = {}          # sum,LABEL,KEY,VALUE
        self.lat = {}           # held -> ns of that connect of the fill
        self.nlat = 0
        self.stats = {}         # seq -> (held, connects, probes)
        self.binds = {}         # held -> (tries, ok)
        self.bind_ok = 0
        self.bind_odd = 0
        self.bindr = {}         # held -> (tries, ok), with SO_REUSEADDR
        self.bindt = {}         # (kind, held) -> [(port, ns)], port 0: failed
        self.hold = []          # workload 4's fill: its ports, in order
        self.block = {}         # workload 5: port -> times handed out


def parse(records):
    """(meta, {label: Label}) from read_records(); the dict keeps the
    order in which labels first appear."""
    meta, labels = {}, {}
    for kind, f in records:
        if kind == "meta":
            meta[f[0]] = f[1] if len(f) > 1 else ""
            continue
        if kind not in ("port", "sum", "lat", "stat", "bind", "dst", "bindr",
                        "bindt", "hold", "blk"):
            continue
        lab = labels.setdefault(f[0], Label())
        if kind == "port":
            {"one": lab.one, "narrow": lab.narrow}.get(
                f[1], lab.spread).append(int(f[3]))
            if f[1] == "spread":
                lab.spread_dst.append(int(f[2]))
        elif kind == "dst":
            lab.dst[f[1]] = f[2]
        elif kind == "bindr":
            lab.bindr[int(f[1])] = (num(f[2]), num(f[3]))
        elif kind == "bindt":
            lab.bindt.setdefault((f[1], int(f[2])), []).append(
                (int(f[3]), num(f[4])))
        elif kind == "hold":
            lab.hold.append(int(f[1]))
        elif kind == "blk":
            lab.block[int(f[1])] = int(f[2])
        elif kind == "sum":
            lab.sums[f[1]] = f[2]
        elif kind == "lat":
            lab.lat[int(f[1])] = num(f[3])
            lab.nlat = int(f[1])
        elif kind == "stat":
            lab.stats[int(f[1])] = (num(f[2]), num(f[3]), num(f[5]))
        else:
            lab.binds[int(f[1])] = (num(f[2]), num(f[3]))
            lab.bind_ok += num(f[3])
            lab.bind_odd += num(f[4])
    return meta, labels


def f1(x):
    return "%.1f" % x


def _even_pct(ports):
    return 100 * sum(1 for p in ports if p % 2 == 0) / len(ports)


def _workload1(lab, size):
    """even %, distinct ports, stride median and mean."""
    if not lab.one:
        return [""] * 5
    strides = [(b - a + size) % size for a, b in zip(lab.one, lab.one[1:])]
    return [f1(_even_pct(lab.one)),
            f1(_even_pct(lab.spread)) if lab.spread else "",
            str(len(set(lab.spread))) if lab.spread else "",
            awk_num(percentile(strides, 0.5)) if strides else "",
            f1(sum(strides) / len(strides)) if strides else ""]


def _lat_us(lab, lo, hi, q):
    """Percentile Q of the fill's connects LO..HI (held counts), in µs."""
    v = [lab.lat[i] for i in range(lo, hi + 1) if i in lab.lat]
    return "%.0f" % (percentile(v, q) / 1000) if v else ""


def _fill(lab, r):
    """The fill: the halves split at the range middle, where the preferred
    parity is full for kernel and even-first."""
    n = lab.nlat
    if not n:
        return [""] * 7
    t = num(lab.sums.get("fill_err_ns")) + sum(lab.lat.values())
    h = r // 2
    return [str(r), str(n), "%.2f" % (t / 1e9),
            _lat_us(lab, 1, h, 0.5), _lat_us(lab, 1, h, 0.99),
            _lat_us(lab, h + 1, n, 0.5), _lat_us(lab, h + 1, n, 0.99)]


def _probes(lab, r):
    """portsel_stat: 0 before, then each half held, then the end."""
    nstat = max(lab.stats) + 1 if lab.stats else 0
    half = last = None
    for k in range(1, nstat - 1):
        if lab.stats[k][0] == r / 2 and half is None:
            half = k
        last = k

    def per_connect(a, b):
        if a is None or b is None or b <= a:
            return ""
        c = lab.stats[b][1] - lab.stats[a][1]
        return "%.1f" % ((lab.stats[b][2] - lab.stats[a][2]) / c) if c else ""
    failing = ""
    if last is not None:
        failing = awk_num(lab.stats[nstat - 1][2] - lab.stats[last][2])
    return [per_connect(0, half), per_connect(half, last), failing]


def _bind(lab, r):
    """bind(0) at the quarters, and at "full" (what connect() could take)."""
    full = lab.sums.get("bindfill_ok", "")
    cells = []
    for h in (r // 4, r // 2, 3 * r // 4, int(full) if full else None):
        b = lab.binds.get(h) if h is not None else None
        cells.append("%.0f" % (100 * b[1] / b[0]) if b else "")
    odd = "%.0f" % (100 * lab.bind_odd / lab.bind_ok) if lab.bind_ok else ""
    return cells + [full, odd]


def _addr(s):
    """("ADDR", PORT) of "ADDR:PORT" (IPv4)."""
    a, _, p = s.rpartition(":")
    return a, int(p)


def tuples(meta, labels):
    """Workload 1's 4-tuples (src, dst, sport, dport) per label and part
    ("one", "spread"), as the packets leave the host."""
    src = meta.get("SRC", SRC)
    base_addr, base = _addr(meta.get("SPREAD_DST", SPREAD_BASE))
    out = {}
    for i, (name, lab) in enumerate(labels.items(), 1):
        one = _addr(lab.dst.get("one", "%s:%d" % (SRC, 5001 + 10 * i)))
        out[name] = {
            "one": [(src, one[0], p, one[1]) for p in lab.one],
            "spread": [(src, base_addr, p, base + d)
                       for p, d in zip(lab.spread, lab.spread_dst)]}
    return out


def rows(meta, labels):
    """compare.csv's rows (lists of strings, COLUMNS' order)."""
    r = int(meta["RANGE"])
    size = int(meta["DEF_HI"]) - int(meta["DEF_LO"]) + 1
    lo, hi = int(meta["FILL_LO"]), int(meta["FILL_HI"])
    out = []
    hasher = hashspread.Hasher()
    tup = tuples(meta, labels)
    for name, lab in labels.items():
        s = lab.sums
        out.append([name] + _workload1(lab, size)
                   + [s.get(k, "") for k in ("reuse_connects", "reuse_min",
                                             "reuse_mean", "reuse_median",
                                             "reuse_reuses")]
                   + _fill(lab, r) + _probes(lab, r) + _bind(lab, r)
                   + [f1(_even_pct(lab.narrow)) if lab.narrow else ""]
                   + bindcost.cells(lab, r, lo, hi)
                   + hashspread.cells(hasher, tup[name])
                   + blockspread.cells(lab.block, meta,
                                       s.get("block_min", "")))
    return out

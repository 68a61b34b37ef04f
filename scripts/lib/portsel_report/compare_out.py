# SPDX-License-Identifier: GPL-2.0
"""make compare's outputs from compare.csv's rows: the table as text and
markdown, compare.md, and the data of compare.png (scripts/lib/compare.gp)."""

import os

from . import bindcost, blockspread, hashspread
from .compare import COLUMNS
from .stats import awk_num, median

# what the VM ran for each mode of scripts/compare.sh, and its default range
COMMANDS = {"full": ("make compare", 4000),
            "quick": ("make compare ARGS=--quick", 4000),
            "smoke": ("scripts/compare.sh --smoke", 400)}

# kernel, even-first and its reserve_odd=1 run keep their colours; the
# other policies take the next of the palette in the order they ran
FIXED_COLOURS = {"kernel": "#222222", "even-first": "#d62728",
                 "even-first reserve_odd=1": "#ff7f0e"}
PALETTE = ("#1f77b4", "#17becf", "#2ca02c", "#8c564b", "#e377c2", "#9467bd",
           "#bcbd22", "#7f7f7f")

DASH = "–"

# the units of the timed workloads' cells: (connect(), its sum)
UNITS_TCG = ("µs", "s")
UNITS_ICOUNT = ("k instr.", "G instr.")


def icount(meta):
    """Were the timed workloads instruction-counted?"""
    return meta.get("CLOCK") == "icount"


def units(meta):
    return UNITS_ICOUNT if icount(meta) else UNITS_TCG


def _v(x):
    return DASH if x == "" else x


def _pair(a, b):
    return DASH if a == "" and b == "" else _v(a) + "/" + _v(b)


def _pc(x):
    return x[:-2] if x.endswith(".0") else x


def _big(x):
    return "%.0f" % float(x) if x != "" and float(x) >= 100 else x


def _narrow(rows):
    """Do the records have workload 1's own-range sockets?"""
    return any(dict(zip(COLUMNS, r))["even_pct_narrow"] for r in rows)


def _text_table(heads, body, left=1):
    """Aligned text: the first LEFT columns to the left, the rest to the
    right, two spaces apart; HEADS are header rows above BODY."""
    rows = heads + body
    w = [max(len(x[j]) for x in rows) for j in range(len(rows[0]))]
    return "\n".join("  ".join(
        x[j].ljust(w[j]) if j < left else x[j].rjust(w[j])
        for j in range(len(x))).rstrip(" ") for x in rows) + "\n"


def _md_table(head, body, left=1):
    """A markdown table, the first LEFT columns aligned left."""
    lines = ["|" + "".join(" %s |" % h for h in head),
             "|" + "---|" * left + "--:|" * (len(head) - left)]
    lines += ["|" + "".join(" %s |" % x for x in r) for r in body]
    return "\n".join(lines) + "\n"


def _main(rows):
    """The rows with a workload of the main table (not those of the
    reserved block alone)."""
    keys = ("even_pct_one", "reuse_rounds", "fill_connections",
            "bind_ok_pct_25")
    return [r for r in rows if any(dict(zip(COLUMNS, r))[k] for k in keys)]


def cells(row, narrow=False):
    """The twelve cells of the table for one csv row; NARROW: the even %
    of the sockets with their own range too."""
    c = dict(zip(COLUMNS, row))
    even = _pair(_pc(c["even_pct_one"]), _pc(c["even_pct_spread"]))
    if narrow:
        even += "/" + _v(_pc(c["even_pct_narrow"]))
    if c["reuse_rounds"] == "":
        reuse = DASH
    elif c["reuse_min"] == "":
        reuse = ">" + c["reuse_rounds"]
    else:
        reuse = "%d/%.0f" % (float(c["reuse_min"]), float(c["reuse_mean"]))
    return [c["policy"], even,
            _v(c["distinct_spread"]),
            _pair(c["stride_median"], _big(c["stride_mean"])),
            reuse,
            _v(c["fill_connections"]),
            _v(c["fill_connect_s"]),
            _pair(c["first_p50_us"], c["first_p99_us"]),
            _pair(c["second_p50_us"], c["second_p99_us"]),
            "n/a" if c["policy"] == "kernel" else
            _pair(c["probes_first"], c["probes_second"]),
            "/".join(_v(c["bind_ok_pct_" + q])
                     for q in ("25", "50", "75", "full")),
            _v(c["bind_odd_pct"])]


def table_text(rows, dsts, unit=UNITS_TCG):
    d = "%sdst" % dsts
    h1 = ["policy", "even %", "distinct ports", "stride", "reuse after",
          "fill", "connect()", "latency " + unit[0], "latency " + unit[0],
          "probes/connect", "bind(0) ok %", "bind(0)"]
    own = "/own" if _narrow(rows) else ""
    h2 = ["", "1dst/" + d + own, d, "med/mean", "min/mean conn.", "conns",
          "total " + unit[1], "1st half p50/p99", "2nd half p50/p99", "1st/2nd half",
          "25/50/75/full held", "odd %"]
    return _text_table([h1, h2], [cells(r, bool(own)) for r in _main(rows)])


def table_md(rows, dsts, unit=UNITS_TCG):
    d = "%sdst" % dsts
    own = " / own range" if _narrow(rows) else ""
    head = ["policy", "even %% (1dst / %s%s)" % (d, own), "distinct ports (%s)" % d,
            "stride median / mean (ports)",
            "reuse after min / mean (connects)", "fill connections",
            "time in connect() (%s)" % unit[1],
            "1st half p50 / p99 (%s)" % unit[0],
            "2nd half p50 / p99 (%s)" % unit[0], "probes / connect 1st / 2nd half",
            "bind(0) ok % at 25/50/75/full held", "bind(0) odd %"]
    return _md_table(head, [cells(r, bool(own)) for r in _main(rows)])


def _k(ns):
    """A time in ns as thousands (µs, or k instructions), 1 decimal
    below 100."""
    if ns == "":
        return ns
    v = float(ns) / 1000
    return "%.1f" % v if v < 100 else "%.0f" % v


def _quarters(c, pre, fmt=_v):
    return "/".join(fmt(c[pre + q]) if c[pre + q] != "" else DASH
                    for q in bindcost.QUARTERS)


def bind_rows(rows):
    """The bind(0) cost table's rows; labels without the timed bind(0)s
    are left out."""
    out = []
    for r in rows:
        c = dict(zip(COLUMNS, r))
        if all(c[k] == "" for k in bindcost.columns()):
            continue
        out.append([c["policy"],
                    _quarters(c, "bind_p50_ns_", _k),
                    _quarters(c, "bind_walk_"),
                    _quarters(c, "bindr_p50_ns_", _k),
                    _quarters(c, "bindr_walk_"),
                    _quarters(c, "bindr_ok_pct_")])
    return out


def bind_head(unit):
    return ["policy", "bind(0) p50 (%s)" % unit[0], "ports walked",
            "SO_REUSEADDR p50 (%s)" % unit[0], "ports walked",
            "SO_REUSEADDR ok %"]


def bind_text(rows, unit=UNITS_TCG):
    body = bind_rows(rows)
    if not body:
        return ""
    h2 = ["", "25/50/75/full held"] + ["25/50/75/full"] * 4
    return _text_table([bind_head(unit), h2], body)


def bind_md(rows, unit=UNITS_TCG):
    body = bind_rows(rows)
    if not body:
        return ""
    h = [x + ("" if k == 0 else " at 25/50/75/full held")
         for k, x in enumerate(bind_head(unit))]
    return _md_table(h, body)


def bind_guide(meta):
    return (
        "bind(0) cost: the median time of %s bind(0)s to 127.0.0.1, then %s"
        " with SO_REUSEADDR, while connect() holds 25/50/75 %% of the fill"
        " range and all it could take (full), failures included. Ports"
        " walked: the mean, over every random start, of the ports the"
        " kernel's scan (inet_csk_find_open_port(): the parity connect()"
        " does not prefer first; with SO_REUSEADDR the lower half of the"
        " range first) tries with those ports held, derived from the ports"
        " the fill held, not observed." % (meta["BINDS"], meta["BINDS"]))


PARTS = (("one", "1dst"), ("spread", "%sdst"))


def _hash_cell(c, scheme, part):
    """max/mean load for each N, with the buckets used where not all."""
    out = []
    for n in hashspread.BUCKETS:
        k = "hash_%s%d_%s_" % (scheme, n, part)
        if c.get(k + "maxmean", "") == "":
            return DASH
        used = int(c[k + "used"])
        out.append(c[k + "maxmean"]
                   + ("" if used == n else " (%d of %d)" % (used, n)))
    return " / ".join(out)


def hash_rows(rows, dsts):
    """The hash spread table's rows: policy, workload, one cell per
    scheme; labels without workload 1 are left out."""
    out = []
    for r in rows:
        c = dict(zip(COLUMNS, r))
        for part, name in PARTS:
            cells_ = [_hash_cell(c, s, part) for s in hashspread.SCHEMES]
            if all(x == DASH for x in cells_):
                continue
            out.append([c["policy"], name.replace("%s", str(dsts))] + cells_)
    return out


def hash_head():
    n = "/".join(str(b) for b in hashspread.BUCKETS)
    return (["policy", "tuples", "Toeplitz RSS, %s queues" % n,
             "CRC-32 5-tuple mod %s" % n, "source port mod %s" % n])


def hash_text(rows, dsts):
    body = hash_rows(rows, dsts)
    if not body:
        return ""
    return _text_table([hash_head()], body, left=2)


def hash_md(rows, dsts):
    body = hash_rows(rows, dsts)
    if not body:
        return ""
    return _md_table(hash_head(), body, left=2)


HASH_GUIDE = (
    "hash spread: workload 1's 4-tuples (source 127.0.0.1, as the packets"
    " leave) over N buckets: max/mean load for N = %s (1.00: even; 2.00:"
    " half the buckets idle), \"(k of N)\" where only k buckets got any."
    " Toeplitz RSS: the 40-byte default key of Microsoft's RSS"
    " specification over addresses and ports, the hash's low 7 bits"
    " indexing a 128-entry indirection table filled i -> i mod N, as a NIC"
    " spreads receive queues. CRC-32: zlib's over source and destination"
    " address, protocol, source and destination port, mod N, as ECMP and"
    " L4 balancers hash a 5-tuple. Source port mod N: a poor hash. These"
    " are the standard schemes, not any one product's."
    % "/".join(str(b) for b in hashspread.BUCKETS))


def block_text(rows):
    body = blockspread.body(rows, COLUMNS)
    return _text_table([list(blockspread.HEAD)], body) if body else ""


def block_md(rows):
    body = blockspread.body(rows, COLUMNS)
    return _md_table(blockspread.HEAD, body) if body else ""


def title(meta):
    target = meta.get("TARGET") or ""
    if icount(meta):
        how = ("counts under qemu TCG (%s vCPUs), times under qemu -icount"
               " (%s vCPU, instructions)"
               % (meta.get("cpus", "?"), meta.get("TIMED_CPUS", "?")))
    else:
        how = "under qemu TCG (%s vCPUs)" % meta.get(
            "cpus", meta.get("TIMED_CPUS", "?"))
    return ("Debian %s%s %s; fill range %s-%s (%s ports); module %s"
            % (meta["kernel"], " (target %s)" % target if target else "",
               how, meta["FILL_LO"], meta["FILL_HI"], meta["RANGE"],
               meta["module"]))


def command(meta):
    """The command that made a run of these records."""
    mode = meta.get("MODE") or "full"
    cmd, default_range = COMMANDS.get(mode, COMMANDS["full"])
    target = meta.get("TARGET") or ""
    if target:
        cmd = (cmd.replace("make compare", "make compare TARGET=" + target)
               if cmd.startswith("make") else cmd + " --target " + target)
    if int(meta["RANGE"]) != default_range:
        cmd += " (--range %s)" % meta["RANGE"]
    return cmd


def guides(meta):
    own = ""
    if meta.get("NARROW"):
        own = (" own: %s connects to one destination from sockets with their"
               " own IP_LOCAL_PORT_RANGE %s-%s."
               % (meta["NARROW"], meta["NARROW_LO"], meta["NARROW_HI"]))
    return (
        "even: share of even ports." + own + " stride: forward step between consecutive"
        " ports to one destination. reuse after: connects until a port comes"
        " back to it (>N: not within N). halves: of the fill (kernel,"
        " even-first: before/after the even ports are full).",
        "probes: ports portsel tried per connect, from portsel_stat (n/a: the"
        " stock loop is not instrumented). bind(0) ok %%: %s tries with"
        " 25/50/75 %% of the range held, and all connect() could take (full)."
        " –: not measured. %s"
        % (meta["BINDS"], TIMES_ICOUNT if icount(meta) else TIMES_TCG))


TIMES_TCG = "TCG times are emulated: compare ratios."
TIMES_ICOUNT = (
    "Times are instruction counts (qemu -icount shift=0,sleep=off, one"
    " vCPU: 1 ns = 1 guest instruction; k instr. = thousands, G instr. ="
    " billions; the csv's _us and _s columns hold them in those units):"
    " the same from boot to boot, not hardware time. Even %, ports,"
    " reuse and hash spread come from a plain TCG boot with 2 vCPUs.")


def markdown(meta, rows):
    mode = meta.get("MODE") or "full"
    g1, g2 = guides(meta)
    hmd = hash_md(rows, meta["DSTS"])
    if hmd:
        hmd = "## Hash spread\n\n" + hmd + "\n" + HASH_GUIDE + "\n\n"
    bmd = bind_md(rows, units(meta))
    if bmd:
        bmd = ("## bind(0) cost\n\n" + bmd + "\n" + bind_guide(meta)
               + "\n\n")
    kmd = block_md(rows)
    if kmd:
        kmd = ("## Beside a reserved block\n\n" + kmd + "\n"
               + blockspread.guide(meta) + "\n\n")
    return ("# portsel: policies compared\n\n"
            "%s. Produced by `%s` (%s: %s + %s connects over %s destinations,"
            " %s reuse rounds, %s bind(0) tries per checkpoint).\n\n"
            % (title(meta), command(meta), mode, meta["ONE"], meta["SPREAD"],
               meta["DSTS"], meta["REUSE"], meta["BINDS"])
            + table_md(rows, meta["DSTS"], units(meta))
            + "\n%s\n\n%s\n\n" % (g1, g2)
            + bmd + hmd + kmd
            + "![latency during the fill, ports handed out](compare.png)\n")


def colours(names):
    out, free = {}, iter(PALETTE)
    for n in names:
        out[n] = FIXED_COLOURS.get(n) or next(free, PALETTE[-1])
    return out


def _hash_plot(rows, names, work):
    """hash-i.dat per label with workload 1: "x max/mean(1dst)
    max/mean(spread)" for x = 1.. over (scheme, N); the label ids that
    have one, and the x tic labels."""
    ids, tics = [], []
    for s in hashspread.SCHEMES:
        for n in hashspread.BUCKETS:
            tics.append("%s %d" % ({"toeplitz": "RSS", "crc32": "CRC",
                                    "sportmod": "port mod"}[s], n))
    for r in rows or []:
        c = dict(zip(COLUMNS, r))
        if c.get("hash_toeplitz4_one_maxmean", "") == "":
            continue
        i = names.index(c["policy"]) + 1
        ids.append(i)
        with open(os.path.join(work, "hash-%d.dat" % i), "w") as f:
            x = 0
            for s in hashspread.SCHEMES:
                for n in hashspread.BUCKETS:
                    x += 1
                    k = "hash_%s%d_" % (s, n)
                    f.write("%d %s %s\n" % (
                        x, c[k + "one_maxmean"],
                        c[k + "spread_maxmean"] or "NaN"))
    return ids, tics


def _bind_plot(rows, names, work, r):
    """bind-i.dat per label with timed bind(0)s: "% held, p50 plain,
    p50 SO_REUSEADDR" in thousands of ns; the label ids that have one."""
    ids = []
    for row in rows or []:
        c = dict(zip(COLUMNS, row))
        if all(c["bind_p50_ns_" + q] == "" for q in bindcost.QUARTERS):
            continue
        i = names.index(c["policy"]) + 1
        ids.append(i)
        full = c["bind_full_held"]
        held = bindcost.checkpoints(r, int(full) if full else None)
        with open(os.path.join(work, "bind-%d.dat" % i), "w") as f:
            for q, h in zip(bindcost.QUARTERS, held):
                a, b = c["bind_p50_ns_" + q], c["bindr_p50_ns_" + q]
                if h is None or (a == "" and b == ""):
                    continue
                f.write("%s %s %s\n" % (
                    awk_num(100 * h / r),
                    awk_num(float(a) / 1000) if a else "NaN",
                    awk_num(float(b) / 1000) if b else "NaN"))
    return ids


def plot_data(meta, labels, work, rows=None):
    """Per label i: lat-i.dat (held, µs of each connect), latm-i.dat (the
    median of every 1 % of the range), hist-i.dat (workload 1's ports in
    512-port bins), hash-i.dat (_hash_plot; with ROWS, compare.csv's).
    Returns gnuplot's settings for compare.gp."""
    lo, hi = int(meta["DEF_LO"]), int(meta["DEF_HI"])
    block = max(int(meta["RANGE"]) // 100, 1)
    col = colours(labels)
    lat_ids, hist_ids = [], []
    for i, (name, lab) in enumerate(labels.items(), 1):
        if lab.lat:
            lat_ids.append(i)
            held = sorted(lab.lat)
            with open(os.path.join(work, "lat-%d.dat" % i), "w") as f:
                for h in held:
                    f.write("%d %s\n" % (h, awk_num(lab.lat[h] / 1000)))
            with open(os.path.join(work, "latm-%d.dat" % i), "w") as f:
                for k in range(0, len(held) - block + 1, block):
                    part = held[k:k + block]
                    f.write("%s %s\n" % (
                        awk_num(part[-1] - (block - 1) / 2),
                        awk_num(median([lab.lat[h] / 1000 for h in part]))))
        ports = lab.one + lab.spread
        if ports:
            hist_ids.append(i)
            bins = [0] * ((hi - lo) // 512 + 1)
            for p in ports:
                bins[(p - lo) // 512] += 1
            with open(os.path.join(work, "hist-%d.dat" % i), "w") as f:
                for j, n in enumerate(bins):
                    f.write("%d %d\n" % (lo + 512 * j + 256, n))
    q = '"%s"'.__mod__
    names = list(labels)
    even = {n: "%.0f" % (100 * sum(1 for p in lab.one + lab.spread
                                   if p % 2 == 0)
                         / max(len(lab.one + lab.spread), 1))
            for n, lab in labels.items()}
    hash_ids, hash_tics = _hash_plot(rows, names, work)
    bind_ids = _bind_plot(rows, names, work, int(meta["RANGE"]))
    blk_ids = blockspread.plot(labels, names, work)
    return {
        "blk_ids": q(" ".join(map(str, blk_ids))),
        "blk_lo": meta.get("BLK_LO", "0"), "blk_hi": meta.get("BLK_HI", "0"),
        "blk_res": q("%s-%s" % (meta.get("BLK_RES_LO", ""),
                                meta.get("BLK_RES_HI", ""))),
        "blk_rounds": meta.get("BLOCK", "0"),
        "bind_ids": q(" ".join(map(str, bind_ids))),
        "time_unit": q(units(meta)[0]),
        "dir": q(work), "title": q(title(meta)), "range": meta["RANGE"],
        "hash_ids": q(" ".join(map(str, hash_ids))),
        "hash_tics": q(" ".join("'%s'" % t for t in hash_tics)),
        "one": meta["ONE"], "spread": meta["SPREAD"], "dsts": meta["DSTS"],
        "def_lo": str(lo), "def_hi": str(hi),
        "lat_ids": q(" ".join(map(str, lat_ids))),
        "hist_ids": q(" ".join(map(str, hist_ids))),
        "names": q(" ".join("'%s'" % n for n in names)),
        "hist_titles": q(" ".join("'%s (%s %% even)'" % (n, even[n])
                                  for n in names)),
        "colours": q(" ".join(col[n] for n in names)),
    }

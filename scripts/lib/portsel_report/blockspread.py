# SPDX-License-Identifier: GPL-2.0
"""Workload 5: the ports handed out beside a reserved block, what Linux
7.1's ip_local_port_step_width (7da62262ec96) is for. A scan that walks
in steps of 1 or 2 takes, from every start inside a block of
ip_local_reserved_ports, the first free port after it: that port comes
far more often than any other. The figures, per label, from how often
each port came (blk records) and the shortest reuse distance:

- after: the rounds that got the port right after the block, and their
  share of all rounds;
- after_x: that count against the mean of the ports that came at all;
- next: the most any other port got;
- ports: how many ports came;
- reuse_min: the fewest connects before a port came back (to any of
  the destinations: each round has one of its own)."""

from .stats import awk_num

KEYS = ("rounds", "after", "after_pct", "after_x", "next", "ports",
        "reuse_min")


def columns():
    return ["block_" + k for k in KEYS]


def after_port(meta):
    return int(meta["BLK_RES_HI"]) + 1 if meta.get("BLK_RES_HI") else None


def cells(counts, meta, reuse_min=""):
    """COUNTS: {port: times handed out}."""
    after = after_port(meta)
    if not counts or after is None:
        return [""] * len(KEYS)
    rounds = sum(counts.values())
    a = counts.get(after, 0)
    mean = rounds / len(counts)
    others = [n for p, n in counts.items() if p != after]
    return [str(rounds), str(a), "%.1f" % (100 * a / rounds),
            "%.1f" % (a / mean), str(max(others) if others else 0),
            str(len(counts)), reuse_min]


HEAD = ("policy", "rounds", "port after the block", "× mean",
        "next most", "ports", "shortest reuse")


def body(rows, columns_):
    """The table's rows (compare_out renders them), labels with the
    workload only."""
    out = []
    for r in rows:
        c = dict(zip(columns_, r))
        if c["block_rounds"] == "":
            continue
        out.append([c["policy"], c["block_rounds"],
                    "%s (%s %%)" % (c["block_after"], c["block_after_pct"]),
                    c["block_after_x"], c["block_next"], c["block_ports"],
                    c["block_reuse_min"] or "–"])
    return out


def guide(meta):
    return (
        "reserved block: %s connect/close rounds (SO_LINGER 0), each to a"
        " destination address of its own (every scan starts somewhere"
        " else), on %s-%s with %s-%s in ip_local_reserved_ports."
        " port after the block: how often %d came (share of the rounds);"
        " × mean: that against the mean of the ports that came; next most:"
        " the most any other port got; shortest reuse: the fewest connects"
        " before a port came back (to any destination). even-first step_width=N: Linux 7.1's"
        " ip_local_port_step_width (7da62262ec96), N = 4 × the block"
        " (upstream's advice) and the whole range."
        % (meta.get("BLOCK", "?"), meta.get("BLK_LO", "?"),
           meta.get("BLK_HI", "?"), meta.get("BLK_RES_LO", "?"),
           meta.get("BLK_RES_HI", "?"), after_port(meta) or 0))


def plot(labels, names, work):
    """blk-i.dat per label with workload 5: "rank count", the ports that
    came, most often first (the port after the block stands out as rank
    1 where it is favoured); the label ids that have one."""
    ids = []
    for name, lab in labels.items():
        if not lab.block:
            continue
        i = names.index(name) + 1
        ids.append(i)
        with open("%s/blk-%d.dat" % (work, i), "w", encoding="utf-8") as f:
            for rank, n in enumerate(sorted(lab.block.values(),
                                            reverse=True), 1):
                f.write("%d %s\n" % (rank, awk_num(n)))
    return ids

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The analysis of make compare and make bench: the guest's raw records in,
the tables, csv and gnuplot data out. The VM only measures; every figure
is computed here. Python 3's standard library only."""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
# pylint: disable=wrong-import-position
from portsel_report import (  # noqa: E402
    bench, bench_out, bench_plot, blockspread, compare, compare_out)
from portsel_report.stats import DEFINITIONS, read_records  # noqa: E402


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def do_compare(a):
    meta, labels = compare.parse(read_records(a.raw))
    rows = compare.rows(meta, labels)
    write(os.path.join(a.out, "compare.csv"),
          "\n".join(",".join(r) for r in [compare.COLUMNS] + rows) + "\n")
    write(os.path.join(a.out, "compare.md"),
          compare_out.markdown(meta, rows))
    g1, g2 = compare_out.guides(meta)
    sys.stdout.write("\nportsel: %s\n\n%s\n%s\n%s\n\n" % (
        compare_out.title(meta),
        compare_out.table_text(rows, meta["DSTS"], compare_out.units(meta)),
        g1, g2))
    binds = compare_out.bind_text(rows, compare_out.units(meta))
    if binds:
        sys.stdout.write("bind(0) cost:\n\n%s\n%s\n\n" % (
            binds, compare_out.bind_guide(meta)))
    block = compare_out.block_text(rows)
    if block:
        sys.stdout.write("Beside a reserved block:\n\n%s\n%s\n\n" % (
            block, blockspread.guide(meta)))
    hashes = compare_out.hash_text(rows, meta["DSTS"])
    if hashes:
        sys.stdout.write("Hash spread (max/mean load):\n\n%s\n%s\n\n" % (
            hashes, compare_out.HASH_GUIDE))
    if a.plot:
        os.makedirs(a.plot, exist_ok=True)
        gp = compare_out.plot_data(meta, labels, a.plot, rows)
        gp["out"] = '"%s"' % os.path.join(a.out, "compare.png")
        write(os.path.join(a.plot, "gnuplot.args"),
              "; ".join("%s=%s" % kv for kv in gp.items()) + "\n")
    for kind, f in read_records(a.raw):
        if kind == "warn":
            print("compare: warning: " + ",".join(f), file=sys.stderr)


def do_bench(a):
    s, policies = bench.samples(read_records(a.raw))
    order = bench.policy_order(s, policies)
    rows = bench.aggregate(s, order)
    write(os.path.join(a.out, "bench.csv"),
          "\n".join(bench.csv_lines(rows)) + "\n")
    sys.stdout.write(bench_out.text(rows, order, a,
                                    bench.made_on(read_records(a.raw))))
    has = bench_plot.plot_data(rows, order, a.out)
    if a.gnuplot_args:
        write(a.gnuplot_args, " ".join(has) + "\n")
    short = bench.short_fills(rows)
    if short:
        print("bench: warning: fills that did not get every port of their"
              " range:\n" + "\n".join(short), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(
        description=__doc__,
        epilog="Statistics: " + DEFINITIONS + ". Ratios are of medians.")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="make compare's records (raw.csv)",
                       epilog="Statistics: " + DEFINITIONS + ".")
    c.add_argument("raw", help="the records of scripts/guest/compare.sh")
    c.add_argument("--out", required=True,
                   help="where compare.csv and compare.md go")
    c.add_argument("--plot", metavar="DIR",
                   help="also write compare.png's data files into DIR, and"
                   " gnuplot's settings for scripts/lib/compare.gp in"
                   " DIR/gnuplot.args")
    c.set_defaults(fn=do_compare)
    b = sub.add_parser("bench", help="make bench's records (bench-raw.txt)",
                       epilog="Statistics: " + DEFINITIONS + ".")
    b.add_argument("raw", help="the records of scripts/guest/bench.sh")
    b.add_argument("--out", required=True,
                   help="where bench.csv and bench-plot-*.dat go")
    b.add_argument("--gnuplot-args", metavar="FILE",
                   help="write bench.gp's has_* settings (which panels have"
                   " data) into FILE")
    b.add_argument("--runs", type=int, default=3, help="for the table's"
                   " headings: the runs of the short measurements")
    b.add_argument("--churn", type=int, default=20000,
                   help="connects per policy and run in P1")
    b.add_argument("--sockmany-ops", type=int, default=20000)
    b.add_argument("--tcg", dest="icount", action="store_false",
                   help="the times are TCG's wall time, not instruction"
                   " counts")
    b.set_defaults(fn=do_bench)
    a = p.parse_args()
    try:
        a.fn(a)
    except (OSError, KeyError, ValueError) as e:
        print("report.py: %s: %s" % (a.raw, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

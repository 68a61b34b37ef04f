# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/report.py (make check's tier "report"). The
expected files under fixtures/ were written by the awk programs
scripts/compare.sh and scripts/bench.sh had before report.py (the bench
fixture has an odd number of runs everywhere, where the medians of old
and new agree); compare.md adds "(--range 16)", which the old --raw
path left out, and compare.csv the column even_pct_narrow (empty: the
fixture's records have no own-range sockets)."""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures")
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, ".."))

# pylint: disable=wrong-import-position
import report  # noqa: E402
from portsel_report import bench, compare  # noqa: E402
from portsel_report.stats import (awk_num, median, percentile,  # noqa: E402
                                  read_records)


def fixture(name):
    with open(os.path.join(FIX, name), encoding="utf-8") as f:
        return f.read()


class Statistics(unittest.TestCase):
    def test_nearest_rank_percentiles(self):
        v = list(range(100, 0, -1))
        self.assertEqual(percentile(v, 0.99), 99)
        self.assertEqual(percentile(v, 0.5), 50)
        self.assertEqual(percentile(v, 1.0), 100)
        self.assertEqual(percentile(v, 0.0), 1)
        self.assertIsNone(percentile([], 0.5))

    def test_median_is_the_lower_middle_of_an_even_count(self):
        self.assertEqual(median([4, 1, 3, 2]), 2)
        self.assertEqual(median([3, 1, 2]), 2)
        self.assertEqual(median([7]), 7)

    def test_numbers_print_as_awk_printed_them(self):
        self.assertEqual(awk_num(3.0), "3")
        self.assertEqual(awk_num(59.69124), "59.6912")
        self.assertEqual(awk_num(3581234.5), "3.58123e+06")


class Records(unittest.TestCase):
    def test_both_record_forms(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("meta,kernel_log,WARNING: x y\r\n\n"
                    "p1 policy=kernel run=1 ns=5\ndone secs=3\nend,ok\n")
        got = list(read_records(f.name))
        os.unlink(f.name)
        self.assertEqual(got, [("meta", ["kernel_log", "WARNING: x y"]),
                               ("p1", {"policy": "kernel", "run": "1",
                                       "ns": "5"}),
                               ("done", {"secs": "3"}), ("end", ["ok"])])


class Compare(unittest.TestCase):
    def run_report(self):
        out = tempfile.mkdtemp()
        args = ["report.py", "compare", "--out", out, "--plot",
                os.path.join(out, "plot"), os.path.join(FIX,
                                                        "compare-raw.csv")]
        stdout, stderr = io.StringIO(), io.StringIO()
        old = sys.argv
        sys.argv = args
        try:
            with redirect_stdout(stdout), redirect_stderr(stderr):
                rc = report.main()
        finally:
            sys.argv = old
        self.assertEqual(rc, 0)
        return out, stdout.getvalue(), stderr.getvalue()

    def test_csv_md_and_table_as_before(self):
        out, stdout, stderr = self.run_report()
        with open(os.path.join(out, "compare.csv"), encoding="utf-8") as f:
            self.assertEqual(f.read(), fixture("compare.csv"))
        with open(os.path.join(out, "compare.md"), encoding="utf-8") as f:
            self.assertEqual(f.read(), fixture("compare.md"))
        self.assertEqual(stdout, fixture("compare.txt"))
        self.assertIn("warning: even-first,a warning", stderr)

    def test_plot_data(self):
        out, _, _ = self.run_report()
        plot = os.path.join(out, "plot")
        with open(os.path.join(plot, "latm-2.dat"), encoding="utf-8") as f:
            self.assertEqual(len(f.read().splitlines()), 16)
        with open(os.path.join(plot, "hist-1.dat"), encoding="utf-8") as f:
            bins = [int(line.split()[1]) for line in f]
        self.assertEqual(sum(bins), 9)
        with open(os.path.join(plot, "gnuplot.args"), encoding="utf-8") as f:
            args = f.read()
        self.assertIn('lat_ids="1 2"', args)
        self.assertIn("'even-first (89 % even)'", args)

    def test_stride_wraps_at_the_range_end(self):
        meta, labels = compare.parse(read_records(
            os.path.join(FIX, "compare-raw.csv")))
        row = dict(zip(compare.COLUMNS, compare.rows(meta, labels)[0]))
        # 60996 60998 32768 32770 32771: strides 2 2 2 1
        self.assertEqual((row["stride_median"], row["stride_mean"]),
                         ("2", "1.8"))

    def test_own_range_sockets(self):
        from portsel_report import compare_out
        with open(os.path.join(FIX, "compare-raw.csv"),
                  encoding="utf-8") as f:
            raw = f.read()
        raw = raw.replace("meta,RANGE,", "meta,NARROW,4\nmeta,NARROW_LO,40000"
                          "\nmeta,NARROW_HI,40999\nmeta,RANGE,", 1)
        for p in (40000, 40001, 40002, 40003):
            raw += "port,kernel,narrow,0,%d\n" % p
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(raw)
        meta, labels = compare.parse(read_records(f.name))
        os.unlink(f.name)
        rows = compare.rows(meta, labels)
        narrow = compare.COLUMNS.index("even_pct_narrow")
        self.assertEqual(rows[0][narrow], "50.0")
        self.assertEqual(rows[1][narrow], "")
        self.assertEqual(len(labels["kernel"].spread), 4)  # unchanged
        text = compare_out.table_text(rows, meta["DSTS"])
        self.assertIn("1dst/%sdst/own" % meta["DSTS"], text)
        self.assertIn("80/75/50", text)
        self.assertIn("own range 40000-40999", compare_out.guides(meta)[0]
                      .replace("IP_LOCAL_PORT_RANGE", "range"))

    def test_target_in_title_and_command(self):
        from portsel_report import compare_out
        meta, _ = compare.parse(read_records(
            os.path.join(FIX, "compare-raw.csv")))
        self.assertNotIn("target", compare_out.title(meta))
        meta["TARGET"] = "trixie-amd64"
        self.assertIn("(target trixie-amd64) under qemu",
                      compare_out.title(meta))
        meta["RANGE"], meta["MODE"] = "4000", "full"
        self.assertEqual(compare_out.command(meta),
                         "make compare TARGET=trixie-amd64")
        meta["MODE"] = "quick"
        self.assertEqual(compare_out.command(meta),
                         "make compare TARGET=trixie-amd64 ARGS=--quick")
        meta["RANGE"], meta["MODE"] = "400", "smoke"
        self.assertEqual(compare_out.command(meta),
                         "scripts/compare.sh --smoke --target trixie-amd64")


class BlockSpread(unittest.TestCase):
    """Workload 5: how often each port came beside a reserved block."""

    def records(self):
        with open(os.path.join(FIX, "compare-raw.csv"),
                  encoding="utf-8") as f:
            raw = f.read()
        raw = raw.replace("meta,RANGE,", "meta,BLOCK,12\nmeta,BLK_LO,44000"
                          "\nmeta,BLK_HI,47999\nmeta,BLK_RES_LO,45500"
                          "\nmeta,BLK_RES_HI,45999\nmeta,RANGE,", 1)
        raw = raw.replace("end,ok\n", "")
        # kernel: 46000 6 times of 12 over 4 ports (mean 3); a label with
        # the block workload alone
        for port, n in ((44000, 2), (44002, 1), (46000, 6), (47998, 3)):
            raw += "blk,kernel,%d,%d\n" % (port, n)
        raw += "sum,kernel,block_min,2\n"
        for port in range(44000, 44024, 2):
            raw += "blk,even-first step_width=2000,%d,1\n" % port
        raw += "end,ok\n"
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(raw)
        records = list(read_records(f.name))
        os.unlink(f.name)
        return records

    def test_cells(self):
        meta, labels = compare.parse(self.records())
        rows = {r[0]: dict(zip(compare.COLUMNS, r))
                for r in compare.rows(meta, labels)}
        k = rows["kernel"]
        self.assertEqual([k["block_" + x] for x in (
            "rounds", "after", "after_pct", "after_x", "next", "ports",
            "reuse_min")], ["12", "6", "50.0", "2.0", "3", "4", "2"])
        w = rows["even-first step_width=2000"]
        self.assertEqual((w["block_after"], w["block_after_x"],
                          w["block_next"], w["block_ports"]),
                         ("0", "0.0", "1", "12"))
        self.assertEqual(rows["even-first"]["block_rounds"], "")

    def test_tables_and_plot(self):
        from portsel_report import compare_out
        meta, labels = compare.parse(self.records())
        rows = compare.rows(meta, labels)
        main = compare_out.table_text(rows, meta["DSTS"])
        self.assertNotIn("step_width", main)
        text = compare_out.block_text(rows)
        self.assertEqual(text.splitlines()[1].split(),
                         ["kernel", "12", "6", "(50.0", "%)", "2.0", "3",
                          "4", "2"])
        self.assertIn("even-first step_width=2000", text)
        self.assertNotIn("\neven-first ", text.replace(
            "even-first step_width", ""))
        self.assertIn("## Beside a reserved block",
                      compare_out.markdown(meta, rows))
        work = tempfile.mkdtemp()
        gp = compare_out.plot_data(meta, labels, work, rows)
        self.assertEqual(gp["blk_ids"], '"1 3"')
        with open(os.path.join(work, "blk-1.dat"), encoding="utf-8") as f:
            self.assertEqual(f.read().split("\n")[:4],
                             ["1 6", "2 3", "3 2", "4 1"])


# Microsoft's RSS verification suite ("Verifying the RSS Hash
# Calculation"; also the Intel 82599 datasheet, 7.1.2.8.3): source,
# destination, source port, destination port, the IPv4 hash, the IPv4
# with TCP ports hash, all with the default 40-byte key.
RSS_VECTORS = (
    ("66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178),
    ("199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea),
    ("24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a),
    ("38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f),
    ("153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2),
)


class HashSpread(unittest.TestCase):
    def test_toeplitz_on_the_published_vectors(self):
        import socket
        from portsel_report import hashspread as hs
        h = hs.Hasher()
        for src, dst, sport, dport, ip, tcp in RSS_VECTORS:
            addrs = socket.inet_aton(src) + socket.inet_aton(dst)
            self.assertEqual(hs.toeplitz(addrs), ip, src)
            self.assertEqual(hs.toeplitz(hs.tuple_bytes(src, dst, sport,
                                                        dport)), tcp, src)
            self.assertEqual(h.rss(src, dst, sport, dport), tcp, src)

    def test_toeplitz_refuses_a_short_key(self):
        from portsel_report import hashspread as hs
        with self.assertRaises(ValueError):
            hs.toeplitz(bytes(12), bytes(15))

    def test_indirection_table_is_the_low_seven_bits_mod_queues(self):
        from portsel_report import hashspread as hs
        self.assertEqual(hs.Hasher.rss_queue(0x51ccc178, 16), 0x78 % 16)
        self.assertEqual(hs.Hasher.rss_queue(0xffffff80 + 5, 4), 1)
        # 128 entries over 3 queues: entry 127 is queue 1
        self.assertEqual(hs.Hasher.rss_queue(127, 3), 1)

    def test_crc32_is_zlibs_over_the_13_byte_five_tuple(self):
        import zlib
        from portsel_report import hashspread as hs
        self.assertEqual(zlib.crc32(b"123456789"), 0xCBF43926)  # CRC-32
        b = hs.five_tuple_bytes("10.0.0.1", "10.0.0.2", 0x8001, 443)
        self.assertEqual(b.hex(), "0a0000010a00000206800101bb")

    def test_poor_hash_halves_the_buckets_under_even_ports(self):
        from portsel_report import hashspread as hs
        h = hs.Hasher()
        even = [("127.0.0.1", "127.0.0.1", p, 5011)
                for p in range(32768, 32768 + 4000, 2)]
        both = [("127.0.0.1", "127.0.0.1", p, 5011)
                for p in range(32768, 32768 + 2000)]
        for n in hs.BUCKETS:
            self.assertEqual(hs.spread(h.buckets(even, "sportmod", n)),
                             (n // 2, 2.0))
            self.assertEqual(hs.spread(h.buckets(both, "sportmod", n)),
                             (n, 1.0))
            # a source port bit that never changes costs RSS and CRC-32
            # no queue: every bucket gets an equal share here
            for s in ("toeplitz", "crc32"):
                used, mm = hs.spread(h.buckets(even, s, n))
                self.assertEqual(used, n, (s, n))
                self.assertLess(mm, 1.2, (s, n))

    def test_hash_columns_of_the_fixture(self):
        meta, labels = compare.parse(read_records(
            os.path.join(FIX, "compare-raw.csv")))
        row = dict(zip(compare.COLUMNS, compare.rows(meta, labels)[0]))
        # kernel's one-destination ports 60996 60998 32768 32770 32771:
        # mod 4 -> 0 2 0 2 3
        self.assertEqual((row["hash_sportmod4_one_used"],
                          row["hash_sportmod4_one_maxmean"]), ("3", "1.60"))
        # the spread ports 33001 33002 33002 33004 went to 6000, 6001,
        # 6000, 6001: mod 16 -> 9 10 10 12
        self.assertEqual(row["hash_sportmod16_spread_used"], "3")
        self.assertEqual(row["hash_sportmod16_spread_maxmean"], "8.00")
        tup = compare.tuples(meta, labels)
        self.assertEqual(tup["kernel"]["one"][0],
                         ("127.0.0.1", "127.0.0.1", 60996, 5011))
        self.assertEqual(tup["even-first"]["spread"][1][3], 6001)

    def test_dst_records_name_the_destination(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(fixture("compare-raw.csv").replace(
                "port,kernel,one,0,60996",
                "dst,kernel,one,127.0.0.1:5099\nport,kernel,one,0,60996", 1))
        meta, labels = compare.parse(read_records(f.name))
        os.unlink(f.name)
        self.assertEqual(compare.tuples(meta, labels)["kernel"]["one"][0][3],
                         5099)


class BindCost(unittest.TestCase):
    LO, HI = 32768, 32783       # 16 ports, as the fixture's fill range

    def walk(self, held, reuse=False):
        from portsel_report.bindcost import expected_walk
        return expected_walk(set(held), self.LO, self.HI, reuse)

    def test_odd_ports_first(self):
        odd = range(self.LO + 1, self.HI + 1, 2)
        even = range(self.LO, self.HI + 1, 2)
        self.assertEqual(self.walk([]), 1.0)
        self.assertEqual(self.walk(even), 1.0)          # reserve_odd's case
        self.assertEqual(self.walk(odd), 8 + 1.0)       # every odd, then 1
        self.assertEqual(self.walk(list(odd) + list(even)), 16.0)

    def test_a_run_of_held_ports_costs_the_starts_in_it(self):
        # odd 32769..32775 held: starts there walk 5, 4, 3, 2; the other
        # four starts 1: 18 / 8
        self.assertEqual(self.walk(range(self.LO + 1, self.LO + 8, 2)), 2.25)

    def test_so_reuseaddr_takes_the_lower_half_first(self):
        lower = range(self.LO, self.LO + 8)
        self.assertEqual(self.walk([], True), 1.0)
        self.assertEqual(self.walk(lower, True), 8 + 1.0)
        # lower half's odd ports held: its 4 odd, then an even one
        self.assertEqual(self.walk(range(self.LO + 1, self.LO + 8, 2), True),
                         5.0)
        self.assertEqual(self.walk(range(self.LO, self.HI + 1), True), 16.0)

    def records(self):
        raw = fixture("compare-raw.csv").replace(
            "meta,MODE,full", "meta,MODE,full\nmeta,CLOCK,icount\n"
            "meta,TIMED_CPUS,1", 1)
        # kernel's workload 4 fill: the even ports in order, then odd
        for p in list(range(self.LO, self.HI + 1, 2)) + list(
                range(self.LO + 1, self.HI + 1, 2)):
            raw += "hold,kernel,%d\n" % p
        for held, ns in ((4, 1000), (8, 3000), (12, 5000), (16, 9000)):
            for port in (self.LO + 1, 0):
                raw += "bindt,kernel,plain,%d,%d,%d\n" % (held, port, ns)
                raw += "bindt,kernel,reuseaddr,%d,%d,%d\n" % (held, port,
                                                              2 * ns)
            raw += "bindr,kernel,%d,2,%d,2\n" % (held, 0 if held == 16 else 2)
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(raw)
        meta, labels = compare.parse(read_records(f.name))
        os.unlink(f.name)
        return meta, labels

    def test_cells_from_the_records(self):
        meta, labels = self.records()
        row = dict(zip(compare.COLUMNS, compare.rows(meta, labels)[0]))
        self.assertEqual([row["bind_p50_ns_" + q]
                          for q in ("25", "50", "75", "full")],
                         ["1000", "3000", "5000", "9000"])
        self.assertEqual(row["bindr_p50_ns_75"], "10000")
        # 4 and 8 held: even ports only, the first odd is free; 12: all
        # even and the odd 32769..32775 held (2.25, as above); full: all
        self.assertEqual(row["bind_walk_25"], "1.0")
        self.assertEqual(row["bind_walk_50"], "1.0")
        self.assertEqual(row["bind_walk_75"], "2.2")
        # SO_REUSEADDR at 12: the lower half's 8 ports all held, then 1
        self.assertEqual(row["bindr_walk_75"], "9.0")
        self.assertEqual(row["bind_walk_full"], "16.0")
        self.assertEqual(row["bindr_ok_pct_full"], "0")
        self.assertEqual(row["bindr_ok_pct_25"], "100")
        # even-first has no timed bind(0)s in these records
        row = dict(zip(compare.COLUMNS, compare.rows(meta, labels)[1]))
        self.assertEqual(row["bind_p50_ns_25"], "")

    def test_instruction_counts_are_named_so(self):
        from portsel_report import compare_out
        meta, labels = self.records()
        rows = compare.rows(meta, labels)
        self.assertIn("times under qemu -icount (1 vCPU",
                      compare_out.title(meta))
        self.assertIn("latency k instr.", compare_out.table_text(
            rows, meta["DSTS"], compare_out.units(meta)))
        self.assertIn("instruction counts", compare_out.guides(meta)[1])
        md = compare_out.markdown(meta, rows)
        self.assertIn("## bind(0) cost", md)
        self.assertIn("| kernel | 1.0/3.0/5.0/9.0 | 1.0/1.0/2.2/16.0 |", md)
        self.assertNotIn("| even-first | ", md.split("## bind(0) cost")[1]
                         .split("## Hash")[0])


class Bench(unittest.TestCase):
    def analyse(self, path):
        s, policies = bench.samples(read_records(path))
        order = bench.policy_order(s, policies)
        return bench.aggregate(s, order), order

    def test_csv_and_table_as_before(self):
        from portsel_report import bench_out
        rows, order = self.analyse(os.path.join(FIX, "bench-raw.txt"))
        self.assertEqual("\n".join(bench.csv_lines(rows)) + "\n",
                         fixture("bench.csv"))
        a = SimpleNamespace(runs=1, churn=20000, sockmany_ops=20000,
                            icount=True)
        self.assertEqual(bench_out.text(rows, order, a), fixture("bench.txt"))

    def test_kernel_and_target_first(self):
        from portsel_report import bench_out
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("kernel release=6.12.118+deb13-amd64 target=trixie-amd64\n"
                    "p2c policy=kernel k=2000 run=1 connects=1 errors=0"
                    " avg_ns=1 p50_ns=1\n")
        made = bench.made_on(read_records(f.name))
        rows, order = self.analyse(f.name)
        os.unlink(f.name)
        self.assertEqual(made,
                         "Debian 6.12.118+deb13-amd64 (target trixie-amd64)")
        a = SimpleNamespace(runs=1, churn=20000, sockmany_ops=20000,
                            icount=True)
        self.assertEqual(bench_out.text(rows, order, a, made).splitlines()[0],
                         "measured on " + made)
        self.assertEqual(bench.made_on(read_records(
            os.path.join(FIX, "bench-raw.txt"))), "")

    def test_median_of_two_runs_is_the_lower(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            for run, ns in ((1, 300000), (2, 100000)):
                f.write("fullscan range=4000 held=4000 policy=kernel run=%d"
                        " connects=0 errors=10 fails=10 fail_avg_ns=%d"
                        " fail_p50_ns=%d err_EADDRNOTAVAIL=10\n"
                        % (run, ns, ns))
        rows, _ = self.analyse(f.name)
        os.unlink(f.name)
        avg = [r for r in rows if r.metric == "connect_avg"][0]
        self.assertEqual((avg.min, avg.median, avg.max), ("100", "100", "300"))

    def test_policies_in_the_guests_order(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("policies list=kernel,b-policy,a-policy\n")
            for p in ("a-policy", "kernel", "b-policy"):
                f.write("p2c policy=%s k=2000 run=1 connects=1 errors=0"
                        " avg_ns=1 p50_ns=1\n" % p)
        rows, order = self.analyse(f.name)
        os.unlink(f.name)
        self.assertEqual(order[:4], ["stock", "kernel", "b-policy",
                                     "a-policy"])
        self.assertEqual([r.policy for r in rows if r.metric == "p50"],
                         ["kernel", "b-policy", "a-policy"])


if __name__ == "__main__":
    unittest.main()

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: what portsel costs against the kernel's own port choice,
# measured in one boot of the test VM (scripts/guest/bench.sh does the
# measuring). Prints a table and writes OUT/bench.csv. Not a test: it
# never fails on a number, only when the measurement could not be made.

set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
PORTSEL_SAY_PREFIX=bench
# 28,232 held connections on each side of loopback need the room.
if [ "$PORTSEL_VM_MEM" -lt 2048 ]; then
	PORTSEL_VM_MEM=2048
fi

usage() {
	cat <<USAGE
Usage: scripts/bench.sh [--runs N] [--long-runs N] [--quick] [--out DIR]
                        [--only PARTS] [--tcg] [--sockmany-ops N]
                        [--timeout SECS] [--keep] [--from FILE] [--help]

Builds portsel.ko twice from the current sources (as it is, and with a
parameter bench_via_ftrace that sends its calls of the original through
the ftrace site, as before portsel_entry_past_ftrace), boots Debian's
kernel in qemu (TCG, one vCPU under instruction counting) once and
measures, for the policy "kernel" (the stock choice, module loaded) and
each portsel policy:

  P1  connect+close loop to one destination (20,000 connects): connects/s,
      and with the module unloaded ("stock") for the hook's own cost
  P2  fill one destination to exhaustion, on 40000-43999 (4,000 ports) and
      on the default range (28,232): total connect() time, per-connect
      latency p50 before the preferred parity fills, p50/p99 after
  P2c connect+close to one destination while every even port of
      40000-43999 but 1 or 16 is held (and with none held): p50 connect()
      time against the low-occupancy one, probes per connect
  P3  probes per connect from /proc/net/portsel_stat at 50 %, 90 % and
      100 % of the preferred parity, after it, and the largest
  probe cost: ns per port tried in a full scan, the kernel's own loop
      against even-first (exhaust_hold_ms 0) entering the original past
      and through the ftrace site; from the fills and in a steady state
  fullscan  every port of 40000-43999 held towards one destination:
      connects to it that try all 4,000 and are refused (EADDRNOTAVAIL),
      "kernel" against even-first with exhaust_hold_ms 0: time per
      refused connect() and per port
  sockmany  Debian's stress-ng --sockmany 1 --sockmany-ops 20000 (one
      loopback destination, default range, every connection held) under
      each policy: wall time. Not in --quick (the kernel's cliff makes
      its run several minutes long)

Short measurements run N times (the steady-state probe and fullscan
rounds 2N times), policies alternating; the table shows min / median /
max over them, and ratios of medians against "kernel".

Times: by default the VM runs one vCPU under qemu's instruction counting
(-icount shift=0,sleep=off): the guest's clock advances 1 ns per guest
instruction, so every time is an instruction count, the same from boot
to boot whatever else the host does, and min / median / max show the
guest's own variation. With --tcg the VM runs plain multi-threaded TCG
and the times are emulated wall time: they move with the host's load,
and only ratios within one boot mean something.

Under instruction counting a VM runs several times slower than under
plain TCG. Measured on a 2-core host with other VMs and builds running
(load 3.5-5): boot and warm-up ~45 s, P1 ~3 min a run (--quick: ~1
min), fullscan ~10 s a run, sockmany ~10 min a run (20-35 s for each
policy without the cliff, ~3.5 min for kernel and ~4 min for
sequential-even, whose connects after the 14,116 even ports scan all
of them). The other parts are estimated at about 4x
their plain-TCG time: a full run takes about an hour, --quick about 10
minutes. The script prints its estimate; its VM timeout is three times
that plus 5 minutes, as a busy host slows the run. With --tcg the full run takes about 11 minutes on an idle host.

  --runs N       repetitions of each short measurement (default 3;
                 --quick: 1)
  --long-runs N  repetitions of the kernel's default-range fill and of
                 sockmany (default 1)
  --quick        no default-range fills and no sockmany, 5,000 connects
                 in P1
  --tcg          plain TCG (PORTSEL_VM_CPUS vCPUs, default 2) and wall
                 time, instead of instruction counting: faster, noisier
  --icount       instruction counting, the default (kept for old
                 command lines)
  --sockmany-ops N  stress-ng's --sockmany-ops (default 20000; above
                 14,116 the stock order's cliff shows)
  --out DIR      where bench.csv, bench.txt and bench-raw.txt (the guest's
                 records) go (default results/)
  --only PARTS   comma-separated subset of: p1 fill4k churn probe
                 fullscan filldef sockmany
  --timeout SECS wall-clock limit for the VM (default: from the parts)
  --keep         keep the work directory (modules, console.log, result)
  --from FILE    no VM: the tables, csv and picture from the records of
                 an earlier run (its bench-raw.txt, or the result file
                 left in the kept work directory of a run that did not
                 finish); give the same --runs/--only/--quick/--tcg

Environment: PORTSEL_VM_MEM (MiB, at least 2048), PORTSEL_VM_CPUS,
KDIR (the kernel build tree; default: scripts/kdir.sh).
USAGE
}

runs=
long_runs=1
quick=0
out=$PORTSEL_ROOT/results
parts=p1,fill4k,churn,probe,fullscan,filldef,sockmany
timeout=
keep=0
icount=1
sockmany_ops=20000
from=
need_arg() {
	[ "$2" -ge 2 ] || {
		echo "bench.sh: $1 needs a value (try --help)" >&2
		exit 2
	}
}
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--runs) need_arg "$1" $#; runs=$2; shift 2 ;;
	--long-runs) need_arg "$1" $#; long_runs=$2; shift 2 ;;
	--quick) quick=1; shift ;;
	--out) need_arg "$1" $#; out=$2; shift 2 ;;
	--only) need_arg "$1" $#; parts=$2; shift 2 ;;
	--icount) icount=1; shift ;;
	--tcg) icount=0; shift ;;
	--sockmany-ops) need_arg "$1" $#; sockmany_ops=$2; shift 2 ;;
	--timeout) need_arg "$1" $#; timeout=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--from) need_arg "$1" $#; from=$2; shift 2 ;;
	*) echo "bench.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
for n in "${runs:-1}" "$long_runs" "$sockmany_ops"; do
	case $n in
	''|*[!0-9]*|0) echo "bench.sh: a count must be a number >= 1" >&2
		exit 2 ;;
	esac
done
churn_n=20000
if [ "$quick" -eq 1 ]; then
	runs=${runs:-1}
	churn_n=5000
	parts=$(echo "$parts" | tr , '\n' | grep -vxE 'filldef|sockmany' |
		paste -sd, || true)
else
	runs=${runs:-3}
fi
[ -n "$parts" ] || { echo "bench.sh: nothing to measure" >&2; exit 2; }
for p in ${parts//,/ }; do
	case $p in
	p1|fill4k|churn|probe|fullscan|filldef|sockmany) ;;
	*) echo "bench.sh: unknown part '$p' (try --help)" >&2; exit 2 ;;
	esac
done
# Budget in host seconds per part, "TCG ICOUNT": plain TCG as measured on
# an idle 2-core host; instruction counting as measured (boot, P1,
# fullscan, sockmany) or estimated (the rest, ~4x TCG) on a 2-core host
# with another VM and builds running (load 3-4). Boot and warm-up; P1 a
# run; the 4,000-port fills a run; P2c a run; the probe workloads once
# and a run; fullscan a run; the default range a run of the portsel
# policies and one of the kernel's fills; sockmany a run of every policy
# (~30 s each under icount) and, for kernel and sequential-even (every
# connect after the 14,116 even ports scans all of them), a part per
# 1,000 connects above those. A busy host can make TCG three times
# slower; instruction counting only longer.
tb() { # tb TCG ICOUNT: the one that applies
	if [ "$icount" -eq 1 ]; then echo "$2"; else echo "$1"; fi
}
budget=$(tb 30 60)
case ",$parts," in *,p1,*)
	budget=$((budget + $(tb 30 240) * runs * churn_n / 20000)) ;;
esac
case ",$parts," in *,fill4k,*) budget=$((budget + $(tb 12 60) * runs)) ;; esac
case ",$parts," in *,churn,*) budget=$((budget + $(tb 20 100) * runs)) ;; esac
case ",$parts," in *,probe,*)
	budget=$((budget + $(tb 20 100) + $(tb 30 150) * runs)) ;;
esac
case ",$parts," in *,fullscan,*) budget=$((budget + $(tb 5 10) + $(tb 5 10) * runs)) ;; esac
case ",$parts," in *,filldef,*)
	budget=$((budget + $(tb 25 125) * runs + $(tb 330 1650) * long_runs)) ;;
esac
case ",$parts," in *,sockmany,*)
	over=$(( sockmany_ops > 14116 ? (sockmany_ops - 14116 + 999) / 1000 : 0 ))
	budget=$((budget + ($(tb 180 300) + $(tb 60 70) * over) * long_runs)) ;;
esac
if [ "$icount" -eq 1 ]; then
	PORTSEL_VM_CPUS=1
	PORTSEL_VM_QEMU_ARGS="${PORTSEL_VM_QEMU_ARGS:+$PORTSEL_VM_QEMU_ARGS }-icount shift=0,sleep=off"
fi
# wall time: a busy host slows the VM, though not its instruction counts
timeout=${timeout:-$((3 * budget + 300))}

t_start=$(date +%s)
load_before=$(cut -d' ' -f1 /proc/loadavg)
work=$(mktemp -d "${TMPDIR:-/tmp}/portsel-bench.XXXXXX")
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ "$keep" -eq 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# The module, the VM and the guest's records in $work/result.txt.
measure() {
# --- the two modules ----------------------------------------------------------

"$PORTSEL_ROOT/scripts/deps.sh"
kdir=${KDIR:-$("$PORTSEL_ROOT/scripts/kdir.sh")}

# sockmany runs Debian's stress-ng (deps.sh installs it), with its
# libraries, in the VM.
case ",$parts," in *,sockmany,*)
	sng=$(command -v stress-ng || true)
	[ -n "$sng" ] || { portsel_say "no stress-ng (scripts/deps.sh)"; exit 1; }
	PORTSEL_VM_BINS="${PORTSEL_VM_BINS:+$PORTSEL_VM_BINS }$sng"
	;;
esac

# build NAME [switch]: portsel.ko from a copy of the sources into
# $work/NAME. With "switch", for the probe cost's before/after, built with
# PORTSEL_BENCH=y (Kbuild): a module parameter bench_via_ftrace makes its
# calls of the original enter through the ftrace site, as they did before
# portsel_entry_past_ftrace, so that both ways alternate within one load
# of one module.
build() {
	local d=$work/$1 flags=()

	mkdir -p "$d/module"
	cp "$PORTSEL_ROOT/Kbuild" "$d/"
	cp "$PORTSEL_ROOT"/module/*.[ch] "$PORTSEL_ROOT/module/Kbuild.core" "$d/module/"
	if [ "${2:-}" = switch ]; then
		flags=(PORTSEL_BENCH=y)
	fi
	if ! make -s -C "$kdir" M="$d" ${flags[@]+"${flags[@]}"} modules \
		>"$d/build.log" 2>&1; then
		cat "$d/build.log" >&2
		return 1
	fi
}

portsel_say "building portsel.ko against $kdir"
build past || { portsel_say "the module does not build"; exit 1; }
PORTSEL_MODULE=$work/past/portsel.ko
variant=()
case ",$parts," in
*,probe,*)
	portsel_say "building it again with a switch to enter through the ftrace site"
	if build switch switch; then
		cp "$work/switch/portsel.ko" "$work/portsel-switch.ko"
		variant=(--file "$work/portsel-switch.ko" --arg variant=portsel-switch.ko)
	else
		portsel_say "warning: no switch; the probe cost is measured one way"
	fi
	;;
esac

# --- the measurement ----------------------------------------------------------

portsel_say "runs=$runs long_runs=$long_runs parts=$parts: about" \
	"$(((budget + 30) / 60)) min on an idle host"
if awk -v l="$load_before" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	if [ "$icount" -eq 1 ]; then
		portsel_say "host load average $load_before on $(nproc) cpus:" \
			"the run takes longer (instruction counts do not move with it)"
	else
		portsel_say "warning: host load average $load_before on $(nproc) cpus;" \
			"TCG timings will be noisy"
	fi
fi
vm_ok=0
portsel_vm_run --timeout "$timeout" \
	--arg "runs=$runs" --arg "long_runs=$long_runs" \
	--arg "churn_n=$churn_n" --arg "parts=$parts" \
	--arg "sockmany_ops=$sockmany_ops" \
	${variant[@]+"${variant[@]}"} \
	"$work" "$PORTSEL_GUEST/bench.sh" || vm_ok=$?
load_after=$(cut -d' ' -f1 /proc/loadavg)
portsel_vm_result "$work" "$work/result.txt"
if [ "$vm_ok" -ne 0 ] || ! grep -q '^done ' "$work/result.txt"; then
	portsel_say "the VM did not finish the measurement" \
		"(${PORTSEL_VM_END:-no VM}${PORTSEL_VM_EXIT:+ $PORTSEL_VM_EXIT}); console tail:"
	portsel_vm_console_tail "$work" 40 >&2
	keep=1
	portsel_say "kept $work"
	exit 1
fi
}

if [ -n "$from" ]; then
	# another look at an earlier run's records: its bench-raw.txt, or the
	# result file a run that did not finish left in its kept work directory
	[ -r "$from" ] || { echo "bench.sh: cannot read '$from'" >&2; exit 2; }
	portsel_say "the records of $from, no VM"
	cp "$from" "$work/result.txt"
	load_after=$load_before
else
	measure
fi

# --- the table ----------------------------------------------------------------

# Records to samples: "part range policy metric unit value" per line.
samples() {
	awk '
		function kv(   i, a) {
			delete f
			for (i = 2; i <= NF; i++) {
				split($i, a, "=")
				f[a[1]] = a[2]
			}
		}
		function out(part, range, pol, metric, unit, v) {
			print part, range, pol, metric, unit, v
		}
		# P1 comes in slices: a run of a policy is the sum of its slices.
		# The loop time in ns when churn gives it: a slice lasts ~50 ms,
		# and whole ms made whole runs and slices of different policies
		# come out as the same few values (the same rows over and over).
		$1 == "p1" {
			kv()
			k = f["policy"] SUBSEP f["run"]
			if (!(k in pc))
				p1order[++np1] = k
			ms = ("ns" in f) ? f["ns"] / 1e6 : f["ms"]
			pc[k] += f["connects"]
			pms[k] += ms
			# each slice against the kernel slice of the same round
			ks = f["run"] SUBSEP f["slice"]
			if (!(ks in rounds))
				rorder[++nr] = ks
			rounds[ks] = 1
			if (ms > 0)
				scps[f["policy"], ks] = f["connects"] * 1000 / ms
			pns[k] += f["connects"] * f["avg_ns"]
			perr[k] += f["errors"]
		}
		END {
			for (i = 1; i <= np1; i++) {
				k = p1order[i]
				split(k, a, SUBSEP)
				if (pms[k] > 0)
					out("P1", "-", a[1], "connects_per_s", "1/s",
					    pc[k] * 1000 / pms[k])
				if (pc[k] > 0)
					out("P1", "-", a[1], "connect_avg", "us",
					    pns[k] / pc[k] / 1000)
				out("P1", "-", a[1], "connects", "n", pc[k])
				out("P1", "-", a[1], "errors", "n", perr[k])
			}
			for (i = 1; i <= np1; i++) {
				split(p1order[i], a, SUBSEP)
				if (a[2] != 1 || a[1] == "kernel")
					continue
				for (j = 1; j <= nr; j++) {
					ks = rorder[j]
					if (((a[1], ks) in scps) && (("kernel", ks) in scps))
						out("P1", "-", a[1], "paired_ratio", "x",
						    scps[a[1], ks] / scps["kernel", ks])
				}
			}
		}
		# P2c: connect+close with K even ports free (K 2000: none held)
		$1 == "p2c" {
			kv()
			r = f["k"]
			p = f["policy"]
			out("P2c", r, p, "p50", "us", f["p50_ns"] / 1000)
			out("P2c", r, p, "connect_avg", "us", f["avg_ns"] / 1000)
			out("P2c", r, p, "errors", "n", f["errors"])
			if (("probes" in f) && f["connects"] > 0)
				out("P2c", r, p, "mean_probes", "probes",
				    f["probes"] / f["connects"])
			if (r == 2000)
				p2c_low[p, f["run"]] = f["p50_ns"]
			else if (p2c_low[p, f["run"]] > 0)
				out("P2c", r, p, "p50_over_low", "x",
				    f["p50_ns"] / p2c_low[p, f["run"]])
		}
		# refused connects that try every port of the range
		$1 == "fullscan" {
			kv()
			r = f["range"]
			p = f["policy"]
			if (f["fails"] > 0) {
				out("fullscan", r, p, "connect_avg", "us", f["fail_avg_ns"] / 1000)
				out("fullscan", r, p, "p50", "us", f["fail_p50_ns"] / 1000)
				if (f["held"] > 0)
					out("fullscan", r, p, "per_port", "ns",
					    f["fail_avg_ns"] / f["held"])
			}
			out("fullscan", r, p, "held", "ports", f["held"])
			out("fullscan", r, p, "refused", "n", f["err_EADDRNOTAVAIL"] + 0)
			# anything but a refusal, or a connect that got through
			out("fullscan", r, p, "errors", "n",
			    f["errors"] - f["err_EADDRNOTAVAIL"] + f["connects"])
			if (("probes" in f) && f["fails"] > 0)
				out("fullscan", r, p, "probes_per_connect", "probes",
				    f["probes"] / f["fails"])
		}
		# stress-ng --sockmany on the default range, a run per policy
		$1 == "sockmany" {
			kv()
			p = f["policy"]
			out("sockmany", 28232, p, "wall", "s", f["ms"] / 1000)
			if ("real_s" in f)
				out("sockmany", 28232, p, "stressng_real", "s", f["real_s"])
			out("sockmany", 28232, p, "ops", "n", f["ops"])
			# a run that did not reach its count, or failed
			out("sockmany", 28232, p, "errors", "n",
			    (f["ops"] < f["want"]) + (f["rc"] != 0))
		}
		# the steady-state probe workload
		$1 == "scan" {
			kv()
			p = f["variant"] == "kernel" ? "kernel" : "even-first:" f["variant"]
			r = f["range"]
			if (f["held"] > 0) {
				ns = (f["avg_ns"] - f["base_avg_ns"]) / f["held"]
				out("scan", r, p, "probe_cost", "ns", ns)
				if (ns > 0)
					out("scan", r, p, "probes_per_s", "1/s", 1e9 / ns)
			}
			out("scan", r, p, "held", "ports", f["held"])
			out("scan", r, p, "connect_base", "us", f["base_avg_ns"] / 1000)
			out("scan", r, p, "connect_scan", "us", f["avg_ns"] / 1000)
			if (("probes" in f) && f["connects"] > 0) {
				out("scan", r, p, "probes_per_connect", "probes",
				    f["probes"] / f["connects"])
				out("scan", r, p, "probes_per_s_stat", "1/s",
				    f["probes"] * 1e9 / (f["connects"] * f["avg_ns"]))
			}
		}
		$1 == "fill" {
			kv()
			r = f["range"]
			p = f["policy"]
			pref = f["pref"]
			before = f["before_p50_ns"]
			after = f["after_p50_ns"]
			if (f["set"] == "probe")
				p = p ":" f["module"]
			part = f["set"] == "probe" ? "probe" : "P2"
			out(part, r, p, "ports", "n", f["ok"])
			out(part, r, p, "total", "ms",
			    (f["before_sum_ns"] + f["after_sum_ns"]) / 1e6)
			out(part, r, p, "p50_before", "us", before / 1000)
			out(part, r, p, "p50_after", "us", after / 1000)
			out(part, r, p, "p99_after", "us", f["after_p99_ns"] / 1000)
			if (before > 0)
				out(part, r, p, "after_over_before", "x", after / before)
			if (f["policy"] == "kernel" || f["set"] == "probe") {
				# all of the preferred parity is busy and scanned
				# by every connect after it filled
				ns = (after - before) / pref
				out("probe", r, p, "probe_cost", "ns", ns)
				if (ns > 0)
					out("probe", r, p, "probes_per_s", "1/s", 1e9 / ns)
				if (part != "probe") {
					out("probe", r, p, "p50_before", "us", before / 1000)
					out("probe", r, p, "p50_after", "us", after / 1000)
				}
			}
			if (!("c50" in f))
				next
			part = f["set"] == "probe" ? "probe" : "P3"
			for (i = 0; i < 3; i++) {
				pt = i == 0 ? 50 : i == 1 ? 90 : 100
				if (f["c" pt] > 0)
					out(part, r, p, "mean_at_" pt, "probes",
					    f["p" pt] / f["c" pt])
				out(part, r, p, "max_at_" pt, "probes", f["m" pt])
			}
			# the same by band of occupancy
			if (f["c50"] > 0)
				out(part, r, p, "mean_0_50", "probes", f["p50"] / f["c50"])
			if (f["c90"] > f["c50"])
				out(part, r, p, "mean_50_90", "probes",
				    (f["p90"] - f["p50"]) / (f["c90"] - f["c50"]))
			if (f["c100"] > f["c90"])
				out(part, r, p, "mean_90_100", "probes",
				    (f["p100"] - f["p90"]) / (f["c100"] - f["c90"]))
			dc = f["cfull"] - f["c100"]
			dp = f["pfull"] - f["p100"]
			if (dc > 0)
				out(part, r, p, "mean_after", "probes", dp / dc)
			out(part, r, p, "max_all", "probes", f["mfull"])
			out(part, r, p, "fail_probes", "probes", f["fail_probes"])
			out(part, r, p, "eligible", "ports", r)
			if (f["set"] == "probe" && f["after_sum_ns"] > 0)
				out("probe", r, p, "probes_per_s_stat", "1/s",
				    dp * 1e9 / f["after_sum_ns"])
		}' "$1"
}

# Samples to rows: "part range policy metric unit runs min median max
# ratio", in the order first seen; ratio is the median over the
# median of policy "kernel" (same part, range, metric), for the metrics
# where a ratio means something.
aggregate() {
	awk '
		BEGIN {
			split("connects_per_s connect_avg total p50 p50_before p50_after p99_after probe_cost probes_per_s per_port wall", a, " ")
			for (i in a)
				ratioed[a[i]] = 1
		}
		{
			k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
			if (!(k in n)) {
				order[++nk] = k
				unit[k] = $5
			}
			v[k, ++n[k]] = $6
		}
		function median(k,   i, j, t, a, m) {
			m = n[k]
			for (i = 1; i <= m; i++)
				a[i] = v[k, i]
			for (i = 2; i <= m; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
					t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
				}
			lo = a[1]
			hi = a[m]
			return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		}
		END {
			for (i = 1; i <= nk; i++) {
				k = order[i]
				med[k] = median(k)
				mn[k] = lo
				mx[k] = hi
			}
			np = split("P1 P2 P2c P3 probe scan fullscan sockmany", a, " ")
			for (i = 1; i <= np; i++)
				prank[a[i]] = i
			np = split("stock kernel even-first sequential sequential-even random random-pick random-inc even-first:past even-first:ftrace", a, " ")
			for (i = 1; i <= np; i++)
				rank[a[i]] = i
			for (i = 1; i <= nk; i++) {
				k = order[i]
				split(k, p, SUBSEP)
				kk = p[1] SUBSEP p[2] SUBSEP "kernel" SUBSEP p[4]
				ratio = ""
				if ((kk in med) && med[kk] != 0 && (p[4] in ratioed))
					ratio = sprintf("%.3f", med[k] / med[kk])
				# a sort key first: part, range, policy, first seen
				printf "%d %d %d %d ", prank[p[1]], p[2], rank[p[3]], i
				printf "%s %s %s %s %s %d %.6g %.6g %.6g %s\n",
					p[1], p[2], p[3], p[4], unit[k], n[k],
					mn[k], med[k], mx[k], (ratio == "" ? "-" : ratio)
			}
		}' | sort -n -k1,1 -k2,2 -k3,3 -k4,4 | cut -d' ' -f5-
}

samples "$work/result.txt" | aggregate >"$work/rows"
mkdir -p "$out"
# the guest's records as they came, for another look
cp "$work/result.txt" "$out/bench-raw.txt"
{
	echo "part,range,policy,metric,unit,runs,min,median,max,ratio_to_kernel"
	awk -v OFS=, '{ $1 = $1; if ($10 == "-") $10 = ""; print }' "$work/rows"
} >"$out/bench.csv"

# The readable table, from the rows.
report() {
	awk -v runs="$runs" -v long="$long_runs" -v churn="$churn_n" \
	    -v icount="$icount" -v sockmany_ops="$sockmany_ops" '
		{
			k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
			mn[k] = $7; md[k] = $8; mx[k] = $9; ra[k] = $10; nr[k] = $6
			if (!(($1, $2) in seen)) {
				seen[$1, $2] = 1
				ranges[$1] = ranges[$1] " " $2
			}
			if (!(($1, $2, $3) in pseen)) {
				pseen[$1, $2, $3] = 1
				pols[$1, $2] = pols[$1, $2] " " $3
			}
		}
		function has(k) { return k in md }
		# the policies of a part and range, in a fixed order, then any
		# other the module offered, as first seen
		function policies(part, r, pl,   all, a, n, i, m, done) {
			all = "stock kernel even-first sequential sequential-even random random-pick random-inc even-first:past even-first:ftrace"
			all = all pols[part, r]
			n = split(all, a, " ")
			m = 0
			for (i = 1; i <= n; i++)
				if (((part, r, a[i]) in pseen) && !(a[i] in done)) {
					done[a[i]] = 1
					pl[++m] = a[i]
				}
			return m
		}
		# "min/median/max" of a metric, formatted with FMT
		function mmm(k, fmt) {
			if (!has(k))
				return "-"
			if (mn[k] == mx[k])
				return sprintf(fmt, md[k])
			return sprintf(fmt "/" fmt "/" fmt, mn[k], md[k], mx[k])
		}
		function val(k, fmt) { return has(k) ? sprintf(fmt, md[k]) : "-" }
		function rat(k) { return has(k) && ra[k] != "-" ? ra[k] "x" : "-" }
		function key(a, b, c, d) { return a SUBSEP b SUBSEP c SUBSEP d }
		function probe_lines(part,   nrg, rg, j, r, np, pl, i, p, k) {
			nrg = split(ranges[part], rg, " ")
			for (j = 1; j <= nrg; j++) {
				r = rg[j]
				np = policies(part, r, pl)
				for (i = 1; i <= np; i++) {
					p = pl[i]
					k = key(part, r, p, "probe_cost")
					printf "    %5d ports %-18s %-16s %-8s %-9s", r, p,
						mmm(k, "%.0f"), rat(k),
						val(key(part, r, p, "probes_per_s"), "%.3g")
					if (has(key(part, r, p, "p50_after")))
						printf " p50 %s -> %s us", val(key(part, r, p, "p50_before"), "%.0f"),
							val(key(part, r, p, "p50_after"), "%.0f")
					if (has(key(part, r, p, "connect_scan")))
						printf " connect %s -> %s us", val(key(part, r, p, "connect_base"), "%.0f"),
							val(key(part, r, p, "connect_scan"), "%.0f")
					if (has(key(part, r, p, "probes_per_connect")))
						printf ", %s probes each", val(key(part, r, p, "probes_per_connect"), "%.0f")
					if (has(key(part, r, p, "probes_per_s_stat")))
						printf ", %s probes/s by portsel_stat",
							val(key(part, r, p, "probes_per_s_stat"), "%.3g")
					printf "\n"
				}
			}
		}
		END {
			if (icount)
				printf "times are instruction counts: qemu -icount shift=0, one guest instruction = 1 ns\n"
			else
				printf "times are TCG'"'"'s emulated wall time (--tcg): only ratios within this boot mean something\n"
			if (("P1", "-") in seen) {
				printf "\nP1  connect+close loop, one destination, %d connects, %d run(s); min/median/max\n", churn, runs
				printf "    in slices alternating between the policies; stock (module unloaded): one block a run\n"
				printf "    ratio: of the medians; paired: each slice against the kernel'"'"'s slice of the same round\n"
				printf "%-16s %-20s %-8s %-20s %-16s %s\n", "policy", "connects/s", "ratio",
					"paired", "connect() us", "errors"
				np = policies("P1", "-", pl)
				for (i = 1; i <= np; i++) {
					p = pl[i]
					k = key("P1", "-", p, "paired_ratio")
					printf "%-16s %-20s %-8s %-20s %-16s %s\n", p,
						mmm(key("P1", "-", p, "connects_per_s"), "%.0f"),
						rat(key("P1", "-", p, "connects_per_s")),
						(has(k) ? mmm(k, "%.3f") : "-"),
						mmm(key("P1", "-", p, "connect_avg"), "%.0f"),
						val(key("P1", "-", p, "errors"), "%d")
				}
			}
			nrg = split(ranges["P2"], rg, " ")
			for (j = 1; j <= nrg; j++) {
				r = rg[j]
				printf "\nP2  fill one destination, %d ports, to exhaustion; times in ms / us; min/median/max\n", r
				printf "%-11s %-6s %-24s %-7s %-18s %-18s %-20s %s\n", "policy", "ports",
					"total connect() ms", "ratio", "p50 before us",
					"p50 after us", "p99 after us", "after/before"
				np = policies("P2", r, pl)
				for (i = 1; i <= np; i++) {
					p = pl[i]
					printf "%-11s %-6s %-24s %-7s %-18s %-18s %-20s %s\n", p,
						val(key("P2", r, p, "ports"), "%d"),
						mmm(key("P2", r, p, "total"), "%.0f"),
						rat(key("P2", r, p, "total")),
						mmm(key("P2", r, p, "p50_before"), "%.0f"),
						mmm(key("P2", r, p, "p50_after"), "%.0f"),
						mmm(key("P2", r, p, "p99_after"), "%.0f"),
						val(key("P2", r, p, "after_over_before"), "%.2f")
				}
			}
			if (ranges["P2c"] != "") {
				printf "\nP2c connect+close (RST) to one destination on 40000-43999 while every even port but N is held\n"
				printf "    (N 2000: nothing held); min/median/max of the runs; p50/low: against N 2000 of the same policy and run\n"
				printf "%-6s %-11s %-22s %-8s %-18s %-16s %s\n", "free", "policy",
					"p50 connect() us", "ratio", "mean us", "probes/connect", "p50/low"
				nrg = split(ranges["P2c"], rg, " ")
				for (j = nrg; j >= 1; j--) {
					r = rg[j]
					np = policies("P2c", r, pl)
					for (i = 1; i <= np; i++) {
						p = pl[i]
						printf "%-6s %-11s %-22s %-8s %-18s %-16s %s\n", r, p,
							mmm(key("P2c", r, p, "p50"), "%.0f"),
							rat(key("P2c", r, p, "p50")),
							mmm(key("P2c", r, p, "connect_avg"), "%.0f"),
							val(key("P2c", r, p, "mean_probes"), "%.2f"),
							val(key("P2c", r, p, "p50_over_low"), "%.2f")
					}
				}
			}
			nrg = split(ranges["P3"], rg, " ")
			for (j = 1; j <= nrg; j++) {
				r = rg[j]
				printf "\nP3  probes per connect (portsel_stat), %d ports: mean/max over the connects so far at 50/90/100 %% of the preferred parity;\n    \"after\": mean of the connects after it filled; max: largest over the fill; fail: the final refused connect (medians)\n", r
				printf "%-11s %-12s %-12s %-12s %-10s %-8s %s\n", "policy",
					"at 50%", "at 90%", "at 100%", "after", "max", "fail"
				np = policies("P3", r, pl)
				for (i = 1; i <= np; i++) {
					p = pl[i]
					printf "%-11s %-12s %-12s %-12s %-10s %-8s %s\n", p,
						val(key("P3", r, p, "mean_at_50"), "%.3f") "/" val(key("P3", r, p, "max_at_50"), "%d"),
						val(key("P3", r, p, "mean_at_90"), "%.3f") "/" val(key("P3", r, p, "max_at_90"), "%d"),
						val(key("P3", r, p, "mean_at_100"), "%.3f") "/" val(key("P3", r, p, "max_at_100"), "%d"),
						val(key("P3", r, p, "mean_after"), "%.2f"),
						val(key("P3", r, p, "max_all"), "%d"),
						val(key("P3", r, p, "fail_probes"), "%d")
				}
			}
			if (ranges["probe"] != "" || ranges["scan"] != "")
				printf "\nprobe cost: ns per busy port scanned (min/median/max), ratio to the kernel'"'"'s, probes/s at the median;\n    even-first:past / :ftrace = exhaust_hold_ms 0, calls of the original entering past / through the ftrace site\n"
			if (ranges["probe"] != "")
				printf "  from the fills: (p50 after the half - p50 before) / ports of the preferred parity\n"
			probe_lines("probe")
			if (ranges["scan"] != "")
				printf "  steady state: (connect+close to a destination whose preferred parity is held - to a free one) / ports held\n"
			probe_lines("scan")

			nrg = split(ranges["fullscan"], rg, " ")
			for (j = 1; j <= nrg; j++) {
				r = rg[j]
				printf "\nfullscan  every port of a %d-port range held towards one destination: connects to it try\n", r
				printf "    all of them and are refused (EADDRNOTAVAIL); even-first at exhaust_hold_ms 0; min/median/max of the rounds\n"
				printf "%-11s %-24s %-8s %-20s %-16s %s\n", "policy", "refused connect() us",
					"ratio", "ns per port", "probes/connect", "refused/other"
				np = policies("fullscan", r, pl)
				for (i = 1; i <= np; i++) {
					p = pl[i]
					printf "%-11s %-24s %-8s %-20s %-16s %s\n", p,
						mmm(key("fullscan", r, p, "connect_avg"), "%.0f"),
						rat(key("fullscan", r, p, "connect_avg")),
						mmm(key("fullscan", r, p, "per_port"), "%.0f"),
						val(key("fullscan", r, p, "probes_per_connect"), "%.0f"),
						val(key("fullscan", r, p, "refused"), "%d") "/" \
						    val(key("fullscan", r, p, "errors"), "%d")
				}
			}
			if (ranges["sockmany"] != "") {
				printf "\nsockmany  stress-ng --sockmany 1 --sockmany-ops %d: one loopback destination, default range,\n", sockmany_ops
				printf "    every connection held; seconds: the guest'"'"'s clock around each run (min/median/max of the runs);\n"
				printf "    stress-ng s: its own real time; failed: runs short of their count or with an error\n"
				printf "%-16s %-26s %-8s %-10s %-10s %s\n", "policy", "seconds", "ratio",
					"ops", "stress-ng s", "failed"
				np = policies("sockmany", 28232, pl)
				for (i = 1; i <= np; i++) {
					p = pl[i]
					printf "%-16s %-26s %-8s %-10s %-10s %s\n", p,
						mmm(key("sockmany", 28232, p, "wall"), "%.2f"),
						rat(key("sockmany", 28232, p, "wall")),
						val(key("sockmany", 28232, p, "ops"), "%d"),
						val(key("sockmany", 28232, p, "stressng_real"), "%.2f"),
						val(key("sockmany", 28232, p, "errors"), "%d")
				}
			}

			printf "\ntargets (even-first):\n"
			k = key("P1", "-", "even-first", "connects_per_s")
			l = key("P1", "-", "even-first", "paired_ratio")
			if (has(k) && has(l))
				printf "  P1 connects/s >= 1.00 x kernel (paired median): %.3fx %s (paired min/median/max %s; ratio of medians %s)\n",
					md[l], (md[l] >= 1.00 ? "met" : "NOT met"),
					mmm(l, "%.3f"), ra[k] "x"
			split("probe scan", ps, " ")
			for (q = 1; q <= 2; q++) {
				nrg = split(ranges[ps[q]], rg, " ")
				for (j = 1; j <= nrg; j++) {
					k = key(ps[q], rg[j], "even-first:past", "probe_cost")
					if (has(k) && ra[k] != "-")
						printf "  probe cost (%s, %d ports) <= 0.8 x kernel'"'"'s step: %sx %s\n",
							ps[q] == "probe" ? "fills" : "steady", rg[j],
							ra[k], (ra[k] <= 0.8 ? "met" : "NOT met")
				}
			}
			nrg = split(ranges["fullscan"], rg, " ")
			for (j = 1; j <= nrg; j++) {
				k = key("fullscan", rg[j], "even-first", "connect_avg")
				if (has(k) && ra[k] != "-")
					printf "  fullscan %d ports: refused connect() <= 0.8 x kernel: %sx %s\n",
						rg[j], ra[k], (ra[k] <= 0.8 ? "met" : "NOT met")
			}
			k = key("sockmany", 28232, "even-first", "wall")
			best = ""
			split("sequential random", nc, " ")
			for (q = 1; q <= 2; q++) {
				l = key("sockmany", 28232, nc[q], "wall")
				if (has(l) && (best == "" || md[l] < md[best]))
					best = l
			}
			if (has(k) && best != "" && md[best] > 0) {
				split(best, bp, SUBSEP)
				printf "  sockmany: <= 1.05 x the fastest no-cliff policy (%s): %.3fx %s\n",
					bp[3], md[k] / md[best], (md[k] / md[best] <= 1.05 ? "met" : "NOT met")
			}
			for (r = 4000; r <= 28232; r += 24232) {
				k = key("P2", r, "even-first", "after_over_before")
				if (has(k))
					printf "  P2 %d ports: p50 after <= 1.5 x p50 before: %.2fx %s\n", r,
						md[k], (md[k] <= 1.5 ? "met" : "NOT met")
			}
			for (r = 1; r <= 16; r += 15) {
				k = key("P2c", r, "even-first", "mean_probes")
				l = key("P2c", r, "even-first", "p50_over_low")
				if (has(k) && has(l))
					printf "  P2c %d even port(s) free: mean probes <= 2: %.2f %s; p50 <= 1.2 x low-occupancy p50: %.2fx %s\n",
						r, md[k], (md[k] <= 2 ? "met" : "NOT met"),
						md[l], (md[l] <= 1.2 ? "met" : "NOT met")
			}
			k = key("P2", 28232, "even-first", "total")
			if (has(k) && ra[k] != "-")
				printf "  P2 28232 ports: fill time <= 0.1 x kernel: %sx %s\n", ra[k],
					(ra[k] <= 0.1 ? "met" : "NOT met")
			nrg = split(ranges["P3"], rg, " ")
			for (j = 1; j <= nrg; j++) {
				r = rg[j]
				k = key("P3", r, "even-first", "mean_at_90")
				if (has(k))
					printf "  P3 %d ports: mean probes <= 2.0 below 90 %%: %.3f %s\n", r,
						md[k], (md[k] <= 2.0 ? "met" : "NOT met")
				np = policies("P3", r, pl)
				for (i = 1; i <= np; i++) {
					p = pl[i]
					k = key("P3", r, p, "max_all")
					f = key("P3", r, p, "fail_probes")
					if (has(k))
						printf "  P3 %d ports %s: max probes <= %d eligible: %d, fail %d %s\n",
							r, p, r, mx[k], mx[f],
							(mx[k] <= r && mx[f] <= r ? "met" : "NOT met")
				}
			}
		}' "$1"
}

{
	report "$work/rows"
	echo
	echo "host: $(nproc) cpus, load average $load_before at the start," \
		"$load_after after the VM; VM: $PORTSEL_VM_CPUS cpus, ${PORTSEL_VM_MEM} MiB, $PORTSEL_VM_ACCEL${PORTSEL_VM_QEMU_ARGS:+ $PORTSEL_VM_QEMU_ARGS}"
	if [ "$icount" -eq 1 ]; then
		echo "times are instruction counts (qemu -icount shift=0: 1 ns per guest instruction), not hardware time"
	fi
} | tee "$out/bench.txt"
# The picture: bench-plot-*.dat from the rows, then scripts/bench.gp.
# Each line: a label, then "median min max" per series ("?" when absent).
plot_data() {
	awk -v dir="$1" '
		{
			k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
			v[k] = $8 " " $7 " " $9
			pseen[$1, $2, $3] = 1
			if ($3 !~ /:/ && !($3 in pol))
				pol[$3] = ++npol
		}
		function get(part, r, p, m,   k) {
			k = part SUBSEP r SUBSEP p SUBSEP m
			return (k in v) ? v[k] : "? ? ?"
		}
		function any(part, r, p, m) {
			return (part SUBSEP r SUBSEP p SUBSEP m) in v
		}
		function line(f, label, a, b, c) {
			printf "\"%s\" %s %s %s\n", label, a, b, c >f
			n[f]++
		}
		END {
			f = dir "/bench-plot-probe.dat"
			printf "" >f
			split("probe 4000 fills,_4,000_ports|probe 28232 fills,_28,232_ports|scan 4000 steady,_4,000_ports|scan 28232 steady,_28,232_ports", w, "|")
			for (i = 1; i <= 4; i++) {
				split(w[i], a, " ")
				if (!any(a[1], a[2], "kernel", "probe_cost") &&
				    !any(a[1], a[2], "even-first:past", "probe_cost"))
					continue
				gsub(/_/, " ", a[3])
				line(f, a[3], get(a[1], a[2], "kernel", "probe_cost"),
				     get(a[1], a[2], "even-first:past", "probe_cost"),
				     get(a[1], a[2], "even-first:ftrace", "probe_cost"))
			}
			if (any("fullscan", 4000, "kernel", "per_port"))
				line(f, "full scan, both parities, 4,000",
				     get("fullscan", 4000, "kernel", "per_port"),
				     get("fullscan", 4000, "even-first", "per_port"), "? ? ?")
			close(f)

			# the known policies in a fixed order, then any other the
			# module offered, as first seen
			np = split("stock kernel even-first sequential sequential-even random random-pick random-inc", pl, " ")
			for (i = 1; i <= np; i++)
				fixed[pl[i]] = 1
			for (i = 1; i <= npol; i++)
				for (p in pol)
					if (pol[p] == i && !(p in fixed))
						pl[++np] = p
			f = dir "/bench-plot-p1.dat"
			printf "" >f
			for (i = 1; i <= np; i++)
				if (any("P1", "-", pl[i], "connect_avg"))
					line(f, pl[i], get("P1", "-", pl[i], "connect_avg"))
			close(f)
			f = dir "/bench-plot-p2.dat"
			printf "" >f
			for (i = 1; i <= np; i++)
				if (any("P2", 4000, pl[i], "p50_after") ||
				    any("P2", 28232, pl[i], "p50_after"))
					line(f, pl[i], get("P2", 4000, pl[i], "p50_before"),
					     get("P2", 4000, pl[i], "p50_after"),
					     get("P2", 28232, pl[i], "p50_after"))
			close(f)
			f = dir "/bench-plot-sockmany.dat"
			printf "" >f
			for (i = 1; i <= np; i++)
				if (any("sockmany", 28232, pl[i], "wall"))
					line(f, pl[i], get("sockmany", 28232, pl[i], "wall"))
			close(f)
		}' "$2"
}

plot() {
	local has=() d
	plot_data "$out" "$work/rows"
	for d in probe p1 p2 sockmany; do
		if [ -s "$out/bench-plot-$d.dat" ]; then
			has+=("has_$d=1")
		fi
	done
	# the probe workloads through the ftrace site, when measured
	if [ -s "$out/bench-plot-probe.dat" ] &&
	   awk '$(NF - 2) != "?" { f = 1 } END { exit !f }' "$out/bench-plot-probe.dat"; then
		has+=("has_ftrace=1")
	fi
	local unit="times: TCG wall time (--tcg)"
	if [ "$icount" -eq 1 ]; then
		unit="times: instruction counts (qemu -icount shift=0: 1 ns = 1 guest instruction)"
	fi
	gnuplot -e "dir='$out'; out='$out/bench.png'; unit='$unit'; sockmany_ops=$sockmany_ops; ${has[*]/%/;}" \
		"$PORTSEL_ROOT/scripts/bench.gp"
}
if plot; then
	portsel_say "drew $out/bench.png"
else
	portsel_say "warning: gnuplot could not draw $out/bench.png"
fi

warn=$(awk '$4 == "ports" && $6 > 0 && ($7 != $2 || $9 != $2) { print $1, $2, $3 }' "$work/rows")
if [ -n "$warn" ]; then
	portsel_say "warning: fills that did not get every port of their range:"
	echo "$warn" >&2
fi
portsel_say "wrote $out/bench.csv, bench.txt, bench-raw.txt and bench.png" \
	"($(( $(date +%s) - t_start ))s in all)"
[ "$keep" -eq 0 ] || portsel_say "kept $work"

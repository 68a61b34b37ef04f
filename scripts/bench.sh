#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: what portsel costs against the kernel's own port choice,
# measured in one boot of the test VM (scripts/guest/bench.sh does the
# measuring). Prints a table and writes OUT/bench.csv. Not a test: it
# never fails on a number, only when the measurement could not be made.

set -euo pipefail

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
# shellcheck source=scripts/lib/bench-vm.sh
. "$PORTSEL_ROOT/scripts/lib/bench-vm.sh"
PORTSEL_SAY_PREFIX=bench
# 28,232 held connections on each side of loopback need the room.
if [ "$PORTSEL_VM_MEM" -lt 2048 ]; then
	PORTSEL_VM_MEM=2048
fi

usage() {
	cat <<USAGE
Usage: scripts/bench.sh [--target NAME] [--runs N] [--long-runs N] [--quick]
                        [--out DIR] [--only PARTS] [--tcg] [--sockmany-ops N]
                        [--step-width N] [--timeout SECS] [--keep]
                        [--from FILE] [--help]

Builds portsel.ko twice from the current sources (as it is, and with a
parameter bench_via_ftrace that sends its calls of the original through
the ftrace site, as before portsel_ftrace_site()), boots the Debian
kernel it was built for in qemu (TCG, one vCPU under instruction
counting) once and measures, for the policy "kernel" (the stock choice,
module loaded) and each portsel policy:

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

  --target NAME  a row of scripts/targets (make targets; make bench
                 TARGET=NAME): $(portsel_targets | paste -sd' ' | fold -s -w 47 | sed 's/ *$//; 2,$s/^/                 /')
                 Its kernel is installed (the host's own suite) or
                 fetched into the cache, portsel is built for it in
                 scratch copies (./portsel.ko is left alone) and that
                 kernel boots. Without it: KDIR's kernel (below; Debian
                 12's amd64 on a Debian 12 host, bookworm-amd64)
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
  --step-width N net.portsel.step_width for every measurement (default 0,
                 off); the tables do not say it: name --out after it
  --out DIR      where bench.csv, bench.txt, bench.png and bench-raw.txt
                 (the guest's records) go (default results/, with
                 --target results/NAME/); bench.txt and bench.png name
                 the kernel and target they were measured on
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
out=
target=
parts=p1,fill4k,churn,probe,fullscan,filldef,sockmany
timeout=
keep=0
icount=1
sockmany_ops=20000
step_width=0
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
	--target)
		need_arg "$1" $#
		portsel_target "$2" || exit 2
		target=$2; shift 2 ;;
	--runs) need_arg "$1" $#; runs=$2; shift 2 ;;
	--long-runs) need_arg "$1" $#; long_runs=$2; shift 2 ;;
	--quick) quick=1; shift ;;
	--out) need_arg "$1" $#; out=$2; shift 2 ;;
	--only) need_arg "$1" $#; parts=$2; shift 2 ;;
	--icount) icount=1; shift ;;
	--tcg) icount=0; shift ;;
	--sockmany-ops) need_arg "$1" $#; sockmany_ops=$2; shift 2 ;;
	--step-width) need_arg "$1" $#; step_width=$2; shift 2 ;;
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
case $step_width in
''|*[!0-9]*|???????????*)
	echo "bench.sh: --step-width wants 0..4294967295, as net.portsel.step_width" >&2
	exit 2 ;;
esac
if [ "$step_width" -gt 4294967295 ]; then
	echo "bench.sh: --step-width wants 0..4294967295, as net.portsel.step_width" >&2
	exit 2
fi
churn_n=20000
if [ "$quick" -eq 1 ]; then
	runs=${runs:-1}
	churn_n=5000
	parts=$(echo "$parts" | tr , '\n' | grep -vxE 'filldef|sockmany' |
		paste -sd, || true)
else
	runs=${runs:-3}
fi
out=${out:-$PORTSEL_ROOT/results${target:+/$target}}
[ -n "$parts" ] || { echo "bench.sh: nothing to measure" >&2; exit 2; }
for p in ${parts//,/ }; do
	case $p in
	p1|fill4k|churn|probe|fullscan|filldef|sockmany) ;;
	*) echo "bench.sh: unknown part '$p' (try --help)" >&2; exit 2 ;;
	esac
done
budget=$(bench_budget)
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

if [ -n "$from" ]; then
	# another look at an earlier run's records: its bench-raw.txt, or the
	# result file a run that did not finish left in its kept work directory
	[ -r "$from" ] || { echo "bench.sh: cannot read '$from'" >&2; exit 2; }
	portsel_say "the records of $from, no VM"
	cp "$from" "$work/result.txt"
	load_after=$load_before
else
	bench_measure
fi

# --- the report ---------------------------------------------------------------

# Tables, csv and the picture's data: scripts/report.py; the picture:
# scripts/lib/bench.gp.
mkdir -p "$out"
# the guest's records as they came, for another look
cp "$work/result.txt" "$out/bench-raw.txt"
report_args=(--runs "$runs" --churn "$churn_n" --sockmany-ops "$sockmany_ops")
[ "$icount" -eq 1 ] || report_args+=(--tcg)
unit="times: TCG wall time (--tcg)"
if [ "$icount" -eq 1 ]; then
	unit="times: instruction counts (qemu -icount shift=0: 1 ns = 1 guest instruction)"
fi
{
	python3 "$PORTSEL_ROOT/scripts/report.py" bench --out "$out" \
		--gnuplot-args "$work/plot.args" "${report_args[@]}" \
		"$work/result.txt" ||
		{ portsel_say "report.py could not read the records"; exit 1; }
	echo
	echo "host: $(nproc) cpus, load average $load_before at the start," \
		"$load_after after the VM; VM: $PORTSEL_VM_CPUS cpus, ${PORTSEL_VM_MEM} MiB, $PORTSEL_VM_ACCEL${PORTSEL_VM_QEMU_ARGS:+ $PORTSEL_VM_QEMU_ARGS}"
	if [ "$icount" -eq 1 ]; then
		echo "times are instruction counts (qemu -icount shift=0: 1 ns per guest instruction), not hardware time"
	fi
} | tee "$out/bench.txt"
read -ra has <"$work/plot.args"
# the kernel (and target) the records name, for the picture's title
made_on=$(sed -n '1s/^measured on //p' "$out/bench.txt")
if gnuplot -e "dir='$out'; out='$out/bench.png'; unit='$unit'; made_on='$made_on'; sockmany_ops=$sockmany_ops; ${has[*]/%/;}" \
	"$PORTSEL_ROOT/scripts/lib/bench.gp"; then
	portsel_say "drew $out/bench.png"
else
	portsel_say "warning: gnuplot could not draw $out/bench.png"
fi
portsel_say "wrote $out/bench.csv, bench.txt, bench-raw.txt and bench.png" \
	"($(( $(date +%s) - t_start ))s in all)"
[ "$keep" -eq 0 ] || portsel_say "kept $work"

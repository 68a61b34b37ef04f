#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make compare: build portsel.ko, boot Debian's kernel in the test VM, run
# the same workloads under every policy (scripts/guest/compare.sh), then
# print a comparison table and write compare.md, compare.csv and
# compare.png. The VM only measures; every figure is computed here from
# its raw records.

set -euo pipefail

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=compare

usage() {
	cat <<USAGE
Usage: scripts/compare.sh [--target NAME] [--quick | --smoke] [--range N]
                          [--out DIR] [--keep] [--timeout SECS] [--raw FILE]
                          [--help]

Builds portsel.ko, boots the kernel it was built for in qemu (TCG) and,
for each policy of net.portsel.available_policies (kernel first, as the
baseline), runs the same workloads in one boot:
  1. parity and spread: 2,000 connects to one destination, then 2,000
     over 200 destinations (all held), then 200 to one destination from
     sockets with their own IP_LOCAL_PORT_RANGE 40000-40999
  2. reuse distance: connect/close (SO_LINGER 0) to one destination,
     100,000 rounds on the default range 32768-60999
  3. fill: connect to one destination until EADDRNOTAVAIL on the range's
     first N ports, timing each connect()
  4. bind(0) under load: 100 bind(0)s while 25/50/75 % of that range, and
     all that connect() could take, is held
and 3-4 again for even-first with reserve_odd=1. Prints a table; writes
DIR/compare.md, DIR/compare.csv and DIR/compare.png (gnuplot).
Installs what is missing first (scripts/deps.sh).

  --target NAME   a row of scripts/targets (make targets; make compare
                  TARGET=NAME): $(portsel_targets | paste -sd' ' | fold -s -w 46 | sed 's/ *$//; 2,$s/^/                  /')
                  Its kernel is installed (the host's own suite) or
                  fetched into the cache, portsel is built for it in a
                  scratch copy (./portsel.ko is left alone) and that
                  kernel boots; the outputs name it. Without it: make
                  module's ./portsel.ko and its kernel (KDIR; Debian 12's
                  amd64 on a Debian 12 host, bookworm-amd64)
  --range N       ports of the fill range (multiple of 4, 16..28232;
                  default 4000)
  --quick         30,000 reuse rounds instead of 100,000 (about 3 min)
  --smoke         tiny sizes, results in a temporary directory, then
                  checks the outputs; ends with "N passed, N failed"
                  (a tier of make check)
  --out DIR       where the three files go (default results/, with
                  --target results/NAME/)
  --keep          keep the work directory (VM console, raw records)
  --raw FILE      no VM: tables and picture from the raw records of an
                  earlier run (raw.csv of a --keep work directory)
  --timeout SECS  wall-clock limit for the VM (default 1500; smoke 480)

Times are measured under qemu TCG: emulated, so compare ratios.
USAGE
}

die() {
	portsel_say "$*"
	exit 2
}

mode=full
range=
out=
keep=0
timeout=
raw=
target=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--target)
		[ $# -ge 2 ] || die "$1 wants a value (try --help)"
		portsel_target "$2" || exit 2
		target=$2; shift 2 ;;
	--quick) mode=quick; shift ;;
	--smoke) mode=smoke; shift ;;
	--keep) keep=1; shift ;;
	--range|--out|--timeout|--raw)
		[ $# -ge 2 ] || die "$1 wants a value (try --help)"
		case $1 in
		--range) range=$2 ;;
		--out) out=$2 ;;
		--timeout) timeout=$2 ;;
		--raw) raw=$2 ;;
		esac
		shift 2 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
done

# Sizes: fill range, connects to one destination, spread over dsts,
# reuse rounds, bind(0) tries per checkpoint.
case $mode in
full) sizes=(4000 2000 2000 200 100000 100) ;;
quick) sizes=(4000 2000 2000 200 30000 100) ;;
smoke) sizes=(400 200 200 20 1000 10) ;;
esac
range=${range:-${sizes[0]}}
if ! [[ $range =~ ^[0-9]+$ ]] || [ "$range" -lt 16 ] ||
	[ "$range" -gt 28232 ] || [ $((range % 4)) -ne 0 ]; then
	die "--range: want a multiple of 4 from 16 to 28232, not '$range'"
fi
[ -z "$timeout" ] || [[ $timeout =~ ^[0-9]+$ ]] ||
	die "--timeout: want seconds, not '$timeout'"
if [ "$mode" = smoke ]; then
	timeout=${timeout:-480}
else
	timeout=${timeout:-1500}
fi

t_start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/portsel-compare.XXXXXX")
if [ "$mode" = smoke ]; then
	out=${out:-$work/out}
else
	out=${out:-$PORTSEL_ROOT/results${target:+/$target}}
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ "$keep" -eq 1 ]; then
		portsel_say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# --- build and measure -----------------------------------------------------

meta() {
	awk -F, -v k="$1" '$1 == "meta" && $2 == k { print $3 }' "$work/raw.csv"
}

# Build, boot, run the workloads: the raw records in $work/raw.csv.
measure() {
	if [ -n "$target" ]; then
		portsel_target_use "$target" ||
			die "cannot get the kernel of target $target"
		portsel_say "building portsel.ko against $T_KDIR"
		portsel_target_build "$work/portsel" || die "the module did not build"
		PORTSEL_MODULE=$work/portsel/portsel.ko
	else
		portsel_say "building portsel.ko"
		if ! make -C "$PORTSEL_ROOT" module >"$work/build.log" 2>&1; then
			tail -n 30 "$work/build.log" >&2
			die "the module did not build"
		fi
	fi

	portsel_say "$mode run: fill range $range ports, ${sizes[1]} + ${sizes[2]}" \
		"connects over ${sizes[3]} destinations, ${sizes[4]} reuse rounds," \
		"${sizes[5]} bind(0)s per checkpoint"
	vm_ok=0
	portsel_vm_run --timeout "$timeout" \
		--arg "range=$range" --arg "one=${sizes[1]}" \
		--arg "spread=${sizes[2]}" --arg "dsts=${sizes[3]}" \
		--arg "reuse=${sizes[4]}" --arg "binds=${sizes[5]}" \
		--arg "mode=$mode" --arg "target=$target" \
		"$work" "$PORTSEL_GUEST/compare.sh" || vm_ok=$?

	portsel_vm_result "$work" "$work/raw.csv"
	if [ "$vm_ok" -ne 0 ] || ! grep -qx 'end,ok' "$work/raw.csv"; then
		portsel_say "the VM run did not complete (${PORTSEL_VM_END:-no VM});" \
			"console tail:"
		portsel_vm_console_tail "$work" 40 >&2
		[ "$mode" != smoke ] || echo "0 passed, 1 failed"
		exit 1
	fi
}

"$PORTSEL_ROOT/scripts/deps.sh"
if [ -n "$raw" ]; then
	tr -d '\r' <"$raw" >"$work/raw.csv" || die "cannot read $raw"
	grep -qx 'end,ok' "$work/raw.csv" || die "$raw: not a complete run"
	# the sizes of that run
	mode=$(meta MODE)
	mode=${mode:-full}
	range=$(meta RANGE)
	sizes=("$range" "$(meta ONE)" "$(meta SPREAD)" "$(meta DSTS)" \
		"$(meta REUSE)" "$(meta BINDS)")
else
	measure
fi
klog=$(meta kernel_log)
[ "$klog" = clean ] || portsel_say "warning: the VM's kernel log: $klog"

# --- the report --------------------------------------------------------------

# Tables, csv and the picture's data: scripts/report.py; the picture:
# scripts/lib/compare.gp.
python3 "$PORTSEL_ROOT/scripts/report.py" compare --out "$out" \
	--plot "$work/plot" "$work/raw.csv" | tee "$work/report.txt" ||
	die "report.py could not read the records"
if ! gnuplot -e "$(cat "$work/plot/gnuplot.args")" \
	"$PORTSEL_ROOT/scripts/lib/compare.gp" 2>"$work/gnuplot.log"; then
	cat "$work/gnuplot.log" >&2
	die "gnuplot failed"
fi
portsel_say "wrote $out/compare.md, compare.csv, compare.png" \
	"($(($(date +%s) - t_start))s in all)"

[ "$mode" = smoke ] || exit 0

# --- smoke: the outputs exist and hold real rows ---------------------------

# col POLICY COLUMN: a field of compare.csv
col() {
	awk -F, -v p="$1" -v k="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == p { print $c[k] }' "$out/compare.csv"
}
is() { [ "$1" = "$2" ]; }
nonempty() { [ -n "$1" ]; }
png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
	[ "$(stat -c %s "$1")" -gt 20000 ]; }

portsel_check "VM kernel log clean" is "$(meta kernel_log)" clean
portsel_check "compare.png is a PNG with content" png "$out/compare.png"
for p in $(meta policies); do
	portsel_check "$p: row in the table" grep -q "^$p " "$work/report.txt"
	portsel_check "$p: row in compare.md" grep -q "^| $p |" "$out/compare.md"
	portsel_check "$p: workload 1 measured" nonempty "$(col "$p" even_pct_one)"
	portsel_check "$p: own-range sockets measured" nonempty "$(col "$p" even_pct_narrow)"
	portsel_check "$p: workload 2 measured" is "$(col "$p" reuse_rounds)" "${sizes[4]}"
	portsel_check "$p: fill took the whole range" is "$(col "$p" fill_connections)" "$range"
	portsel_check "$p: fill latency measured" nonempty "$(col "$p" second_p99_us)"
	portsel_check "$p: bind(0) measured" nonempty "$(col "$p" bind_ok_pct_25)"
done
portsel_check "kernel: even ports only to one destination" is "$(col kernel even_pct_one)" 100.0
portsel_check "kernel: no probe count" is "$(col kernel probes_first)" ""
portsel_check "even-first: even ports only" is "$(col even-first even_pct_one)" 100.0
portsel_check "even-first: probes counted" nonempty "$(col even-first probes_second)"
portsel_check "sequential: one probe per connect" \
	is "$(col sequential probes_first)/$(col sequential probes_second)" 1.0/1.0
portsel_check "sequential: stride 1" is "$(col sequential stride_median)" 1
portsel_check "reserve_odd=1: connect stops at the even half" \
	is "$(col "even-first reserve_odd=1" fill_connections)" $((range / 2))
portsel_check "reserve_odd=1: bind(0) succeeds when connect() is full" \
	is "$(col "even-first reserve_odd=1" bind_ok_pct_full)" 100
portsel_tally

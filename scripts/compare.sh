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
                          [--tcg] [--out DIR] [--keep] [--timeout SECS]
                          [--raw FILE] [--help]

Builds portsel.ko, boots the kernel it was built for in qemu (TCG) and,
for each policy of net.portsel.available_policies (kernel first, as the
baseline), runs the same workloads:
  1. parity and spread: 2,000 connects to one destination, then 2,000
     over 200 destinations (all held), then 200 to one destination from
     sockets with their own IP_LOCAL_PORT_RANGE 40000-40999; and how
     their 4-tuples spread over the buckets of Toeplitz RSS, a CRC-32
     5-tuple hash and source port mod N
  2. reuse distance: connect/close (SO_LINGER 0) to one destination,
     100,000 rounds on the default range 32768-60999
  3. fill: connect to one destination until EADDRNOTAVAIL on the range's
     first N ports, timing each connect()
  4. bind(0) under load: 100 bind(0)s, then 100 with SO_REUSEADDR, each
     timed, while 25/50/75 % of that range, and all that connect() could
     take, is held
  5. beside a reserved block: 12,000 connect/close rounds, each to a
     destination address of its own, on 44000-47999 with 45500-45999 in
     ip_local_reserved_ports; how often each port came (Linux 7.1's
     ip_local_port_step_width is for the port after the block)
and 3-4 again for even-first with reserve_odd=1, 5 again for even-first
with step_width 2000 (4 x the block) and 4000 (the range). Prints the tables;
writes DIR/compare.md, DIR/compare.csv and DIR/compare.png (gnuplot).
Installs what is missing first (scripts/deps.sh).

Two boots: 1, 2 and 5 count (ports, distances) under plain TCG with 2 vCPUs,
the listener on a vCPU of its own; 3-4 time under qemu's instruction
counting (-icount shift=0,sleep=off) with one vCPU, as make bench: every
time is an instruction count (1 ns = 1 guest instruction), the same from
boot to boot whatever the host does.

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
  --quick         30,000 reuse rounds instead of 100,000 and 4,000
                  beside the block instead of 12,000
  --smoke         tiny sizes, results in a temporary directory, then
                  checks the outputs; ends with "N passed, N failed"
                  (a tier of make check)
  --tcg           one boot, plain TCG with 2 vCPUs, for all five: the
                  times are emulated wall time (as before instruction
                  counting; compare ratios within a run)
  --out DIR       where the three files go (default results/, with
                  --target results/NAME/)
  --keep          keep the work directory (VM console, raw records)
  --raw FILE      no VM: tables and picture from the raw records of an
                  earlier run (raw.csv of a --keep work directory)
  --timeout SECS  wall-clock limit for each boot (default 1500; smoke
                  480)
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
icount=1
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
	--tcg) icount=0; shift ;;
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
# reuse rounds, bind(0) tries per checkpoint, rounds beside the block.
case $mode in
full) sizes=(4000 2000 2000 200 100000 100 12000) ;;
quick) sizes=(4000 2000 2000 200 30000 100 4000) ;;
smoke) sizes=(400 200 200 20 1000 10 600) ;;
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

# meta KEY: its value in the records (the last, as both boots record some)
meta() {
	awk -F, -v k="$1" '$1 == "meta" && $2 == k { v = $3 } END { print v }' \
		"$work/raw.csv"
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
		"2 x ${sizes[5]} bind(0)s per checkpoint, ${sizes[6]} rounds beside" \
		"a reserved block"
	: >"$work/raw.csv"
	if [ "$icount" -eq 1 ]; then
		portsel_say "boot 1 of 2: workloads 1, 2, 5 (counts), plain TCG"
		boot untimed tcg
		portsel_say "boot 2 of 2: workloads 3-4 (times), qemu -icount, 1 vCPU"
		PORTSEL_VM_CPUS=1 \
		PORTSEL_VM_QEMU_ARGS="${PORTSEL_VM_QEMU_ARGS:+$PORTSEL_VM_QEMU_ARGS }-icount shift=0,sleep=off" \
			boot timed icount
	else
		boot all tcg
	fi
	# clean when every boot's was, else the first complaint
	awk -F, '$1 == "meta" && $2 ~ /^kernel_log_/ && bad == "" {
			v = $0
			sub(/^meta,kernel_log_[a-z]*,/, "", v)
			if (v != "clean") bad = v
		} END { print "meta,kernel_log," (bad != "" ? bad : "clean") }' \
		"$work/raw.csv" >"$work/kernel_log.csv"
	cat "$work/kernel_log.csv" >>"$work/raw.csv"
	echo "end,ok" >>"$work/raw.csv"
}

# boot PHASE CLOCK: one VM running the guest's PHASE; its records, but
# their end line, appended to $work/raw.csv. Exits when it fails.
boot() {
	local dir=$work/$1 vm_ok=0

	mkdir -p "$dir"
	portsel_vm_run --timeout "$timeout" \
		--arg "range=$range" --arg "one=${sizes[1]}" \
		--arg "spread=${sizes[2]}" --arg "dsts=${sizes[3]}" \
		--arg "reuse=${sizes[4]}" --arg "binds=${sizes[5]}" \
		--arg "block=${sizes[6]}" \
		--arg "mode=$mode" --arg "target=$target" \
		--arg "phase=$1" --arg "clock=$2" \
		"$dir" "$PORTSEL_GUEST/compare.sh" || vm_ok=$?

	portsel_vm_result "$dir" "$dir/raw.csv"
	if [ "$vm_ok" -ne 0 ] || ! grep -qx 'end,ok' "$dir/raw.csv"; then
		portsel_say "the VM run ($1) did not complete" \
			"(${PORTSEL_VM_END:-no VM}); console tail:"
		portsel_vm_console_tail "$dir" 40 >&2
		[ "$mode" != smoke ] || echo "0 passed, 1 failed"
		exit 1
	fi
	# a boot's kernel log verdict: both must be clean
	grep -vx 'end,ok' "$dir/raw.csv" |
		sed "s/^meta,kernel_log,/meta,kernel_log_$1,/" >>"$work/raw.csv"
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
		"$(meta REUSE)" "$(meta BINDS)" "$(meta BLOCK)")
	[ "$(meta CLOCK)" = icount ] || icount=0
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
	portsel_check "$p: bind(0) timed" nonempty "$(col "$p" bind_p50_ns_25)"
	portsel_check "$p: bind(0) with SO_REUSEADDR timed" \
		nonempty "$(col "$p" bindr_p50_ns_50)"
	portsel_check "$p: ports bind(0) walks derived" nonempty "$(col "$p" bind_walk_50)"
	case $p in
	*reserve_odd*) ;;
	*) portsel_check "$p: hash spread" nonempty "$(col "$p" hash_toeplitz16_spread_maxmean)" ;;
	esac
done
for p in $(meta policies) "even-first step_width=2000" "even-first step_width=4000"; do
	portsel_check "$p: beside the reserved block, every round" \
		is "$(col "$p" block_rounds)" "${sizes[6]}"
done
portsel_check "the block's table" grep -q "^Beside a reserved block" "$work/report.txt"
if [ "$icount" -eq 1 ]; then
	portsel_check "times are instruction counts" is "$(meta CLOCK)/$(meta TIMED_CPUS)" icount/1
	portsel_check "the table says so" grep -q "k instr" "$work/report.txt"
fi
portsel_check "kernel: source port mod 4 leaves 2 of 4 buckets idle" \
	is "$(col kernel hash_sportmod4_one_used)" 2
portsel_check "kernel: Toeplitz RSS uses all 4 queues" \
	is "$(col kernel hash_toeplitz4_one_used)" 4
portsel_check "random: source port mod 4 uses all 4 buckets" \
	is "$(col random hash_sportmod4_one_used)" 4
portsel_check "kernel: bind(0) finds an odd port at once at half held" \
	is "$(col kernel bind_walk_50)" 1.0
portsel_check "reserve_odd=1: bind(0) finds an odd port at once when connect() is full" \
	is "$(col "even-first reserve_odd=1" bind_walk_full)" 1.0
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

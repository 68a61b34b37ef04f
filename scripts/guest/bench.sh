#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/bench.sh (make bench), run as the payload of
# the test VM (busybox sh). It measures; the host takes medians, ratios
# and prints the table. Arguments, as KEY=VALUE:
#   runs=N        repetitions of each short measurement (default 3)
#   scan_runs=N   rounds of the steady-state probe workload (default
#                 twice runs)
#   long_runs=N   repetitions of the kernel's fill of the default range
#                 and of sockmany (default 1)
#   churn_n=N     connects per policy and run in P1 (default 20000)
#   sockmany_ops=N  stress-ng --sockmany-ops (default 20000)
#   parts=LIST    comma-separated, of p1 fill4k churn probe fullscan
#                 filldef sockmany (default all)
#   target=NAME   the row of scripts/targets whose kernel this is (recorded)
#   step_width=N  net.portsel.step_width for every measurement (default 0,
#                 off; said on the console, not in the records)
#   variant=FILE  portsel.ko under /guest/ built with the bench_via_ftrace
#                 switch (scripts/lib/bench-vm.sh); the probe workloads run
#                 under it, both ways alternating, else one way under
#                 portsel.ko
#
# One line per measurement goes to the result channel (fd 3), words
# "KEY=VALUE" after a record type:
#   p1 policy= run= slice= connects= errors= avg_ns= max_ns= ms=
#   fill set=p2|probe range= policy= module= hold= run= pref= ok= err=
#        before_pref= before_n= before_sum_ns= before_p50_ns=
#        before_p99_ns= after_n= after_sum_ns= after_p50_ns= after_p99_ns=
#        [c50= p50= m50= c90= p90= m90= c100= p100= m100= cfull= pfull=
#         mfull= fail_probes=]   (portsel_stat: connects, probes and
#                                  max_probes at each point; portsel only)
#   p2c policy= k= run= connects= errors= avg_ns= p50_ns= max_ns= ms=
#       [probes=]
#   scan range= held= variant=kernel|past|ftrace run= base_connects= ...
#        base_avg_ns= ... connects= errors= avg_ns= max_ns= ms= [probes=]
#   fullscan range= held= policy= run= connects= errors= ... fails=
#        fail_avg_ns= fail_p50_ns= fail_max_ns= err_EADDRNOTAVAIL=
#        [probes=]   (churn's summary; the refused connects are the data)
#   sockmany policy= run= ops= want= ms= [real_s=] rc=
#   policies list=kernel,even-first,...   (available_policies, once)
#   kernel release=UNAME_R target=NAME   (once, first)
# and "done" at the end. Progress goes to the console as "vm: " lines.

# shellcheck shell=sh
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

RUNS=3
SCAN_RUNS=
LONG_RUNS=1
CHURN_N=20000
SOCKMANY_OPS=20000
PARTS=p1,fill4k,churn,probe,fullscan,filldef,sockmany
VARIANT=
TARGET=
STEP_WIDTH=0
for a in "$@"; do
	case $a in
	runs=*) RUNS=${a#*=} ;;
	scan_runs=*) SCAN_RUNS=${a#*=} ;;
	long_runs=*) LONG_RUNS=${a#*=} ;;
	churn_n=*) CHURN_N=${a#*=} ;;
	sockmany_ops=*) SOCKMANY_OPS=${a#*=} ;;
	parts=*) PARTS=${a#*=} ;;
	variant=*) VARIANT=/guest/${a#*=} ;;
	target=*) TARGET=${a#*=} ;;
	step_width=*) STEP_WIDTH=${a#*=} ;;
	*) vm_say "bench: unknown argument '$a'"; exit 2 ;;
	esac
done

# every policy of the module's table, read once it is loaded (warm-up)
POLICIES=
DEFAULT_LO=32768
DEFAULT_HI=60999

want() {
	case ",$PARTS," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

uptime_ms() {
	awk '{ printf "%d", $1 * 1000 }' /proc/uptime
}

# rotate N WORDS...: the words, starting at the Nth (0-based, wrapping),
# so that no policy always runs first in its round.
rotate() {
	n=$(($1 % ($# - 1)))
	shift
	i=0
	head=
	tail=
	for w in "$@"; do
		if [ $i -lt "$n" ]; then
			tail="$tail $w"
		else
			head="$head $w"
		fi
		i=$((i + 1))
	done
	echo "$head $tail"
}

# --- module, destinations, state ---------------------------------------------

# use_module FILE: load FILE as portsel, fresh (stats and tables at zero);
# "" unloads. A load that fails ends the run: every number after it
# would be the stock kernel's.
use_module() {
	if portsel_loaded; then
		portsel_unload || { vm_say "bench: rmmod failed"; exit 1; }
	fi
	[ -n "$1" ] || return 0
	insmod "$1" || { vm_say "bench: insmod $1 failed"; exit 1; }
}

# set_policy POLICY HOLD: with the module loaded. At kernel, once the
# release trace that the policy before may have left lingering is off:
# the module at kernel is timed as it runs for good.
set_policy() {
	if ! pset policy "$1" || ! pset exhaust_hold_ms "$2" ||
	   ! pset reserve_odd 0 || ! pset step_width "$STEP_WIDTH"; then
		vm_say "bench: cannot set policy $1 hold $2"
		exit 1
	fi
	[ "$1" != kernel ] || wait_untraced
}

# Every measurement connects to a destination of its own, so nothing an
# earlier one left behind (TIME_WAIT, exhaustion marks) steers it.
DPORT=5000
DPORT_LAST=5399
new_dst() {
	DPORT=$((DPORT + 1))
	[ "$DPORT" -le "$DPORT_LAST" ] ||
		{ vm_say "bench: out of listener ports"; exit 1; }
}

tcp_inuse() {
	awk '$1 == "TCP:" { print $3 }' /proc/net/sockstat
}

# Wait (up to 60 s) until the sockets of the last measurement are gone on
# both sides, so that the listener's clean-up does not run into the next.
settle() {
	i=0
	while [ "$(tcp_inuse)" -gt $((BASE_TCP + 8)) ] && [ $i -lt 600 ]; do
		usleep 100000
		i=$((i + 1))
	done
}

# TCG translates code the first time it runs, which makes whatever runs
# first slow: run every path once (loop, fill to exhaustion, with and
# without the module) before anything is timed. MODULE [HOLD].
warm_up() {
	use_module "$1"
	POLICIES=$(pget available_policies)
	set_range 40000 40999
	for p in $POLICIES; do
		set_policy "$p" "${2:-1000}"
		new_dst
		portsel-tool churn -t 1 -n 1000 "127.0.0.1:$DPORT" >/dev/null
		new_dst
		portsel-tool fill -q "127.0.0.1:$DPORT" >/dev/null
	done
	use_module ""
	new_dst
	portsel-tool churn -t 1 -n 1000 "127.0.0.1:$DPORT" >/dev/null
	settle
}

# --- main ---------------------------------------------------------------------

# shellcheck source=scripts/guest/bench-loops.sh
. /guest/bench-loops.sh
# shellcheck source=scripts/guest/bench-scans.sh
. /guest/bench-scans.sh

# the steady-state probe and full-scan rounds are short: twice as many
SCAN_RUNS=${SCAN_RUNS:-$((2 * RUNS))}
FULL_ROUNDS=${FULL_ROUNDS:-$((2 * RUNS))}
if [ -n "$VARIANT" ] && [ ! -f "$VARIANT" ]; then
	vm_say "bench: no $VARIANT"
	VARIANT=
fi
# shellcheck disable=SC2046 # one word per address
listener_start $(awk -v last="$DPORT_LAST" 'BEGIN {
	for (p = 5001; p <= last; p++)
		print "127.0.0.1:" p }') || { vm_say "bench: no listener"; exit 1; }
BASE_TCP=$(tcp_inuse)
result "kernel release=$(uname -r) target=$TARGET"
# not t0: the parts use that name (sh has no locals)
bench_t0=$(uptime_ms)
vm_say "bench: $(nproc) cpus, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB," \
	"runs=$RUNS long_runs=$LONG_RUNS churn_n=$CHURN_N parts=$PARTS" \
	"step_width=$STEP_WIDTH"
vm_say "warm-up"
warm_up "$PORTSEL_KO"
# the module's policies in its own order: the order of the report's rows
result "policies list=$(echo "$POLICIES" | tr -s ' ' ',')"

if want p1; then
	vm_say "P1: connect+close loop, $CHURN_N connects, $RUNS runs"
	p1_module "$PORTSEL_KO"
	p1
fi
if want fill4k; then
	vm_say "P2/P3: fill 40000-43999 (4,000 ports), $RUNS runs"
	# shellcheck disable=SC2086 # one word per policy
	fills p2 40000 43999 "$RUNS" $POLICIES
fi
if want churn; then
	vm_say "P2c: connect+close with 1 or 16 even ports free, $RUNS runs"
	p2c
fi
if want probe; then
	vm_say "probe cost: even-first, exhaust_hold_ms 0, 40000-43999"
	probe_cost
fi
if want fullscan; then
	vm_say "full scan: 40000-43999 all held, refused connects, $FULL_ROUNDS rounds"
	fullscan
fi
if want filldef; then
	vm_say "P2/P3: fill the default range (28,232 ports)"
	# shellcheck disable=SC2046 # one word per policy
	fills p2 $DEFAULT_LO $DEFAULT_HI "$RUNS" $(echo "$POLICIES" | tr ' ' '\n' | grep -vx kernel)
	fills p2 $DEFAULT_LO $DEFAULT_HI "$LONG_RUNS" kernel
fi
if want sockmany; then
	vm_say "stress-ng --sockmany 1 --sockmany-ops $SOCKMANY_OPS, every policy, $LONG_RUNS run(s)"
	sockmany
fi

listener_stop
t=$(($(uptime_ms) - bench_t0))
vm_say "bench: measured for $((t / 1000))s"
result "done secs=$((t / 1000))"


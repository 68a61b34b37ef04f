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
#   variant=FILE  portsel.ko under /guest/ built with the bench_via_ftrace
#                 switch (scripts/bench.sh); the probe workloads run under
#                 it, both ways alternating, else one way under portsel.ko
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
for a in "$@"; do
	case $a in
	runs=*) RUNS=${a#*=} ;;
	scan_runs=*) SCAN_RUNS=${a#*=} ;;
	long_runs=*) LONG_RUNS=${a#*=} ;;
	churn_n=*) CHURN_N=${a#*=} ;;
	sockmany_ops=*) SOCKMANY_OPS=${a#*=} ;;
	parts=*) PARTS=${a#*=} ;;
	variant=*) VARIANT=/guest/${a#*=} ;;
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

set_range() {
	echo "$1 $2" >/proc/sys/net/ipv4/ip_local_port_range
}

# set_policy POLICY HOLD: with the module loaded.
set_policy() {
	if ! pset policy "$1" || ! pset exhaust_hold_ms "$2" ||
	   ! pset reserve_odd 0; then
		vm_say "bench: cannot set policy $1 hold $2"
		exit 1
	fi
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

# --- P1: connect+close loop ---------------------------------------------------

# p1_one POLICY RUN SLICE N: N connects; POLICY "stock" runs without the
# module.
p1_one() {
	if [ "$1" != stock ]; then
		set_policy "$1" 1000
	fi
	set_range $DEFAULT_LO $DEFAULT_HI
	new_dst
	settle
	out=$(portsel-tool churn -t 1 -n "$4" "127.0.0.1:$DPORT")
	# "# churn connects=N errors=N avg_ns=N max_ns=N ms=N ..."
	out=${out#"# churn "}
	result "p1 policy=$1 run=$2 slice=$3 $out"
}

# Loading or unloading the module leaves deferred work behind (RCU, the
# kprobes optimizer, ftrace's trampoline): let it run before timing.
p1_module() {
	use_module "$1"
	sleep 1
	set_range $DEFAULT_LO $DEFAULT_HI
	new_dst
	portsel-tool churn -t 1 -n 1000 "127.0.0.1:$DPORT" >/dev/null
}

reverse() {
	rev=
	for w in "$@"; do
		rev="$w $rev"
	done
	echo "$rev"
}

# Each run gives every policy CHURN_N connects in P1_SLICES slices, the
# policies alternating slice by slice, in an order that turns and
# reverses from one round to the next: a slow spell of the host (TCG
# shares it) then falls on all of them alike, and no policy always
# follows the same one. "stock" (the module unloaded) runs once a run,
# in one block.
P1_SLICES=8
p1() {
	r=1
	while [ $r -le "$RUNS" ]; do
		s=1
		while [ $s -le $P1_SLICES ]; do
			k=$(((r - 1) * P1_SLICES + s))
			# shellcheck disable=SC2086 # one word per policy
			order=$(rotate "$k" $POLICIES)
			if [ $((k % 2)) -eq 1 ]; then
				# shellcheck disable=SC2086 # one word per policy
				order=$(reverse $order)
			fi
			for p in $order; do
				p1_one "$p" "$r" "$s" $((CHURN_N / P1_SLICES))
			done
			s=$((s + 1))
		done
		p1_module ""
		p1_one stock "$r" 0 "$CHURN_N"
		p1_module "$PORTSEL_KO"
		vm_say "  p1 run $r done"
		r=$((r + 1))
	done
}

# --- P2c: connect+close next to a nearly full preferred parity --------------

# p2c_one POLICY K RUN: on 40000-43999, hold every even port but K towards
# one destination (the stock order and even-first both take even ports
# first), then P2C_N connect+close (RST) to it while they are held; K 2000
# holds nothing: the low-occupancy reference. Probes from portsel_stat.
P2C_N=2000
p2c_one() {
	set_policy "$1" 1000
	set_range 40000 43999
	new_dst
	settle
	rm -f /tmp/p2c.*
	loop="cat $PORTSEL_STAT >/tmp/p2c.s0
		portsel-tool churn -t 1 -n $P2C_N 127.0.0.1:$DPORT >/tmp/p2c.out
		cat $PORTSEL_STAT >/tmp/p2c.s1"
	if [ "$2" -lt 2000 ]; then
		portsel-tool fill -q -n $((2000 - $2)) -x "$loop" \
			"127.0.0.1:$DPORT" >/dev/null
	else
		sh -c "$loop"
	fi
	out=$(cat /tmp/p2c.out)
	out=${out#"# churn "}
	p0=$(stat_col /tmp/p2c.s0 "$1" probes)
	p1=$(stat_col /tmp/p2c.s1 "$1" probes)
	probes=
	[ -z "$p0" ] || [ -z "$p1" ] || probes=" probes=$((p1 - p0))"
	result "p2c policy=$1 k=$2 run=$3 $out$probes"
}

p2c() {
	r=1
	while [ "$r" -le "$RUNS" ]; do
		for k in 2000 16 1; do
			for p in kernel even-first; do
				p2c_one "$p" "$k" "$r"
			done
		done
		vm_say "  p2c run $r done"
		r=$((r + 1))
	done
}

# --- P2/P3: fill one destination to exhaustion ----------------------------------

# A portsel_stat column of POLICY in FILE ("" when there is none).
stat_col() {
	awk -v p="$2" -v c="$3" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == p && (c in col) { print $col[c] }' "$1" 2>/dev/null
}

# fill_one SET LO HI POLICY HOLD RUN MODULE NAME [keep]
# Fill LO..HI towards one new destination in stages: 50 %, 90 % and 100 %
# of the preferred parity, then every port, then one connect that must
# fail; portsel_stat is read between the stages (while every socket is
# held: each stage runs the next from fill's -x). MODULE is loaded fresh
# first (with "keep": the caller just did), so the stats count this fill
# alone; NAME says how the module was set.
fill_one() {
	fset=$1 lo=$2 hi=$3 pol=$4 hold=$5 run=$6 mname=$8
	size=$((hi - lo + 1))
	pref=$(((size + 1) / 2))
	[ "${9:-}" = keep ] || use_module "$7"
	set_policy "$pol" "$hold"
	set_range "$lo" "$hi"
	new_dst
	settle
	rm -f /tmp/bstage.* /tmp/blat.* /tmp/bstat.*

	k=0
	prev=0
	for c in $((pref / 2)) $((pref * 9 / 10)) $pref $size 0; do
		if [ "$c" -eq 0 ]; then
			n=0
			next="cat $PORTSEL_STAT >/tmp/bstat.$((k + 1))"
		else
			n=$((c - prev))
			next="sh /tmp/bstage.$((k + 1))"
		fi
		{
			echo "cat $PORTSEL_STAT >/tmp/bstat.$k 2>/dev/null"
			echo "portsel-tool fill -l -n $n -x '$next' 127.0.0.1:$DPORT >/tmp/blat.$k 2>&1"
		} >/tmp/bstage.$k
		prev=$c
		k=$((k + 1))
	done
	t0=$(uptime_ms)
	sh /tmp/bstage.0
	t=$(($(uptime_ms) - t0))

	# Latencies, in connect order: the first pref connects are "before"
	# the preferred parity fills, the rest "after".
	cat /tmp/blat.0 /tmp/blat.1 /tmp/blat.2 /tmp/blat.3 /tmp/blat.4 \
		>/tmp/blat.all
	awk -v pref="$pref" -v lo="$lo" '
		/^[0-9]/ {
			n++
			if (n <= pref) {
				print $2 >"/tmp/lat.before"
				if (($1 - lo) % 2 == 0)
					bp++
			} else {
				print $2 >"/tmp/lat.after"
			}
			next
		}
		/^# fill/ {
			for (i = 3; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "ok")
					ok += kv[2]
				if (kv[1] == "err" && kv[2] != "none")
					err = kv[2]
			}
		}
		END {
			printf "ok=%d err=%s before_pref=%d\n", ok,
				(err == "" ? "none" : err), bp
		}' /tmp/blat.all >/tmp/lat.sum
	touch /tmp/lat.before /tmp/lat.after
	line="fill set=$fset range=$size policy=$pol module=$mname hold=$hold"
	line="$line run=$run pref=$pref $(cat /tmp/lat.sum)"
	line="$line $(lat_stats before /tmp/lat.before) $(lat_stats after /tmp/lat.after)"
	rm -f /tmp/lat.before /tmp/lat.after

	if [ "$pol" != kernel ]; then
		s0=$(stat_col /tmp/bstat.0 "$pol" probes)
		i=1
		for pt in 50 90 100 full; do
			c=$(stat_col /tmp/bstat.$i "$pol" connects)
			p=$(stat_col /tmp/bstat.$i "$pol" probes)
			m=$(stat_col /tmp/bstat.$i "$pol" max_probes)
			line="$line c$pt=$c p$pt=$((p - s0)) m$pt=$m"
			i=$((i + 1))
		done
		p5=$(stat_col /tmp/bstat.5 "$pol" probes)
		line="$line fail_probes=$((p5 - p))"
	fi
	result "$line"
	vm_say "  $fset $size $pol${mname:+ ($mname)} hold $hold run $run:" \
		"$(cat /tmp/lat.sum), $((t / 1000)).$((t % 1000 / 100))s"
}

# lat_stats NAME FILE: count, sum, p50 and p99 (nearest rank) of the
# nanoseconds in FILE, as NAME_n= NAME_sum_ns= NAME_p50_ns= NAME_p99_ns=.
lat_stats() {
	sort -n "$2" | awk -v w="$1" '
		{ a[NR] = $1; s += $1 }
		function rank(q,   i) {
			i = int(q * NR)
			if (i < q * NR)
				i++
			return i < 1 ? 1 : i
		}
		END {
			if (!NR) {
				printf "%s_n=0", w
				exit
			}
			# %d would wrap at 2^31 in busybox awk
			printf "%s_n=%d %s_sum_ns=%.0f %s_p50_ns=%.0f %s_p99_ns=%.0f",
				w, NR, w, s, w, a[rank(0.5)], w, a[rank(0.99)]
		}'
}

# fills SET LO HI RUNS [POLICY...]: every policy RUNS times, alternating.
fills() {
	fs=$1 flo=$2 fhi=$3 fruns=$4
	shift 4
	r=1
	while [ $r -le "$fruns" ]; do
		for p in $(rotate "$r" "$@"); do
			fill_one "$fs" "$flo" "$fhi" "$p" 1000 "$r" "$PORTSEL_KO" ""
		done
		r=$((r + 1))
	done
}

# --- probe cost: every port of the preferred parity tried in turn -------------

# The probe workloads run under VARIANT when there is one: the module
# built with a switch, bench_via_ftrace, that sends its calls of the
# original through the ftrace site (as before portsel_entry_past_ftrace)
# instead of past it. "past" and "ftrace" are the two settings of it.
PROBE_KO=
VIA=/sys/module/portsel/parameters/bench_via_ftrace

# probe_way WAY: set the switch for WAY (past, ftrace); false when this
# module cannot go that way.
probe_way() {
	if [ -w "$VIA" ]; then
		case $1 in
		ftrace) echo 1 >"$VIA" ;;
		*) echo 0 >"$VIA" ;;
		esac
		return
	fi
	[ "$1" = past ]
}

# From fills: even-first with exhaust_hold_ms 0, so that every connect
# after the even half scans all of it, one call of the original per port.
probe_fills() {
	r=1
	while [ $r -le "$RUNS" ]; do
		for w in $(rotate "$r" past ftrace); do
			use_module "$PROBE_KO"
			probe_way "$w" || continue
			fill_one probe 40000 43999 even-first 0 "$r" "" "$w" keep
		done
		r=$((r + 1))
	done
}

# probe_scan LO HI N: the same cost in a steady state. One process holds
# every port of LO's parity towards destination A; then a connect+close
# loop to A scans all of them before it takes a port of the other parity
# (the kernel's second pass; even-first with exhaust_hold_ms 0), while
# the same loop to B, where nothing is held, takes the first port it
# tries. Per probe: (loop to A - loop to B) / ports held. The kernel and
# both ways of portsel alternate, in SCAN_RUNS rounds of N connects to A
# and 500 to B each.
probe_scan() {
	lo=$1 hi=$2 n=$3
	pref=$((($2 - $1 + 2) / 2))
	use_module "$PROBE_KO"
	set_range "$lo" "$hi"
	# sequential with reserve_odd: one probe per port, the preferred
	# parity alone
	set_policy sequential 1000
	pset reserve_odd 1
	new_dst
	da=$DPORT
	new_dst
	db=$DPORT
	settle
	rm -f /tmp/held.pid
	# shellcheck disable=SC2016 # $$ is the -x shell's
	portsel-tool fill -q -n "$pref" \
		-x 'echo $$ >/tmp/held.pid; exec sleep 100000' \
		"127.0.0.1:$da" >/tmp/held.out &
	holder=$!
	i=0
	while [ ! -s /tmp/held.pid ] && [ $i -lt 1200 ]; do
		usleep 100000
		i=$((i + 1))
	done
	held=$(sed -n 's/^# fill ok=\([0-9]*\).*/\1/p' /tmp/held.out)
	vm_say "  scan $lo-$hi: holding $held ports of $pref towards :$da"

	r=1
	while [ $r -le "$SCAN_RUNS" ]; do
		for v in $(rotate "$r" kernel past ftrace); do
			if [ "$v" = kernel ]; then
				probe_way past
				set_policy kernel 1000
			else
				probe_way "$v" || continue
				set_policy even-first 0
			fi
			base=$(portsel-tool churn -t 1 -n 500 "127.0.0.1:$db")
			cat $PORTSEL_STAT >/tmp/scan.stat0
			scan=$(portsel-tool churn -t 1 -n "$n" "127.0.0.1:$da")
			cat $PORTSEL_STAT >/tmp/scan.stat1
			pr=
			if [ "$v" != kernel ]; then
				pr=$(($(stat_col /tmp/scan.stat1 even-first probes) -
				      $(stat_col /tmp/scan.stat0 even-first probes)))
			fi
			base=$(echo "${base#"# churn "}" | sed 's/\([a-z_]*=\)/base_\1/g')
			result "scan range=$((hi - lo + 1)) held=$held variant=$v" \
				"run=$r $base ${scan#"# churn "}${pr:+ probes=$pr}"
		done
		vm_say "  scan $lo-$hi round $r: ${scan#"# churn "}"
		r=$((r + 1))
	done
	kill "$(cat /tmp/held.pid)"
	wait "$holder"
	settle
}

probe_cost() {
	PROBE_KO=${VARIANT:-$PORTSEL_KO}
	warm_up "$PROBE_KO" 0
	probe_fills
	probe_scan 40000 43999 500
	probe_scan $DEFAULT_LO $DEFAULT_HI 50
}

# --- full scan: both parities held towards one destination -------------------

# Every port of 40000-43999 is held towards one destination (a fill under
# "sequential", one probe per port), so that a connect to it must try all
# 4,000 and is refused with EADDRNOTAVAIL: the kernel's loop walks both
# parities, even-first with exhaust_hold_ms 0 (no memory of the
# exhaustion) the same 4,000 through portsel. The policies alternate, in
# FULL_ROUNDS rounds of FULL_N refused connects each; the time of each
# refused connect() and portsel_stat's probes.
FULL_N=100
FULL_ROUNDS=
fullscan() {
	use_module "$PORTSEL_KO"
	set_range 40000 43999
	set_policy sequential 1000
	new_dst
	da=$DPORT
	settle
	rm -f /tmp/held.pid
	# shellcheck disable=SC2016 # $$ is the -x shell's
	portsel-tool fill -q -x 'echo $$ >/tmp/held.pid; exec sleep 100000' \
		"127.0.0.1:$da" >/tmp/held.out &
	holder=$!
	i=0
	while [ ! -s /tmp/held.pid ] && [ $i -lt 1200 ]; do
		usleep 100000
		i=$((i + 1))
	done
	held=$(sed -n 's/^# fill ok=\([0-9]*\).*/\1/p' /tmp/held.out)
	vm_say "  fullscan: holding ${held:-no} ports of 4000 towards :$da" \
		"($(sed -n 's/^# fill ok=[0-9]* err=\([A-Z]*\).*/\1/p' /tmp/held.out))"

	r=1
	while [ $r -le "$FULL_ROUNDS" ]; do
		for p in $(rotate "$r" kernel even-first); do
			set_policy "$p" 0
			cat $PORTSEL_STAT >/tmp/full.stat0
			out=$(portsel-tool churn -t 1 -n "$FULL_N" "127.0.0.1:$da")
			cat $PORTSEL_STAT >/tmp/full.stat1
			pr=
			if [ "$p" != kernel ]; then
				pr=$(($(stat_col /tmp/full.stat1 "$p" probes) -
				      $(stat_col /tmp/full.stat0 "$p" probes)))
			fi
			result "fullscan range=4000 held=$held policy=$p run=$r" \
				"${out#"# churn "}${pr:+ probes=$pr}"
		done
		vm_say "  fullscan round $r: $p ${out#"# churn "}"
		r=$((r + 1))
	done
	kill "$(cat /tmp/held.pid)"
	wait "$holder"
	settle
}

# --- stress-ng sockmany: a real client -----------------------------------------

# Debian's stress-ng (brought in by scripts/bench.sh): one sockmany worker
# whose client connects to its own server on 127.0.0.1:10000, holding
# every connection, until SOCKMANY_OPS were accepted; on the default
# range the stock order hands out the 14,116 even ports first and then
# scans all of them for each odd one. Once per policy (every one of the
# module's table, "kernel" among them), LONG_RUNS times in an order that
# turns from run to run; the guest's uptime around it, in ms. The server closes first,
# so each run would leave SOCKMANY_OPS TIME_WAIT sockets on port 10000
# for the next: tcp_max_tw_buckets 0 while it runs, so that every run
# starts from the same empty tables.
sockmany_one() {
	set_policy "$1" 1000
	set_range $DEFAULT_LO $DEFAULT_HI
	settle
	sm_t0=$(uptime_ms)
	# its client takes a socket per connection: room for all of them
	# shellcheck disable=SC3045 # busybox sh has ulimit -n
	if (ulimit -n 200000 &&
	    exec stress-ng --sockmany 1 --sockmany-ops "$SOCKMANY_OPS" \
		--metrics-brief) >/tmp/sockmany.out 2>&1; then
		rc=0
	else
		rc=$?
	fi
	sm_t=$(($(uptime_ms) - sm_t0))
	# "stress-ng: info:  [PID] sockmany  OPS  REAL-SECS  USR  SYS ..."
	# shellcheck disable=SC2046 # two words: ops and seconds
	set -- "$1" "$2" $(awk '$4 == "sockmany" && $5 ~ /^[0-9]+$/ {
		print $5, $6; exit }' /tmp/sockmany.out)
	ops=${3:-}
	result "sockmany policy=$1 run=$2 ops=${ops:-0} want=$SOCKMANY_OPS" \
		"ms=$sm_t${4:+ real_s=$4} rc=$rc"
	vm_say "  sockmany $1 run $2: ${ops:-no} ops," \
		"$((sm_t / 1000)).$((sm_t % 1000 / 100))s, exit $rc"
	if [ "$rc" -ne 0 ] || [ -z "$ops" ]; then
		sed 's/^/vm:    /' /tmp/sockmany.out | tail -n 8
	fi
}

sockmany() {
	if ! command -v stress-ng >/dev/null; then
		vm_say "bench: no stress-ng in the VM"
		exit 1
	fi
	use_module "$PORTSEL_KO"
	tw=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)
	echo 0 >/proc/sys/net/ipv4/tcp_max_tw_buckets
	r=1
	while [ $r -le "$LONG_RUNS" ]; do
		# shellcheck disable=SC2086 # one word per policy
		for p in $(rotate "$r" $POLICIES); do
			sockmany_one "$p" "$r"
		done
		r=$((r + 1))
	done
	echo "$tw" >/proc/sys/net/ipv4/tcp_max_tw_buckets
}

# --- main ---------------------------------------------------------------------

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
# not t0: the parts use that name (sh has no locals)
bench_t0=$(uptime_ms)
vm_say "bench: $(nproc) cpus, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB," \
	"runs=$RUNS long_runs=$LONG_RUNS churn_n=$CHURN_N parts=$PARTS"
vm_say "warm-up"
warm_up "$PORTSEL_KO"

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

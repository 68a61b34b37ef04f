# SPDX-License-Identifier: GPL-2.0
#
# make bench's loops: P1 (connect+close at low occupancy), P2c (next to
# a nearly full preferred parity), the full scan (refused connects to a
# destination with both parities held) and stress-ng's sockmany.
# Sourced by scripts/guest/bench.sh (the payload of make bench's VM,
# busybox sh) after its settings and helpers; scripts/lib/bench-vm.sh
# hands this file to the VM with --file. Records and names: see
# guest/bench.sh.

# shellcheck shell=sh

# --- P1: connect+close loop ---------------------------------------------------

# p1_one POLICY RUN SLICE N: N connects; POLICY "stock" runs without the
# module.
p1_one() {
	if [ "$1" != stock ]; then
		set_policy "$1" 1000
	fi
	set_range "$DEFAULT_LO" "$DEFAULT_HI"
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
	set_range "$DEFAULT_LO" "$DEFAULT_HI"
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
	p0=$(pstat "$1" probes /tmp/p2c.s0)
	p1=$(pstat "$1" probes /tmp/p2c.s1)
	probes=
	[ -z "$p0" ] || [ -z "$p1" ] || probes=" probes=$((p1 - p0))"
	result "p2c policy=$1 k=$2 run=$3 $out$probes"
}

p2c() {
	# alone (--only churn) nothing has loaded it since the warm-up
	portsel_loaded || use_module "$PORTSEL_KO"
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
	hold_ports "127.0.0.1:$da"
	held=$HELD_PORTS
	vm_say "  fullscan: holding ${held:-no} ports of 4000 towards :$da ($(held_err))"

	r=1
	while [ $r -le "$FULL_ROUNDS" ]; do
		for p in $(rotate "$r" kernel even-first); do
			set_policy "$p" 0
			cat "$PORTSEL_STAT" >/tmp/full.stat0
			out=$(portsel-tool churn -t 1 -n "$FULL_N" "127.0.0.1:$da")
			cat "$PORTSEL_STAT" >/tmp/full.stat1
			pr=
			if [ "$p" != kernel ]; then
				pr=$(($(pstat "$p" probes /tmp/full.stat1) -
				      $(pstat "$p" probes /tmp/full.stat0)))
			fi
			result "fullscan range=4000 held=$held policy=$p run=$r" \
				"${out#"# churn "}${pr:+ probes=$pr}"
		done
		vm_say "  fullscan round $r: $p ${out#"# churn "}"
		r=$((r + 1))
	done
	release_ports
	settle
}

# --- stress-ng sockmany: a real client -----------------------------------------

# Debian's stress-ng (brought in by scripts/lib/bench-vm.sh): one sockmany
# worker whose client connects to its own server on 127.0.0.1:10000, holding
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
	set_range "$DEFAULT_LO" "$DEFAULT_HI"
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

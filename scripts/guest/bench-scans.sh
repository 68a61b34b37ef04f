# SPDX-License-Identifier: GPL-2.0
#
# make bench's fills and scans: P2/P3 (fill one destination to
# exhaustion) and the probe cost (from the fills and in a steady state).
# Sourced by scripts/guest/bench.sh (the payload of make bench's VM,
# busybox sh) after its settings and helpers; scripts/lib/bench-vm.sh
# hands this file to the VM with --file. Records and names: see
# guest/bench.sh.

# shellcheck shell=sh

# --- P2/P3: fill one destination to exhaustion ----------------------------------

# fill_one SET LO HI POLICY HOLD RUN MODULE NAME [keep]
# Fill LO..HI towards one new destination in stages: 50 %, 90 % and 100 %
# of the preferred parity, then every port, then one connect that must
# fail; portsel_stat is read before each stage and after the last, while
# every socket is held (scripts/guest/bench-fill-stage.sh: each stage runs
# the next from fill's -x). MODULE is loaded fresh first (with "keep":
# the caller just did), so the stats count this fill alone; NAME says how
# the module was set.
fill_one() {
	fset=$1 lo=$2 hi=$3 pol=$4 hold=$5 run=$6 mname=$8
	size=$((hi - lo + 1))
	pref=$(((size + 1) / 2))
	half=$((pref / 2))
	most=$((pref * 9 / 10))
	[ "${9:-}" = keep ] || use_module "$7"
	set_policy "$pol" "$hold"
	set_range "$lo" "$hi"
	new_dst
	settle
	rm -f /tmp/blat.* /tmp/bstat.*

	t0=$(uptime_ms)
	sh /guest/bench-fill-stage.sh 0 "127.0.0.1:$DPORT" "$half" \
		$((most - half)) $((pref - most)) $((size - pref)) 0
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
		s0=$(pstat "$pol" probes /tmp/bstat.0)
		i=1
		for pt in 50 90 100 full; do
			c=$(pstat "$pol" connects /tmp/bstat.$i)
			p=$(pstat "$pol" probes /tmp/bstat.$i)
			m=$(pstat "$pol" max_probes /tmp/bstat.$i)
			line="$line c$pt=$c p$pt=$((p - s0)) m$pt=$m"
			i=$((i + 1))
		done
		p5=$(pstat "$pol" probes /tmp/bstat.5)
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
# original through the ftrace site (as before portsel_ftrace_site())
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
	hold_ports "127.0.0.1:$da" -n "$pref"
	held=$HELD_PORTS
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
			cat "$PORTSEL_STAT" >/tmp/scan.stat0
			scan=$(portsel-tool churn -t 1 -n "$n" "127.0.0.1:$da")
			cat "$PORTSEL_STAT" >/tmp/scan.stat1
			pr=
			if [ "$v" != kernel ]; then
				pr=$(($(pstat even-first probes /tmp/scan.stat1) -
				      $(pstat even-first probes /tmp/scan.stat0)))
			fi
			base=$(echo "${base#"# churn "}" | sed 's/\([A-Za-z_][A-Za-z0-9_]*=\)/base_\1/g')
			result "scan range=$((hi - lo + 1)) held=$held variant=$v" \
				"run=$r $base ${scan#"# churn "}${pr:+ probes=$pr}"
		done
		vm_say "  scan $lo-$hi round $r: ${scan#"# churn "}"
		r=$((r + 1))
	done
	release_ports
	settle
}

probe_cost() {
	PROBE_KO=${VARIANT:-$PORTSEL_KO}
	warm_up "$PROBE_KO" 0
	probe_fills
	probe_scan 40000 43999 500
	probe_scan "$DEFAULT_LO" "$DEFAULT_HI" 50
}

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/compare.sh (make compare), run as the payload
# of the test VM (busybox sh): the same four workloads under every policy
# of net.portsel.available_policies, kernel first, in one boot; then the
# fill and bind(0) workloads once more for even-first with reserve_odd=1.
#
# Arguments are KEY=VALUE: range (ports of the fill range, a multiple of
# 4), one (connects to one destination), spread and dsts (connects over
# that many destinations), reuse (connect/close rounds), binds (bind(0)
# attempts per checkpoint), mode (recorded as meta,MODE), target (the row
# of scripts/targets whose kernel this is, recorded as meta,TARGET).
#
# The guest only measures; the host computes every figure. Results go to
# fd 3 as CSV records, first field the record type:
#   meta,KEY,VALUE              settings and environment
#   port,LABEL,PART,DST,PORT    workload 1: each port (PART one|spread|
#                               narrow: sockets with their own range)
#   sum,LABEL,KEY,VALUE         a scalar of a workload
#   lat,LABEL,HELD,PORT,NS      workload 3: the HELD-th connect of the fill
#   stat,LABEL,SEQ,HELD,CONNECTS,FAILURES,PROBES,OTHER_PARITY,SKIPPED_SCANS
#                               workload 3: portsel_stat with HELD held:
#                               before (SEQ 0), at each half, and (last SEQ)
#                               after the connect that failed
#   bind,LABEL,HELD,TRIES,OK,ODD workload 4: bind(0) with HELD connections
#   warn,LABEL,TEXT             something did not go as planned
#   end,ok                      the last line of a run that got through
# LABEL is the policy, or "even-first reserve_odd=1".

# shellcheck shell=sh
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

RANGE=4000
ONE=2000
SPREAD=2000
DSTS=200
REUSE=100000
BINDS=100
MODE=
TARGET=
for a in "$@"; do
	case $a in
	range=*) RANGE=${a#*=} ;;
	one=*) ONE=${a#*=} ;;
	spread=*) SPREAD=${a#*=} ;;
	dsts=*) DSTS=${a#*=} ;;
	reuse=*) REUSE=${a#*=} ;;
	binds=*) BINDS=${a#*=} ;;
	mode=*) MODE=${a#*=} ;;
	target=*) TARGET=${a#*=} ;;
	*) vm_say "compare: unknown argument '$a'"; exit 2 ;;
	esac
done

# Workloads 1 and 2 run on the kernel's default range, 3 and 4 on its
# first RANGE ports (both ends even, as the default's low end).
DEF_LO=32768
DEF_HI=60999
FILL_LO=32768
FILL_HI=$((FILL_LO + RANGE - 1))
# Workload 1's sockets with their own IP_LOCAL_PORT_RANGE (even low end)
NARROW=$((ONE / 10))
NARROW_LO=40000
NARROW_HI=40999

warn() {
	vm_say "  warning: $L: $*"
	result "warn,$L,$*"
}

# Each label has destinations of its own: port 5000 + 10 * index + workload.
# The spread destinations 6000.. are shared (nothing is left held).
dst() {
	echo "127.0.0.1:$((5000 + 10 * IDX + $1))"
}

# The "# CMD k=v ..." summary line of a tool's output FILE as sum records
# KEY_k (only the keys listed, when given).
sums() {
	sed -n "s/^# $2 //p" "$1" | tail -n 1 | tr ' ' '\n' |
		awk -F= -v l="$L" -v p="$3" -v want=" $4 " '
			NF == 2 && (want == "  " || index(want, " " $1 " ")) {
				printf "sum,%s,%s_%s,%s\n", l, p, $1, $2
			}' >&3
}

# One field of that summary line: field FILE CMD KEY.
field() {
	awk -v c="$2" -v k="$3=" '$1 == "#" && $2 == c {
		for (i = 3; i <= NF; i++)
			if (index($i, k) == 1)
				v = substr($i, length(k) + 1)
	} END { print v }' "$1"
}

# Append portsel_stat, headed "held N", to /tmp/stats (fill -x runs this
# with N connections held, and once more after connect() gave up).
STATS_CMD="{ echo held \$PORTSEL_HELD; cat $PORTSEL_STAT; } >>/tmp/stats"

# /tmp/stats as stat records of this policy's row, numbered from 0.
stat_records() {
	awk -v p="$P" -v l="$L" '
		$1 == "held" { h = $2; next }
		$1 == "policy" { for (i = 2; i <= NF; i++) col[$i] = i; next }
		$1 == p {
			printf "stat,%s,%d,%s", l, n++, h
			split("connects failures probes other_parity skipped_scans", c, " ")
			for (i = 1; i <= 5; i++)
				printf ",%s", $col[c[i]]
			printf "\n"
			found = 1
		}
		END { if (!found) printf "warn,%s,no portsel_stat row for %s\n", l, p }' \
		/tmp/stats >&3
}

# --- the workloads ---------------------------------------------------------

# 1. Parity and spread: ONE connects to one destination, then SPREAD over
# DSTS destinations in turn; every port goes to the host.
w_parity() {
	set_range $DEF_LO $DEF_HI
	vm_say "$L: 1/4 parity: $ONE connects to one destination"
	portsel-tool fill -n "$ONE" "$(dst 1)" >/tmp/w1
	[ "$(field /tmp/w1 fill ok)" = "$ONE" ] ||
		warn "parity: $(grep '^#' /tmp/w1)"
	awk -v l="$L" '/^[0-9]/ { printf "port,%s,one,0,%s\n", l, $1 }' \
		/tmp/w1 >&3

	vm_say "$L: 1/4 spread: $SPREAD connects over $DSTS destinations"
	# shellcheck disable=SC2046 # one word per destination
	portsel-tool spread -n "$SPREAD" $(awk -v n="$DSTS" 'BEGIN {
		for (i = 0; i < n; i++) print "127.0.0.1:" 6000 + i }') >/tmp/w1s
	[ "$(field /tmp/w1s spread ok)" = "$SPREAD" ] ||
		warn "spread: $(grep '^#' /tmp/w1s)"
	awk -v l="$L" '/^[0-9]/ { printf "port,%s,spread,%s,%s\n", l, $2, $1 }' \
		/tmp/w1s >&3

	# Linux 6.8 (207184853dbd) scans a socket with its own range in
	# steps of 1, without parity: what the kernel row shows there
	vm_say "$L: 1/4 own range: $NARROW connects with IP_LOCAL_PORT_RANGE $NARROW_LO-$NARROW_HI"
	portsel-tool fill -n "$NARROW" -r "$NARROW_LO-$NARROW_HI" "$(dst 5)" >/tmp/w1n
	[ "$(field /tmp/w1n fill ok)" = "$NARROW" ] ||
		warn "own range: $(grep '^#' /tmp/w1n)"
	awk -v l="$L" '/^[0-9]/ { printf "port,%s,narrow,0,%s\n", l, $1 }' \
		/tmp/w1n >&3
}

# 2. Reuse distance: REUSE connect/close rounds to one destination.
w_reuse() {
	set_range $DEF_LO $DEF_HI
	vm_say "$L: 2/4 reuse: $REUSE connect/close rounds to one destination"
	portsel-tool reuse -n "$REUSE" -p $((REUSE / 4)) "$(dst 2)" \
		2>&1 >/tmp/w2 | while read -r line; do
			vm_say "$L:   $line"
		done
	sums /tmp/w2 reuse reuse
	vm_say "$L:   $(sed -n 's/^# reuse //p' /tmp/w2)"
}

# 3. Fill: connect to one destination until EADDRNOTAVAIL, timing each.
w_fill() {
	set_range $FILL_LO $FILL_HI
	vm_say "$L: 3/4 fill: $FILL_LO-$FILL_HI to one destination"
	if [ "$P" = kernel ]; then
		portsel-tool fill -l "$(dst 3)" >/tmp/w3
	else
		# portsel_stat before, at each half held, and at the end
		echo "held 0" >/tmp/stats
		cat "$PORTSEL_STAT" >>/tmp/stats
		portsel-tool fill -l -e $((RANGE / 2)) -x "$STATS_CMD" \
			"$(dst 3)" >/tmp/w3
		stat_records
	fi
	awk -v l="$L" '/^[0-9]/ { printf "lat,%s,%d,%s,%s\n", l, ++n, $1, $2 }' \
		/tmp/w3 >&3
	sums /tmp/w3 fill fill "ok err err_ns"
	vm_say "$L:   $(grep '^# fill' /tmp/w3)"
}

# 4. bind(0) under connect load: fill again, and at each quarter of the
# range held (and when connect() gives up) try BINDS bind(0)s.
w_bind() {
	set_range $FILL_LO $FILL_HI
	vm_say "$L: 4/4 bind(0): $BINDS tries at each quarter of the fill held"
	rm -f /tmp/bind.*
	portsel-tool fill -q -e $((RANGE / 4)) \
		-x "portsel-tool bind0 -k -n $BINDS >/tmp/bind.\$PORTSEL_HELD" \
		"$(dst 4)" >/tmp/w4
	sums /tmp/w4 fill bindfill "ok err"
	for f in /tmp/bind.*; do
		[ -f "$f" ] || continue
		awk -v l="$L" -v held="${f#/tmp/bind.}" -v tries="$BINDS" '
			/^[0-9]/ { ok++; odd += $1 % 2 }
			END { printf "bind,%s,%d,%d,%d,%d\n", l, held, tries, ok, odd }' \
			"$f" >&3
	done
	vm_say "$L:   $(grep '^# fill' /tmp/w4);" \
		"bind(0) ok at $(for f in /tmp/bind.*; do
			printf '%s:%s ' "${f#/tmp/bind.}" "$(grep -c '^[0-9]' "$f")"
		done)"
}

# --- main ------------------------------------------------------------------

dmesg -c >/dev/null
: >/tmp/kmsg.all
# shellcheck disable=SC2119 # no module parameters
portsel_load || {
	vm_say "insmod portsel.ko failed"
	result "warn,-,insmod portsel.ko failed"
	exit 1
}
POLICIES=$(pget available_policies)
case " $POLICIES " in
*" kernel "*) ;;
*) vm_say "no kernel policy in '$POLICIES'"; exit 1 ;;
esac
# kernel first, as the baseline
POLICIES="kernel $(echo "$POLICIES" | tr ' ' '\n' | grep -vx kernel | tr '\n' ' ')"

result "meta,kernel,$(uname -r)"
result "meta,module,$(cat /sys/module/portsel/version 2>/dev/null)"
result "meta,cpus,$(grep -c ^processor /proc/cpuinfo)"
result "meta,policies,$POLICIES"
result "meta,MODE,$MODE"
result "meta,TARGET,$TARGET"
for k in RANGE ONE SPREAD DSTS REUSE BINDS DEF_LO DEF_HI FILL_LO FILL_HI \
	NARROW NARROW_LO NARROW_HI; do
	eval "result \"meta,$k,\$$k\""
done

# shellcheck disable=SC2046 # one word per address
listener_start $(awk -v n="$DSTS" 'BEGIN {
	for (i = 0; i < 100; i++) print "127.0.0.1:" 5000 + i
	for (i = 0; i < n; i++) print "127.0.0.1:" 6000 + i }') || {
	vm_say "the listener did not start"
	exit 1
}

IDX=0
i=0
n=$(echo "$POLICIES" | wc -w)
for P in $POLICIES; do
	L=$P
	IDX=$((IDX + 1))
	i=$((i + 1))
	vm_say "policy $i/$n: $P"
	pset policy "$P" || warn "policy $P refused"
	pset reserve_odd 0
	w_parity
	w_reuse
	w_fill
	w_bind
	result "sum,$L,done,1"
	if [ "$P" = even-first ]; then
		L="even-first reserve_odd=1"
		IDX=$((IDX + 1))
		vm_say "policy $P with reserve_odd=1 (fill and bind(0) only)"
		pset reserve_odd 1 || warn "reserve_odd=1 refused"
		w_fill
		w_bind
		result "sum,$L,done,1"
		pset reserve_odd 0
	fi
done
pset policy kernel
listener_stop

kmsg_take
bad=$(kmsg_bad </tmp/kmsg.all | head -n 1)
result "meta,kernel_log,${bad:-clean}"
[ -z "$bad" ] || vm_say "kernel log: $bad"
result "end,ok"

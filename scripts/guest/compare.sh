#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/compare.sh (make compare), run as the payload
# of the test VM (busybox sh): the same five workloads under every policy
# of net.portsel.available_policies, kernel first; then the fill and
# bind(0) workloads once more for even-first with reserve_odd=1, and the
# reserved block for even-first with two step_width settings. The host
# boots it twice: once for the workloads that count (1, 2, 5: phase
# untimed, plain TCG), once for those that time (3, 4: phase timed, under
# qemu -icount, one vCPU); phase all runs the five in one boot.
#
# Arguments are KEY=VALUE: range (ports of the fill range, a multiple of
# 4), one (connects to one destination), spread and dsts (connects over
# that many destinations), reuse (connect/close rounds), binds (bind(0)
# attempts per checkpoint), block (connect/close rounds beside a reserved
# block), mode (recorded as meta,MODE), target (the row
# of scripts/targets whose kernel this is, recorded as meta,TARGET),
# phase (all, untimed or timed), clock (what the timed workloads' times
# are: icount or tcg, recorded as meta,CLOCK with meta,TIMED_CPUS).
#
# The guest only measures; the host computes every figure. Results go to
# fd 3 as CSV records, first field the record type:
#   meta,KEY,VALUE              settings and environment
#   port,LABEL,PART,DST,PORT    workload 1: each port (PART one|spread|
#                               narrow: sockets with their own range)
#   dst,LABEL,PART,ADDR:PORT    workload 1: the destination of PART one
#                               and narrow (spread's: meta SPREAD_DST,
#                               the first of DSTS ports in a row)
#   sum,LABEL,KEY,VALUE         a scalar of a workload
#   lat,LABEL,HELD,PORT,NS      workload 3: the HELD-th connect of the fill
#   stat,LABEL,SEQ,HELD,CONNECTS,FAILURES,PROBES,OTHER_PARITY,SKIPPED_SCANS
#                               workload 3: portsel_stat with HELD held:
#                               before (SEQ 0), at each half, and (last SEQ)
#                               after the connect that failed
#   bind,LABEL,HELD,TRIES,OK,ODD workload 4: bind(0) with HELD connections
#   bindr,LABEL,HELD,TRIES,OK,ODD  the same with SO_REUSEADDR
#   bindt,LABEL,KIND,HELD,PORT,NS  workload 4: each bind(0) attempt (KIND
#                               plain|reuseaddr; PORT 0: it failed)
#   hold,LABEL,PORT             workload 4: the ports of its fill, in order
#   blk,LABEL,PORT,COUNT        workload 5: how often PORT was handed out
#                               (to any of its BLOCK destinations)
#   warn,LABEL,TEXT             something did not go as planned
#   end,ok                      the last line of a run that got through
# LABEL is the policy, "even-first reserve_odd=1" or "even-first
# step_width=N".

# shellcheck shell=sh
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

RANGE=4000
ONE=2000
SPREAD=2000
DSTS=200
REUSE=100000
BINDS=100
BLOCK=12000
MODE=
TARGET=
PHASE=all
CLOCK=tcg
for a in "$@"; do
	case $a in
	range=*) RANGE=${a#*=} ;;
	one=*) ONE=${a#*=} ;;
	spread=*) SPREAD=${a#*=} ;;
	dsts=*) DSTS=${a#*=} ;;
	reuse=*) REUSE=${a#*=} ;;
	binds=*) BINDS=${a#*=} ;;
	block=*) BLOCK=${a#*=} ;;
	mode=*) MODE=${a#*=} ;;
	target=*) TARGET=${a#*=} ;;
	phase=*) PHASE=${a#*=} ;;
	clock=*) CLOCK=${a#*=} ;;
	*) vm_say "compare: unknown argument '$a'"; exit 2 ;;
	esac
done
case $PHASE in
all|untimed|timed) ;;
*) vm_say "compare: phase '$PHASE': want all, untimed or timed"; exit 2 ;;
esac

# Workloads 1 and 2 run on the kernel's default range, 3 and 4 on its
# first RANGE ports (both ends even, as the default's low end).
DEF_LO=32768
DEF_HI=60999
FILL_LO=32768
FILL_HI=$((FILL_LO + RANGE - 1))
# Every connection is 127.0.0.1 to 127.0.0.1; workload 1's spread goes
# to DSTS ports from SPREAD_LO (the hash spread needs the 4-tuples)
SRC=127.0.0.1
SPREAD_LO=6000
# shellcheck disable=SC2034 # recorded as meta,SPREAD_DST (eval below)
SPREAD_DST=$SRC:$SPREAD_LO
# Workload 1's sockets with their own IP_LOCAL_PORT_RANGE (even low end)
NARROW=$((ONE / 10))
NARROW_LO=40000
NARROW_HI=40999
# Workload 5's range and the block reserved in it: with the kernel's scan
# every start inside the block walks to BLK_AFTER
BLK_LO=44000
BLK_HI=47999
BLK_RES_LO=45500
BLK_RES_HI=45999
BLK_AFTER=$((BLK_RES_HI + 1))
BLK_DPORT=5999
# even-first's step_width rows: 4 x the block (upstream's advice for a
# large block) and the whole range
BLK_WIDTHS="$((4 * (BLK_RES_HI - BLK_RES_LO + 1))) $((BLK_HI - BLK_LO + 1))"

warn() {
	vm_say "  warning: $L: $*"
	result "warn,$L,$*"
}

# Each label has destinations of its own: port 5000 + 10 * index + workload.
# The spread destinations 6000.. are shared (nothing is left held).
dst() {
	echo "$SRC:$((5000 + 10 * IDX + $1))"
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
	vm_say "$L: 1/5 parity: $ONE connects to one destination"
	portsel-tool fill -n "$ONE" "$(dst 1)" >/tmp/w1
	[ "$(field /tmp/w1 fill ok)" = "$ONE" ] ||
		warn "parity: $(grep '^#' /tmp/w1)"
	result "dst,$L,one,$(dst 1)"
	awk -v l="$L" '/^[0-9]/ { printf "port,%s,one,0,%s\n", l, $1 }' \
		/tmp/w1 >&3

	vm_say "$L: 1/5 spread: $SPREAD connects over $DSTS destinations"
	# shellcheck disable=SC2046 # one word per destination
	portsel-tool spread -n "$SPREAD" $(awk -v n="$DSTS" -v a="$SRC" \
		-v lo="$SPREAD_LO" 'BEGIN {
		for (i = 0; i < n; i++) print a ":" lo + i }') >/tmp/w1s
	[ "$(field /tmp/w1s spread ok)" = "$SPREAD" ] ||
		warn "spread: $(grep '^#' /tmp/w1s)"
	awk -v l="$L" '/^[0-9]/ { printf "port,%s,spread,%s,%s\n", l, $2, $1 }' \
		/tmp/w1s >&3

	# Linux 6.8 (207184853dbd) scans a socket with its own range in
	# steps of 1, without parity: what the kernel row shows there
	vm_say "$L: 1/5 own range: $NARROW connects with IP_LOCAL_PORT_RANGE $NARROW_LO-$NARROW_HI"
	portsel-tool fill -n "$NARROW" -r "$NARROW_LO-$NARROW_HI" "$(dst 5)" >/tmp/w1n
	[ "$(field /tmp/w1n fill ok)" = "$NARROW" ] ||
		warn "own range: $(grep '^#' /tmp/w1n)"
	result "dst,$L,narrow,$(dst 5)"
	awk -v l="$L" '/^[0-9]/ { printf "port,%s,narrow,0,%s\n", l, $1 }' \
		/tmp/w1n >&3
}

# 2. Reuse distance: REUSE connect/close rounds to one destination.
w_reuse() {
	set_range $DEF_LO $DEF_HI
	vm_say "$L: 2/5 reuse: $REUSE connect/close rounds to one destination"
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
	vm_say "$L: 3/5 fill: $FILL_LO-$FILL_HI to one destination"
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

# 5. A reserved block (Linux 7.1's ip_local_port_step_width,
# 7da62262ec96): BLOCK connect/close rounds in BLK_LO-BLK_HI with
# BLK_RES_LO-BLK_RES_HI reserved, each to a destination of its own
# (127.I.0.1 and the addresses after it, I the label's index + 1, port
# BLK_DPORT: every scan starts somewhere else, as on a host that talks to
# many servers, and no label meets the buckets another one moved); how
# often each port came, and how soon one came back (to any destination).
w_block() {
	set_range $BLK_LO $BLK_HI
	echo "$BLK_RES_LO-$BLK_RES_HI" >/proc/sys/net/ipv4/ip_local_reserved_ports
	vm_say "$L: 5/5 block: $BLOCK rounds, $BLK_RES_LO-$BLK_RES_HI reserved"
	portsel-tool reuse -c -D "$BLOCK" -n "$BLOCK" -p $((BLOCK / 4)) \
		"127.$((IDX + 1)).0.1:$BLK_DPORT" \
		2>&1 >/tmp/w5 | while read -r line; do
			vm_say "$L:   $line"
		done
	echo >/proc/sys/net/ipv4/ip_local_reserved_ports
	[ "$(field /tmp/w5 reuse connects)" = "$BLOCK" ] ||
		warn "block: $(grep '^#' /tmp/w5)"
	sums /tmp/w5 reuse block "connects min"
	awk -v l="$L" '/^[0-9]/ { printf "blk,%s,%s,%s\n", l, $1, $2 }' \
		/tmp/w5 >&3
	vm_say "$L:   $BLK_AFTER $(awk -v p=$BLK_AFTER '$1 == p { print $2 }' \
		/tmp/w5) of $BLOCK"
}

# bind_records FILE RECORD KIND: the bind(0) attempts of /tmp/FILE.HELD
# as RECORD (bind|bindr) summaries and bindt records of KIND.
bind_records() {
	for f in /tmp/"$1".*; do
		[ -f "$f" ] || continue
		awk -v l="$L" -v held="${f#/tmp/"$1".}" -v tries="$BINDS" \
			-v rec="$2" -v kind="$3" '
			/^[0-9]/ {
				printf "bindt,%s,%s,%d,%s,%s\n", l, kind, held, $1, $2
				if ($1 > 0) { ok++; odd += $1 % 2 }
			}
			END { printf "%s,%s,%d,%d,%d,%d\n", rec, l, held, tries, ok, odd }' \
			"$f" >&3
	done
}

# 4. bind(0) under connect load: fill again, and at each quarter of the
# range held (and when connect() gives up) try BINDS bind(0)s, timing
# each, then BINDS more with SO_REUSEADDR.
w_bind() {
	set_range $FILL_LO $FILL_HI
	vm_say "$L: 4/5 bind(0): 2 x $BINDS tries at each quarter of the fill held"
	rm -f /tmp/bind.* /tmp/bindr.*
	portsel-tool fill -e $((RANGE / 4)) \
		-x "portsel-tool bind0 -k -l -n $BINDS >/tmp/bind.\$PORTSEL_HELD;
		    portsel-tool bind0 -k -l -a -n $BINDS >/tmp/bindr.\$PORTSEL_HELD" \
		"$(dst 4)" >/tmp/w4
	sums /tmp/w4 fill bindfill "ok err"
	awk -v l="$L" '/^[0-9]/ { printf "hold,%s,%s\n", l, $1 }' /tmp/w4 >&3
	bind_records bind bind plain
	bind_records bindr bindr reuseaddr
	vm_say "$L:   $(grep '^# fill' /tmp/w4);" \
		"bind(0) ok at $(for f in /tmp/bind.*; do
			printf '%s:%s ' "${f#/tmp/bind.}" "$(grep -c '^[1-9]' "$f")"
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
result "meta,policies,$POLICIES"
result "meta,MODE,$MODE"
result "meta,TARGET,$TARGET"
# the workloads 1 and 2 boot records cpus, the timed one TIMED_CPUS
case $PHASE in
all|untimed) result "meta,cpus,$(grep -c ^processor /proc/cpuinfo)" ;;
esac
case $PHASE in
all|timed)
	result "meta,TIMED_CPUS,$(grep -c ^processor /proc/cpuinfo)"
	result "meta,CLOCK,$CLOCK" ;;
esac
for k in RANGE ONE SPREAD DSTS REUSE BINDS DEF_LO DEF_HI FILL_LO FILL_HI \
	NARROW NARROW_LO NARROW_HI SRC SPREAD_DST BLOCK BLK_LO BLK_HI \
	BLK_RES_LO BLK_RES_HI BLK_DPORT; do
	eval "result \"meta,$k,\$$k\""
done

# shellcheck disable=SC2046 # one word per address
listener_start $(awk -v n="$DSTS" -v a="$SRC" -v lo="$SPREAD_LO" 'BEGIN {
	for (i = 0; i < 200; i++) print a ":" 5000 + i
	for (i = 0; i < n; i++) print a ":" lo + i }') "0.0.0.0:$BLK_DPORT" || {
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
	if [ "$PHASE" != timed ]; then
		w_parity
		w_reuse
		w_block
	fi
	if [ "$PHASE" != untimed ]; then
		w_fill
		w_bind
	fi
	result "sum,$L,done,1"
	if [ "$P" = even-first ] && [ "$PHASE" != untimed ]; then
		L="even-first reserve_odd=1"
		IDX=$((IDX + 1))
		vm_say "policy $P with reserve_odd=1 (fill and bind(0) only)"
		pset reserve_odd 1 || warn "reserve_odd=1 refused"
		w_fill
		w_bind
		result "sum,$L,done,1"
		pset reserve_odd 0
	fi
	if [ "$P" = even-first ] && [ "$PHASE" != timed ]; then
		for w in $BLK_WIDTHS; do
			L="even-first step_width=$w"
			IDX=$((IDX + 1))
			vm_say "policy $P with step_width=$w (reserved block only)"
			pset step_width "$w" || warn "step_width=$w refused"
			w_block
			result "sum,$L,done,1"
		done
		pset step_width 0
	fi
done
pset policy kernel
listener_stop

kmsg_take
bad=$(kmsg_bad </tmp/kmsg.all | head -n 1)
result "meta,kernel_log,${bad:-clean}"
[ -z "$bad" ] || vm_say "kernel log: $bad"
result "end,ok"

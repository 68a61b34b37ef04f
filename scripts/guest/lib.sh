# SPDX-License-Identifier: GPL-2.0
#
# Helpers for payloads of portsel's test VM (busybox sh). A payload runs
# as /guest/run with this file at /guest/lib.sh; source it with
#   . /guest/lib.sh
# Its stdout is the console; its fd 3 is the result channel the host
# keeps as DIR/result (see scripts/guest/init.sh).

# shellcheck shell=sh

PORTSEL_KO=/lib/modules/portsel.ko
SYSCTL_DIR=/proc/sys/net/portsel
PORTSEL_STAT=/proc/net/portsel_stat
LISTENER_PID=

# A progress line: the host prints console lines that start with "vm: ".
vm_say() {
	echo "vm: $*"
}

# A line on the result channel.
result() {
	printf '%s\n' "$*" >&3
}

portsel_loaded() {
	[ -d /sys/module/portsel ]
}

# Load portsel.ko with the given parameters; quiet, status of insmod.
portsel_load() {
	insmod "$PORTSEL_KO" "$@" 2>/dev/null
}

portsel_unload() {
	rmmod portsel 2>/dev/null
}

# Read a sysctl of net.portsel (NAME as in /proc/sys/net/portsel/NAME).
pget() {
	cat "$SYSCTL_DIR/$1" 2>/dev/null
}

# Set a sysctl of net.portsel; the status of the write.
pset() {
	printf '%s\n' "$2" 2>/dev/null >"$SYSCTL_DIR/$1"
}

# A PREEMPT_RT kernel? Debian's rt flavours have /sys/kernel/realtime
# (from the RT patch set); a mainline 6.12 PREEMPT_RT build (make
# debugtest TARGET=trixie-rt-amd64) has not, but says so in its version.
is_rt() {
	[ -e /sys/kernel/realtime ] && return 0
	case $(uname -v) in
	*PREEMPT_RT*) return 0 ;;
	esac
	return 1
}

# Is inet_put_port() traced by anyone (ftrace's list of patched sites)?
release_traced() {
	grep -q '^inet_put_port ' /sys/kernel/tracing/enabled_functions
}

# wait_untraced: until no netns needs releases (a netns dies in a
# workqueue, after its last process) and the trace's linger of a second
# after its last user has run out; 20 s at most.
wait_untraced() {
	wu_i=0
	while release_traced && [ $wu_i -lt 200 ]; do
		usleep 100000
		wu_i=$((wu_i + 1))
	done
}

# One column of portsel_stat, by its header: pstat POLICY COLUMN [FILE]
# (FILE: a copy taken earlier; default the live /proc/net/portsel_stat).
# Nothing when there is no such row or column.
pstat() {
	awk -v p="$1" -v c="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == p && (c in col) { print $col[c] }' "${3:-$PORTSEL_STAT}" 2>/dev/null
}

# socket_range_parity's default on the running kernel: 1 up to 6.7, 0
# from 6.8 on, where a socket with its own range is scanned without
# parity (portsel follows the kernel's rule).
kernel_socket_range_parity() {
	uname -r | awk -F '[.-]' '{ print ($1 < 6 || ($1 == 6 && $2 < 8)) ? 1 : 0 }'
}

# kernel_at_least MAJOR MINOR: is the running kernel that or newer?
kernel_at_least() {
	uname -r | awk -F '[.-]' -v a="$1" -v b="$2" '{ exit !($1 > a || ($1 == a && $2 >= b)) }'
}

# The netns's ip_local_port_range: set_range LO HI.
set_range() {
	echo "$1 $2" >/proc/sys/net/ipv4/ip_local_port_range
}

# hold_ports DST [portsel-tool fill options]: a fill towards DST in the
# background that keeps its sockets until release_ports; returns once
# they are all open (fill's -x runs after the last connect), with
# HELD_PORTS the number held (empty if the fill never got there).
HOLDER=
# shellcheck disable=SC2034 # read by the payloads
HELD_PORTS=
hold_ports() {
	hold_dst=$1
	hold_i=0
	shift
	rm -f /tmp/held.pid
	# shellcheck disable=SC2016 # $$ is the -x shell's
	portsel-tool fill -q "$@" -x 'echo $$ >/tmp/held.pid; exec sleep 100000' \
		"$hold_dst" >/tmp/held.out &
	HOLDER=$!
	while [ ! -s /tmp/held.pid ] && [ $hold_i -lt 1200 ]; do
		usleep 100000
		hold_i=$((hold_i + 1))
	done
	# shellcheck disable=SC2034 # read by the payloads
	HELD_PORTS=$(sed -n 's/^# fill ok=\([0-9]*\).*/\1/p' /tmp/held.out)
}

# The errno that ended hold_ports' fill (EADDRNOTAVAIL when it took all).
held_err() {
	sed -n 's/^# fill ok=[0-9]* err=\([A-Z]*\).*/\1/p' /tmp/held.out
}

release_ports() {
	kill "$(cat /tmp/held.pid)"
	wait "$HOLDER"
	HOLDER=
}

# Start one listener process for the given ADDR:PORTs (see portsel-tool
# listen); it accepts everything and holds each connection until the
# client closes it.
listener_start() {
	LISTENER_PID=$(portsel-tool listen -d "$@") || return 1
}

listener_stop() {
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
	LISTENER_PID=
}

# Move the kernel log into /tmp/kmsg.all (dmesg -r: with the <level>
# prefixes), so that a check can read everything since the boot.
kmsg_take() {
	dmesg -r -c >>/tmp/kmsg.all
}

# The lines of a kernel log (stdin) that mean the kernel or portsel went
# wrong: splats, and portsel's own messages at error level or worse. The
# debug kernel's checkers (scripts/debugtest.sh) start their reports
# with "WARNING:" or "BUG:" too (lockdep, "suspicious RCU usage",
# "sleeping function called from invalid context", KASAN, KFENCE); the
# rest are named: UBSAN, ODEBUG (debugobjects), list corruption. KCSAN
# (debugtest.sh --kcsan) also reports the kernel's own data races: its
# report, from "BUG: KCSAN:" to its closing rule, counts only when a
# line of it names portsel.
kmsg_bad() {
	awk '
		/BUG: KCSAN:/ { kcsan = 1; head = $0; ours = 0 }
		kcsan {
			# a frame of the module (not a task named portsel-...)
			if (/\[portsel\]|portsel_/)
				ours = 1
			if (/====================/) {
				if (ours)
					print head
				kcsan = 0
			}
			next
		}
		/WARNING:|BUG:|Oops|KASAN|KFENCE|UBSAN|ODEBUG|general protection|Call Trace|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|list_(add|del) corruption|^<[0-3]>(\[[^]]*\] *)?portsel/
	'
}

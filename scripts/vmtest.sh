#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# portsel's integration tests: boot Debian's kernel in qemu with portsel.ko
# and run scripts/guest/vmtest.sh inside. The verdict comes from the VM's
# result channel (a serial port), never from its console. The last line
# printed is "N passed, N failed"; the exit status is 0 only when every
# case passed.

set -euo pipefail

# Multi-threaded TCG now and then keeps executing a stale int3 on a vCPU
# after the kernel has patched __inet_hash_connect's ftrace site back (a
# soft lockup in the stress case, 3 runs in 12, never on one thread). The
# tests load and unload portsel under connect load dozens of times: run
# both vCPUs on one host thread. The benchmarks keep multi-threaded TCG.
PORTSEL_VM_ACCEL=${PORTSEL_VM_ACCEL:-tcg,thread=single}
# The whole list takes 4-7 minutes under TCG (rt-amd64 the longest, its
# 50 stress cycles alone ~4 minutes) on a shared 2-core host.
PORTSEL_VM_TIMEOUT=${PORTSEL_VM_TIMEOUT:-900}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=vmtest

usage() {
	cat <<USAGE
Usage: scripts/vmtest.sh [--flavour FLAVOUR | --kdir KDIR] [--keep]
                         [--timeout SECS] [--stress-loads N]
                         [--case NAME]... [--help]

Boots the kernel portsel.ko was built for (/boot/vmlinuz-<abi>) in qemu
(TCG; PORTSEL_VM_ACCEL=kvm to opt in) and runs the integration tests.
Without --flavour or --kdir, build the module first (make module); the
kernel is the one of \$PORTSEL_MODULE (default ./portsel.ko).

  --flavour FLAVOUR  a Debian 12 kernel flavour: $PORTSEL_FLAVOURS.
                  Installs linux-image-FLAVOUR and linux-headers-FLAVOUR
                  (scripts/deps.sh), builds portsel in a scratch copy of
                  the sources against those headers (./portsel.ko is left
                  alone) and boots that kernel (make vmtest FLAVOUR=...)
  --kdir KDIR     build portsel in a scratch copy against the build tree
                  KDIR and boot its kernel (PORTSEL_VM_KERNEL and
                  PORTSEL_VM_MODDIR for one that is not installed;
                  PORTSEL_MAKE_FLAGS: more make arguments for the build)
  --keep          keep the work directory (console.log, result, initramfs)
  --timeout SECS  wall-clock limit for the VM (default $PORTSEL_VM_TIMEOUT)
  --stress-loads N  load/unload cycles of case stress (default
                  $STRESS_LOADS, at least 10); each cycle flips the
                  policy 100 times, reserve_odd and exhaust_hold_ms 25
  --case NAME     run only this case (repeatable); the kernel log check
                  always runs. Cases:
$(printf '%s\n' "${CASES[@]}" | paste -sd' ' | fold -s -w 56 | sed 's/^/                    /; s/ *$//')

The VM also gets Debian's perf and trace-cmd (with their libraries) and
a test module with a kprobe post_handler on __inet_hash_connect, built
here from scripts/guest/kprobe-post/ against the same headers.
USAGE
}

# The cases of scripts/guest/vmtest.sh, in the order they run: its
# run_case lines are the one list (kmemleak and dmesg-clean always run).
mapfile -t CASES < <(sed -n 's/^run_case \([a-z0-9-]*\) .*/\1/p' \
	"$PORTSEL_GUEST/vmtest.sh" | grep -vx -e kmemleak -e dmesg-clean)

known_case() {
	local c
	for c in "${CASES[@]}"; do
		[ "$c" = "$1" ] && return 0
	done
	return 1
}

# Load/unload cycles of case stress, 100 policy flips each.
STRESS_LOADS=50

keep=0
timeout=$PORTSEL_VM_TIMEOUT
cases=()
flavour=
build_kdir=
stress_loads=$STRESS_LOADS
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--keep) keep=1; shift ;;
	--flavour)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		portsel_flavour_check "$2" || exit 2
		flavour=$2; shift 2 ;;
	--kdir)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		[ -f "$2/Makefile" ] ||
			{ echo "vmtest.sh: --kdir: no kernel build tree at '$2'" >&2; exit 2; }
		build_kdir=$2; shift 2 ;;
	--stress-loads)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $2 in
		''|*[!0-9]*) echo "vmtest.sh: --stress-loads wants a number >= 10, not '$2'" >&2; exit 2 ;;
		esac
		[ "$2" -ge 10 ] ||
			{ echo "vmtest.sh: --stress-loads wants a number >= 10, not '$2'" >&2; exit 2; }
		stress_loads=$2; shift 2 ;;
	--timeout)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $2 in
		''|*[!0-9]*|0) echo "vmtest.sh: --timeout wants seconds > 0, not '$2'" >&2; exit 2 ;;
		esac
		timeout=$2; shift 2 ;;
	--case)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		known_case "$2" || { echo "vmtest.sh: no case '$2' (try --help)" >&2; exit 2; }
		cases+=(--arg "$2"); shift 2 ;;
	*) echo "vmtest.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
if [ -n "$flavour" ] && [ -n "$build_kdir" ]; then
	echo "vmtest.sh: --flavour and --kdir exclude each other" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/portsel-vmtest.XXXXXX")
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ "$keep" -eq 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# The result line of a run that never reached the VM.
setup_failed() {
	portsel_say "error: $*"
	echo "0 passed, 1 failed"
	exit 1
}

if [ -n "$flavour" ]; then
	"$PORTSEL_ROOT/scripts/deps.sh" --flavour "$flavour" ||
		setup_failed "cannot install the $flavour kernel"
	abi=$(portsel_flavour_abi "$flavour") ||
		setup_failed "no headers of flavour $flavour"
	build_kdir=/usr/src/linux-headers-$abi
	[ "$(portsel_abi "$build_kdir")" = "$abi" ] ||
		setup_failed "$build_kdir is not the tree of $abi"
	portsel_say "flavour $flavour: kernel $abi"
fi
# portsel from a scratch copy of its sources (those dkms gets), so that
# the checkout's own portsel.ko stays the default kernel's.
if [ -n "$build_kdir" ]; then
	"$PORTSEL_ROOT/scripts/dkms-source.sh" "$work/portsel" >/dev/null ||
		setup_failed "cannot copy the sources"
	portsel_say "building portsel against $build_kdir"
	# shellcheck disable=SC2086 # PORTSEL_MAKE_FLAGS: one word per argument
	make -C "$build_kdir" M="$work/portsel" ${PORTSEL_MAKE_FLAGS:-} \
		modules >"$work/portsel-build.log" 2>&1 || {
		tail -n 20 "$work/portsel-build.log" >&2
		setup_failed "portsel does not build against $build_kdir"
	}
	PORTSEL_MODULE=$work/portsel/portsel.ko
	KDIR=$build_kdir
fi
printf 'STRESS_LOADS=%s\n' "$stress_loads" >"$work/vmtest.conf"

# The second IPMODIFY owner of case ipmodify-owner, built against the
# headers portsel.ko was built with; and the real tracing tools of case
# trace-tools, run from the host's Debian packages.
files=(--file "$work/vmtest.conf")
kdir=${KDIR:-/usr/src/linux-headers-$(portsel_vm_abi)}
[ -d "$kdir" ] || kdir=$(portsel_kdir)
mkdir "$work/kprobe-post"
cp "$PORTSEL_GUEST/kprobe-post/Kbuild" "$PORTSEL_GUEST/kprobe-post/kprobe_post.c" \
	"$work/kprobe-post/"
if make -s -C "$kdir" M="$work/kprobe-post" modules >"$work/kprobe-post.log" 2>&1; then
	files+=(--file "$work/kprobe-post/kprobe_post.ko")
else
	portsel_say "could not build kprobe_post.ko (case ipmodify-owner fails):"
	tail -n 5 "$work/kprobe-post.log" >&2
fi
PORTSEL_VM_BINS="${PORTSEL_VM_BINS:+$PORTSEL_VM_BINS }/usr/bin/perf /usr/bin/trace-cmd"
# DCCP for case memory-dccp (its own port space)
PORTSEL_VM_KMODS="${PORTSEL_VM_KMODS:+$PORTSEL_VM_KMODS }dccp dccp_ipv4"

vm_ok=0
portsel_vm_run --timeout "$timeout" ${cases[@]+"${cases[@]}"} \
	${files[@]+"${files[@]}"} "$work" "$PORTSEL_GUEST/vmtest.sh" || vm_ok=$?

# The verdict: the guest's own summary when it got that far, else what
# the cases reported before the VM stopped, plus one failure for the stop.
portsel_vm_result "$work" "$work/result.txt"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/result.txt" |
	tail -n 1 || true)
passed=$(grep -c '^ok ' "$work/result.txt" || true)
failed=$(grep -c '^not ok ' "$work/result.txt" || true)

if [ -z "$PORTSEL_VM_END" ]; then
	portsel_say "could not set the VM up"
	summary="0 passed, 1 failed"
	vm_ok=1
elif [ "$PORTSEL_VM_END" != exit ] || [ -z "$summary" ]; then
	portsel_say "the VM stopped before the tests ended" \
		"($PORTSEL_VM_END); console tail:"
	portsel_vm_console_tail "$work" 60 >&2
	summary="$passed passed, $((failed + 1)) failed"
	vm_ok=1
elif [ "$vm_ok" -ne 0 ] || [ "$failed" -ne 0 ]; then
	portsel_say "console tail:"
	portsel_vm_console_tail "$work" 40 >&2
	reports=$(portsel_vm_console_reports "$work")
	if [ -n "$reports" ]; then
		portsel_say "the kernel's reports on the console:"
		echo "$reports" >&2
	fi
	grep '^not ok ' "$work/result.txt" >&2 || true
	vm_ok=1
fi

[ "$keep" -eq 0 ] || portsel_say "kept $work"
echo "$summary"
exit "$vm_ok"

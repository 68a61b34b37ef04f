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
Usage: scripts/vmtest.sh [--target NAME | --flavour FLAVOUR | --kdir KDIR]
                         [--keep] [--timeout SECS] [--stress-loads N]
                         [--core] [--case NAME]... [--help]

Boots the kernel portsel.ko was built for (/boot/vmlinuz-<abi>) in qemu
(TCG; PORTSEL_VM_ACCEL=kvm to opt in) and runs the integration tests.
Without --target, --flavour or --kdir, build the module first (make
module); the kernel is the one of \$PORTSEL_MODULE (default ./portsel.ko).

  --target NAME   a row of scripts/targets: $(portsel_targets | paste -sd' ' | fold -s -w 50 | sed '2,$s/^/                  /')
                  Its kernel is installed (the host's own suite) or
                  fetched into the cache (any other), portsel is built
                  for it in a scratch copy of the sources (./portsel.ko is
                  left alone) and that kernel boots (make vmtest TARGET=...)
  --flavour FLAVOUR  the same as --target bookworm-FLAVOUR, for a Debian 12
                  flavour: $PORTSEL_FLAVOURS
  --kdir KDIR     build portsel in a scratch copy against the build tree
                  KDIR and boot its kernel (PORTSEL_VM_KERNEL and
                  PORTSEL_VM_MODDIR for one that is not installed;
                  PORTSEL_MAKE_FLAGS: more make arguments for the build;
                  PORTSEL_KDIR_CHROOT: a chroot of scripts/lib/targets.sh
                  whose compiler built KDIR, which sees KDIR and its
                  sources at their own paths)
  --keep          keep the work directory (console.log, result, initramfs)
  --timeout SECS  wall-clock limit for the VM (default $PORTSEL_VM_TIMEOUT,
                  twice that for an arm64 target)
  --stress-loads N  load/unload cycles of case stress (default
                  $STRESS_LOADS, at least 1); each cycle flips the
                  policy 100 times, reserve_odd and exhaust_hold_ms 25
  --core          the core cases only ($CORE_CASES),
                  with --stress-loads $CORE_STRESS_LOADS unless given
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
# What every target of make check passes at least (--core): loading,
# every policy connecting, the memory's refill and exactness, netns, the
# busy set, load/unload under load with flips; the kernel log always.
CORE_CASES="load even-first-default history-policies memory-refill \
memory-release-other-key release-trace memory-after-switch busy-set-device \
netns stress kernel-and-rmmod"
CORE_STRESS_LOADS=10

keep=0
timeout=$PORTSEL_VM_TIMEOUT
cases=()
target=
build_kdir=
stress_loads=
core=0
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--keep) keep=1; shift ;;
	--target)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		portsel_target "$2" || exit 2
		target=$2; shift 2 ;;
	--flavour)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		portsel_flavour_check "$2" || exit 2
		target=$(portsel_flavour_target "$2"); shift 2 ;;
	--core) core=1; shift ;;
	--kdir)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		[ -f "$2/Makefile" ] ||
			{ echo "vmtest.sh: --kdir: no kernel build tree at '$2'" >&2; exit 2; }
		build_kdir=$2; shift 2 ;;
	--stress-loads)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $2 in
		''|*[!0-9]*|0*) echo "vmtest.sh: --stress-loads wants a number >= 1, not '$2'" >&2; exit 2 ;;
		esac
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
if [ -n "$target" ] && [ -n "$build_kdir" ]; then
	echo "vmtest.sh: --target (or --flavour) and --kdir exclude each other" >&2
	exit 2
fi
if [ "$core" -eq 1 ]; then
	for c in $CORE_CASES; do
		cases+=(--arg "$c")
	done
	stress_loads=${stress_loads:-$CORE_STRESS_LOADS}
fi
stress_loads=${stress_loads:-$STRESS_LOADS}

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

if [ -n "$target" ]; then
	portsel_target_use "$target" ||
		setup_failed "cannot get the kernel of target $target"
	# emulating arm64 takes about twice as long (50 stress cycles: 15 min)
	if [ "$T_ARCH" != amd64 ] && [ "$timeout" = "$PORTSEL_VM_TIMEOUT" ]; then
		timeout=$((timeout * 2))
	fi
elif [ -n "$build_kdir" ]; then
	T_KDIR=$build_kdir T_CHROOT=${PORTSEL_KDIR_CHROOT:-}
	if [ -n "$T_CHROOT" ]; then
		T_KDIR=$(readlink -f "$build_kdir")
		T_CHROOT_BINDS=("$T_KDIR")
		[ ! -e "$T_KDIR/source" ] ||
			T_CHROOT_BINDS+=("$(readlink -f "$T_KDIR/source")")
	fi
fi
# portsel from a scratch copy of its sources (those dkms gets), so that
# the checkout's own portsel.ko stays the default kernel's.
if [ -n "$target$build_kdir" ]; then
	portsel_say "building portsel against $T_KDIR"
	# shellcheck disable=SC2086 # PORTSEL_MAKE_FLAGS: one word per argument
	portsel_target_build "$work/portsel" ${PORTSEL_MAKE_FLAGS:-} ||
		setup_failed "portsel does not build against $T_KDIR"
	PORTSEL_MODULE=$work/portsel/portsel.ko
fi
printf 'STRESS_LOADS=%s\n' "$stress_loads" >"$work/vmtest.conf"

# The second IPMODIFY owner of case ipmodify-owner, built against the
# headers portsel.ko was built with; and the real tracing tools of case
# trace-tools, run from the host's Debian packages.
files=(--file "$work/vmtest.conf")
if [ -z "$target$build_kdir" ]; then
	T_KDIR=/usr/src/linux-headers-$(portsel_vm_abi) T_CHROOT=
	[ -d "$T_KDIR" ] || T_KDIR=$(portsel_kdir)
fi
mkdir "$work/kprobe-post"
cp "$PORTSEL_GUEST/kprobe-post/Kbuild" "$PORTSEL_GUEST/kprobe-post/kprobe_post.c" \
	"$work/kprobe-post/"
if portsel_target_make "$work/kprobe-post" -s modules >"$work/kprobe-post.log" 2>&1; then
	files+=(--file "$work/kprobe-post/kprobe_post.ko")
else
	portsel_say "could not build kprobe_post.ko (case ipmodify-owner fails):"
	tail -n 5 "$work/kprobe-post.log" >&2
fi
PORTSEL_VM_BINS="${PORTSEL_VM_BINS:+$PORTSEL_VM_BINS }/usr/bin/perf /usr/bin/trace-cmd"
# DCCP for case memory-dccp (its own port space), where the kernel has it
PORTSEL_VM_KMODS="${PORTSEL_VM_KMODS:+$PORTSEL_VM_KMODS }dccp? dccp_ipv4?"

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

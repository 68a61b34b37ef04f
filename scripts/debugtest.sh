#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make debugtest: the test VM's cases (scripts/vmtest.sh) on a debug
# kernel built here from Debian's own 6.1 source, with lockdep, KASAN,
# KFENCE, UBSAN, debugobjects, list debugging and kmemleak; with --kcsan
# on a second one with lockdep and KCSAN instead (the two sanitizers
# exclude each other). Any report of theirs in the kernel log fails a
# case (kmsg_bad in scripts/guest/lib.sh; a KCSAN report only when it
# names portsel); kmemleak is scanned once at the end (case kmemleak).
#
# A kernel: x86_64_defconfig plus scripts/debug.config and the variant's
# debug-kasan.config or debug-kcsan.config, built once and cached in
# ${PORTSEL_CACHE}/debug/<linux-source version>-<variant>-<hash of the
# two>/ (build/ is the O= tree portsel is built against, mods/ its
# modules_install). The source tree is the pristine extraction that
# scripts/kunit.sh keeps (kunit/src-<version>/), extracted here if absent.

set -euo pipefail

# KASAN's shadow is an eighth of the memory, lockdep's tables some more.
# Set before lib/host.sh, which has a default of its own.
PORTSEL_VM_MEM=${PORTSEL_VM_MEM:-3072}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=debugtest

TARBALL=/usr/src/linux-source-6.1.tar.xz
TREE_NAME=linux-source-6.1
COMMON=$PORTSEL_ROOT/scripts/debug.config
# Load/unload cycles of case stress: 25 (100 policy flips each), not the
# 50 of the production kernels: a cycle takes ~9 s on this kernel.
STRESS_LOADS=25
# Measured on a shared 2-core host: the VM ran the whole list in 948 s
# (814 s with 10 stress cycles; Debian's kernels: 3-7 minutes).
TIMEOUT=2400

usage() {
	cat <<USAGE
Usage: scripts/debugtest.sh [--kcsan] [--self-check] [--build-only] [--keep]
                            [--timeout SECS] [--help]

Builds (once) a debug kernel from $TARBALL:
x86_64_defconfig plus scripts/debug.config (lockdep with PROVE_RCU and
DEBUG_ATOMIC_SLEEP, generic KASAN, KFENCE, UBSAN bounds, DEBUG_LIST,
DEBUG_OBJECTS, kmemleak), checks that every option asked for is set,
builds portsel against it and boots it in qemu with the whole vmtest
case list ($STRESS_LOADS stress cycles) and a kmemleak scan at the end. Any
lockdep, RCU, atomic-sleep, KASAN, KFENCE, UBSAN, debugobjects or
list report in the kernel log, or a kmemleak report naming portsel,
fails the run. The last line is "N passed, N failed".

  --kcsan         a second kernel instead: x86_64_defconfig plus
                  scripts/debug.config and scripts/debug-kcsan.config
                  (lockdep, DEBUG_ATOMIC_SLEEP and KCSAN, no KASAN); a
                  KCSAN data-race report fails the run when it names
                  portsel (the kernel's own races are counted apart)
  --self-check    build portsel with PORTSEL_SELFTEST_DEBUG=y (module
                  init reads past a kmalloc()ed buffer and races on a
                  plain counter from two CPUs), run case load, and pass
                  only if the tier catches KASAN's report (KCSAN's with
                  --kcsan)
  --build-only    build (or find in the cache) the kernel and stop
  --keep          keep the VM's work directory
  --timeout SECS  wall-clock limit for the VM (default $TIMEOUT)
  -h, --help      this text

The first build takes a long time on 2 cores (see README, Tests); it is
cached in \$PORTSEL_CACHE/debug (default ~/.cache/portsel/debug) and a
later run only builds portsel.
USAGE
}

self_check=0
variant=kasan
build_only=0
keep=()
timeout=$TIMEOUT
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--self-check) self_check=1; shift ;;
	--kcsan) variant=kcsan; shift ;;
	--build-only) build_only=1; shift ;;
	--keep) keep=(--keep); shift ;;
	--timeout)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $2 in
		''|*[!0-9]*|0) echo "debugtest.sh: --timeout wants seconds > 0, not '$2'" >&2; exit 2 ;;
		esac
		timeout=$2; shift 2 ;;
	*) echo "debugtest.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done

fail_run() {
	portsel_say "error: $*"
	echo "0 passed, 1 failed"
	exit 1
}

"$PORTSEL_ROOT/scripts/deps.sh" || fail_run "scripts/deps.sh failed"
[ -f "$TARBALL" ] || fail_run "$TARBALL is missing (package linux-source-6.1)"
version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
src=$PORTSEL_CACHE/kunit/src-$version
ksrc=$src/$TREE_NAME
FRAGMENT=$PORTSEL_ROOT/scripts/debug-$variant.config
key=$version-$variant-$(cat "$COMMON" "$FRAGMENT" | sha1sum | cut -c1-12)
dir=$PORTSEL_CACHE/debug/$key
build=$dir/build
mods=$dir/mods
mkdir -p "$PORTSEL_CACHE/kunit" "$dir"

# One build of this kernel at a time.
exec 9>"$dir/lock"
if ! flock -n 9; then
	portsel_say "waiting for another run building $dir"
	flock 9
fi

# The pristine tree (scripts/lib/host.sh), never written to.
portsel_linux_source "$src" || fail_run "no kernel source tree in $src"

# Every CONFIG_X=y of the fragment must be =y in .config, every "# X is
# not set" unset: olddefconfig drops what a dependency refuses.
check_config() {
	local line sym bad=0

	while IFS= read -r line; do
		case $line in
		CONFIG_*=y)
			grep -qxF "$line" "$build/.config" || {
				portsel_say "error: $line did not survive olddefconfig (a dependency missing?)"
				bad=1
			} ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$build/.config"; then
				portsel_say "error: $sym is set, though debug.config unsets it"
				bad=1
			fi ;;
		esac
	done < <(cat "$COMMON" "$FRAGMENT")
	return "$bad"
}

# make, its output in a log, a progress line every minute.
logged_make() {
	local log=$1 t0 pid rc=0 n=0
	shift
	t0=$(date +%s)
	make "$@" >>"$log" 2>&1 &
	pid=$!
	trap 'kill "$pid" 2>/dev/null; exit 130' INT TERM
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		if [ $((n += 5)) -ge 60 ]; then
			n=0
			portsel_say "  building ($(($(date +%s) - t0))s): $(tail -n 1 "$log" | cut -c1-70)"
		fi
	done
	wait "$pid" || rc=$?
	trap - INT TERM
	return "$rc"
}

if [ ! -f "$dir/built" ]; then
	t0=$(date +%s)
	portsel_say "building the debug kernel in $build (once per source version and debug.config; long on 2 cores)"
	mkdir -p "$build"
	: >"$dir/build.log"
	make -s -C "$ksrc" O="$build" x86_64_defconfig >>"$dir/build.log" 2>&1 ||
		fail_run "defconfig failed; log: $dir/build.log"
	cat "$COMMON" "$FRAGMENT" >>"$build/.config"
	make -s -C "$build" olddefconfig >>"$dir/build.log" 2>&1 ||
		fail_run "olddefconfig failed; log: $dir/build.log"
	check_config || fail_run "the debug config is not what scripts/debug.config asks for"
	logged_make "$dir/build.log" -C "$build" -j"$(nproc)" bzImage modules ||
		fail_run "the kernel build failed; log: $dir/build.log"
	rm -rf "$mods"
	make -s -C "$build" INSTALL_MOD_PATH="$mods" modules_install \
		>>"$dir/build.log" 2>&1 ||
		fail_run "modules_install failed; log: $dir/build.log"
	echo "built in $(($(date +%s) - t0))s" >"$dir/built"
	portsel_say "kernel $(cat "$dir/built")"
else
	portsel_say "debug kernel from the cache: $dir ($(cat "$dir/built"))"
fi
check_config || fail_run "the cached debug config is not what scripts/debug.config asks for"
release=$(cat "$build/include/config/kernel.release")
[ "$build_only" -eq 0 ] || { portsel_say "kernel $release ready"; exit 0; }

export PORTSEL_VM_KERNEL=$build/arch/x86/boot/bzImage
export PORTSEL_VM_MODDIR=$mods/lib/modules/$release
export PORTSEL_VM_MEM
# A report must not stop the run at the first one: every case runs and
# says which saw it, and kmemleak is scanned at the end. An Oops still
# panics (oops=panic). KASAN reports only its first finding unless told
# otherwise: kasan_multi_shot, so that no earlier report hides portsel's
# (the KCSAN kernel ignores it).
export PORTSEL_VM_APPEND="${PORTSEL_VM_APPEND:+$PORTSEL_VM_APPEND }panic_on_warn=0 kasan_multi_shot"
# Without 5-level paging: with it, one boot of four had KASAN report
# "wild-memory-access in do_raw_spin_lock" on a valid ff11... direct-map
# address in an interrupt during identify_boot_cpu(), probably while
# identify_cpu() had LA57 cleared from the boot CPU's features (a guess,
# not verified). A later -cpu wins over lib/vm.sh's.
export PORTSEL_VM_QEMU_ARGS="${PORTSEL_VM_QEMU_ARGS:+$PORTSEL_VM_QEMU_ARGS }-cpu max,la57=off"

if [ "$self_check" -eq 0 ]; then
	exec "$PORTSEL_ROOT/scripts/vmtest.sh" --kdir "$build" \
		--timeout "$timeout" --stress-loads "$STRESS_LOADS" ${keep[@]+"${keep[@]}"}
fi

# The self-check: the deliberate bugs must fail the run, and the report of
# the variant's checker naming portsel must be what failed it.
case $variant in
kasan) caught='KASAN: slab-out-of-bounds in portsel_selftest_debug'
	what='out-of-bounds read' ;;
kcsan) caught='KCSAN: data-race in portsel_selftest_'
	what='data race' ;;
esac
log=$(mktemp "${TMPDIR:-/tmp}/portsel-debugtest.XXXXXX")
trap 'rm -f "$log"' EXIT
portsel_say "self-check: portsel with PORTSEL_SELFTEST_DEBUG=y; the run must fail"
rc=0
PORTSEL_MAKE_FLAGS=PORTSEL_SELFTEST_DEBUG=y \
	"$PORTSEL_ROOT/scripts/vmtest.sh" --kdir "$build" --timeout "$timeout" \
	--case load ${keep[@]+"${keep[@]}"} 2>&1 | tee "$log" || rc=$?
if [ "$rc" -ne 0 ] &&
   grep -q "^not ok .*$caught" "$log"; then
	portsel_say "self-check: the deliberate $what was caught"
	echo "1 passed, 0 failed"
	exit 0
fi
portsel_say "self-check: the deliberate bug was NOT caught (status $rc)"
echo "0 passed, 1 failed"
exit 1

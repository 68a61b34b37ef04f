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
# --target NAME makes the kernel stand in for another amd64 row of
# scripts/targets: a 6.12 row's is built from Debian 13's 6.12 source
# with that row's compiler, an rt row's with PREEMPT_RT besides.
#
# A kernel: x86_64_defconfig plus scripts/debug.config, the variant's
# debug-kasan.config or debug-kcsan.config and, for an rt row,
# debug-rt.config (the last assignment of a symbol wins, in kconfig as
# in check_config below), built once and cached in
# ${PORTSEL_CACHE}/debug/<linux-source version>-<variant>[-rt][-<gcc of
# the chroot>]-<hash of the fragments>/ (build/ is the O= tree portsel is
# built against, mods/ its modules_install). The source tree is the
# pristine extraction that scripts/kunit.sh keeps (kunit/src-<version>/),
# extracted here if absent; 6.12's tarball is fetched as kunit.sh
# --source 6.12 fetches it (portsel_source in scripts/lib/host.sh). A row
# whose modules are built in a chroot (the trixie rows: gcc-14) has this
# kernel built there too, the source tree and the cache directory
# mounted at their own paths inside (portsel_chroot_argv), and
# build/.kernelvariables naming the compiler, as Debian's headers do, so
# that portsel's build against it uses that compiler as well.

set -euo pipefail

# KASAN's shadow is an eighth of the memory, lockdep's tables some more.
# Set before lib/host.sh, which has a default of its own.
PORTSEL_VM_MEM=${PORTSEL_VM_MEM:-3072}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=debugtest

COMMON=$PORTSEL_ROOT/scripts/debug.config
RT_FRAGMENT=$PORTSEL_ROOT/scripts/debug-rt.config
DEFAULT_TARGET=bookworm-amd64
# Load/unload cycles of case stress: 25 (100 policy flips each), not the
# 50 of the production kernels: a cycle takes ~9 s on this kernel.
STRESS_LOADS=25
# Measured on a shared 2-core host: the VM ran the whole list in 948 s
# (814 s with 10 stress cycles; Debian's kernels: 3-7 minutes). An rt
# row's kernel gets twice that: on 6.12 PREEMPT_RT with KASAN and lockdep
# the cases before stress took 2010 s and a stress cycle about a minute
# (beside a second VM), and 2400 s ended the run in case stress.
TIMEOUT=2400

# The rows a debug kernel can stand in for: the amd64 ones
# (x86_64_defconfig).
amd64_targets() {
	local t

	for t in $(portsel_targets); do
		portsel_target "$t" && [ "$T_ARCH" = amd64 ] && echo "$t"
	done
}

usage() {
	cat <<USAGE
Usage: scripts/debugtest.sh [--target NAME] [--kcsan] [--self-check]
                            [--build-only] [--keep] [--timeout SECS] [--help]

Builds (once) a debug kernel from /usr/src/linux-source-6.1.tar.xz:
x86_64_defconfig plus scripts/debug.config (lockdep with PROVE_RCU and
DEBUG_ATOMIC_SLEEP, generic KASAN, KFENCE, UBSAN bounds, DEBUG_LIST,
DEBUG_OBJECTS, kmemleak), checks that every option asked for is set,
builds portsel against it and boots it in qemu with the whole vmtest
case list ($STRESS_LOADS stress cycles) and a kmemleak scan at the end. Any
lockdep, RCU, atomic-sleep, KASAN, KFENCE, UBSAN, debugobjects or
list report in the kernel log, or a kmemleak report naming portsel,
fails the run. The last line is "N passed, N failed".

  --target NAME   the row of scripts/targets the kernel stands in for
                  (default $DEFAULT_TARGET), one of the amd64 rows:
                  $(amd64_targets | paste -sd' ' | fold -s -w 58 | sed 's/ *$//; 2,$s/^/                  /')
                  A bookworm row: the kernel above (one for all of
                  them). bookworm-backports-amd64 and the trixie rows:
                  the same from Debian 13's linux-source-6.12 (fetched
                  into the cache as scripts/kunit.sh --source 6.12 does)
                  with the row's compiler: the host's gcc-12, or gcc-14
                  in the cached trixie chroot. An rt row adds
                  scripts/debug-rt.config, PREEMPT_RT (mainline since
                  6.12), and keeps lockdep and DEBUG_ATOMIC_SLEEP: where
                  spinlocks sleep, these catch portsel sleeping in
                  atomic context. bookworm-rt-amd64 is refused: Debian
                  12's linux-source-6.1 does not carry the RT patches
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
  --timeout SECS  wall-clock limit for the VM (default $TIMEOUT, twice that
                  for an rt row)
  -h, --help      this text

The first build takes a long time on 2 cores (see README, Tests); it is
cached in \$PORTSEL_CACHE/debug (default ~/.cache/portsel/debug), one
kernel per source version, variant, compiler and fragments, and a
later run only builds portsel.
USAGE
}

target=$DEFAULT_TARGET
self_check=0
variant=kasan
build_only=0
keep=()
timeout=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--target)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		target=$2; shift 2 ;;
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

# The row: its source series, its compiler (T_BUILD: the host's, or a
# chroot's) and whether it is PREEMPT_RT. Refused before anything is
# fetched or built.
portsel_target "$target" || exit 2
if [ "$T_ARCH" != amd64 ]; then
	echo "debugtest.sh: --target $target: the debug kernels are amd64 only (x86_64_defconfig); the amd64 targets: $(amd64_targets | paste -sd' ')" >&2
	exit 2
fi
case $T_SUITE in
bookworm) series=6.1 ;;
bookworm-backports|trixie) series=6.12 ;;
*) echo "debugtest.sh: --target $target: no linux-source series known for suite $T_SUITE" >&2
	exit 2 ;;
esac
rt=0
case $T_FLAVOUR in
rt-*) rt=1 ;;
esac
[ -n "$timeout" ] || timeout=$((TIMEOUT * (rt + 1)))
if [ "$rt" -eq 1 ] && [ "$series" = 6.1 ]; then
	cat >&2 <<MSG
debugtest.sh: --target $target: Debian 12's linux-source-6.1 cannot make a
PREEMPT_RT kernel: it carries Debian's patches but not the RT patch set,
which Debian applies only to build its rt-amd64 flavour (in its tree no
architecture selects ARCH_SUPPORTS_RT, so CONFIG_PREEMPT_RT cannot be
set). PREEMPT_RT is mainline since 6.12: --target trixie-rt-amd64 builds
the RT debug kernel from Debian 13's linux-source-6.12.
MSG
	exit 2
fi

fail_run() {
	portsel_say "error: $*"
	echo "0 passed, 1 failed"
	exit 1
}

"$PORTSEL_ROOT/scripts/deps.sh" || fail_run "scripts/deps.sh failed"
portsel_source "$series" || fail_run "no linux-source-$series"
version=$S_VERSION
tarball=$S_TARBALL
src=$PORTSEL_CACHE/kunit/src-$version
ksrc=$src/$(basename "$tarball" .tar.xz)
FRAGMENT=$PORTSEL_ROOT/scripts/debug-$variant.config
fragments=("$COMMON" "$FRAGMENT")
if [ "$rt" -eq 1 ]; then
	fragments+=("$RT_FRAGMENT")
	variant=$variant-rt
fi
# A row whose modules are built in a chroot (the build column of
# scripts/targets): the compiler its headers depend on builds this
# kernel, and the cache key names it (the host's gcc-12 goes unnamed).
T_CHROOT=
cc_tag=
if [ "$T_BUILD" != host ]; then
	if ! portsel_target_apt || ! portsel_target_abi; then
		fail_run "cannot find the compiler of target $target"
	fi
	cc_tag=-$T_GCC
fi
key=$version-$variant$cc_tag-$(cat "${fragments[@]}" | sha1sum | cut -c1-12)
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
portsel_linux_source "$src" "$tarball" || fail_run "no kernel source tree in $src"

# make: here, or in the row's chroot, which sees the source tree and
# $dir at their own paths.
kmake=(make)
if [ "$T_BUILD" != host ]; then
	portsel_chroot "$T_BUILD" "$T_GCC" ||
		fail_run "no $T_BUILD chroot with $T_GCC"
	T_CHROOT_BINDS=("$src" "$dir")
	portsel_chroot_argv
	kmake=("${T_CHROOT_ARGV[@]}" make)
fi

# The fragments' assignments, the last one of each symbol, as kconfig
# takes them (debug-rt.config unsets debug.config's CONFIG_PREEMPT).
assignments() {
	awk '
		/^CONFIG_[A-Za-z0-9_]+=/ { sym = substr($0, 1, index($0, "=") - 1) }
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { sym = $2 }
		sym != "" {
			if (!(sym in last))
				order[n++] = sym
			last[sym] = $0
			sym = ""
		}
		END { for (i = 0; i < n; i++) print last[order[i]] }' "${fragments[@]}"
}

# Every CONFIG_X=y of the fragments must be =y in .config, every "# X is
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
				portsel_say "error: $sym is set, though the fragments unset it"
				bad=1
			fi ;;
		esac
	done < <(assignments)
	return "$bad"
}

# A command (make, here or in the chroot), its output in a log, a
# progress line every minute.
logged_make() {
	local log=$1 t0 pid rc=0 n=0
	shift
	t0=$(date +%s)
	"$@" >>"$log" 2>&1 &
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

portsel_say "target $target: $(basename "$ksrc") $version, $variant${cc_tag:+, ${cc_tag#-} in $T_CHROOT}: $dir"
if [ ! -f "$dir/built" ]; then
	t0=$(date +%s)
	portsel_say "building the debug kernel in $build (once per source version and debug.config; long on 2 cores)"
	mkdir -p "$build"
	if [ -n "$T_CHROOT" ]; then
		portsel_chroot_kernel || fail_run "$T_CHROOT cannot build a kernel"
		# The compiler, for this build and every later one against it
		# (portsel's): Debian's top Makefile reads .kernelvariables
		# from the build tree, as its linux-headers packages have it.
		printf 'CC = %s\nHOSTCC = %s\n' "$T_GCC" "$T_GCC" >"$build/.kernelvariables"
	fi
	: >"$dir/build.log"
	"${kmake[@]}" -s -C "$ksrc" O="$build" x86_64_defconfig >>"$dir/build.log" 2>&1 ||
		fail_run "defconfig failed; log: $dir/build.log"
	cat "${fragments[@]}" >>"$build/.config"
	"${kmake[@]}" -s -C "$build" olddefconfig >>"$dir/build.log" 2>&1 ||
		fail_run "olddefconfig failed; log: $dir/build.log"
	check_config || fail_run "the debug config is not what the fragments ask for"
	logged_make "$dir/build.log" "${kmake[@]}" -C "$build" -j"$(nproc)" bzImage modules ||
		fail_run "the kernel build failed; log: $dir/build.log"
	rm -rf "$mods"
	"${kmake[@]}" -s -C "$build" INSTALL_MOD_PATH="$mods" modules_install \
		>>"$dir/build.log" 2>&1 ||
		fail_run "modules_install failed; log: $dir/build.log"
	echo "built in $(($(date +%s) - t0))s" >"$dir/built"
	portsel_say "kernel $(cat "$dir/built")"
else
	portsel_say "debug kernel from the cache: $dir ($(cat "$dir/built"))"
fi
check_config || fail_run "the cached debug config is not what the fragments ask for"
release=$(cat "$build/include/config/kernel.release")
[ "$build_only" -eq 0 ] || { portsel_say "kernel $release ready"; exit 0; }

export PORTSEL_VM_KERNEL=$build/arch/x86/boot/bzImage
export PORTSEL_VM_MODDIR=$mods/lib/modules/$release
export PORTSEL_VM_MEM
# portsel and the test's helper module built with the kernel's compiler
export PORTSEL_KDIR_CHROOT=$T_CHROOT
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
kasan*) caught='KASAN: slab-out-of-bounds in portsel_selftest_debug'
	what='out-of-bounds read' ;;
kcsan*) caught='KCSAN: data-race in portsel_selftest_'
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

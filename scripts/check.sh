#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every tier a contributor keeps green, in order, each ending
# with its own "N passed, N failed"; the last line adds them all up.

set -euo pipefail

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"

usage() {
	cat <<USAGE
Usage: scripts/check.sh [--help]

Runs, in order: dependency install (scripts/deps.sh), then the tiers:
the W=1 module build (for the 6.12 and arm64 targets too), the build-time checks refusing a wrong
prototype or config (scripts/build-fail.sh), checkpatch, sparse, shellcheck,
the unit tests of the compare and bench analysis (scripts/report-test.sh), the DKMS and
Debian package test, the .deb installed, rebooted and purged in a booted
Debian 12 (scripts/systemtest.sh), KUnit under UML built from Debian's
6.1 and 6.12 sources (scripts/kunit.sh, --source 6.12),
the test VM (scripts/vmtest.sh) on every target of scripts/targets
(the whole case list on bookworm-amd64, 20 stress cycles, and
trixie-arm64, the core cases on the others; 5 cycles on the other amd64
targets, 3 on the emulated arm64 ones), and a smoke run of make
compare (scripts/compare.sh --smoke). make matrix (scripts/matrix.sh)
holds what does not fit: every case on every target, and the system
test of each Debian release. Each tier's output is shown; the last line is the sum, "N
passed, N failed". Exits non-zero if any tier failed.

The tiers of lane 2 (the system test and the four trixie targets) build
in scratch copies and boot VMs of their own: they run beside the other
tiers (their output comes at the end), which on 2 cores takes about a
third off the wall time. PORTSEL_CHECK_LANES=1 runs every tier in turn.

The debug kernel tier (scripts/debugtest.sh, make debugtest) is not
run: its first kernel build alone is longer than make check's budget.
make check says so in a "debugtest: skipped" line, counted neither as a
pass nor as a failure.
USAGE
}

case "${1:-}" in
-h|--help) usage; exit 0 ;;
"") ;;
*) echo "check.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
t_start=$(date +%s)

scripts/deps.sh --flavour cloud-amd64 --flavour rt-amd64

# NAME:LANE:COMMAND. Lane 2 holds tiers that build in scratch copies of
# the sources and boot VMs of their own; it runs beside lane 1, which
# builds in the tree. On 2 cores that takes about a third off the wall
# time. PORTSEL_CHECK_LANES=1 runs every tier in turn instead.
# Every row of scripts/targets boots its kernel: the full case list on
# bookworm-amd64 (6.1, x86_64) with 20 load/unload cycles in case stress
# and on trixie-arm64 (6.12), the core cases (vmtest.sh --core) on the
# others with 5. A cycle's 100 flips start and stop the release trace
# (ftrace) a dozen times: 8-16 s under TCG on amd64, ~50 s on emulated
# arm64, where 3 cycles keep both arm64 tiers inside the 20-minute
# budget. make matrix runs every case, 50 cycles, everywhere.
FULL_STRESS_LOADS=20
CORE_STRESS_LOADS=5
ARM64_STRESS_LOADS=3
TIERS=(
	"build:1:scripts/build-w1.sh"
	"build-targets:1:scripts/build-w1.sh --target bookworm-backports-amd64 --target trixie-amd64 --target bookworm-arm64 --target trixie-arm64"
	"build-fail:1:scripts/build-fail.sh"
	"style:1:scripts/style.sh"
	"sparse:1:scripts/sparse.sh"
	"shellcheck:1:scripts/shellcheck.sh"
	"report:1:scripts/report-test.sh"
	"package:1:scripts/package-test.sh"
	"systemtest:2:scripts/systemtest.sh"
	"kunit:1:scripts/kunit.sh"
	"kunit-6.12:1:scripts/kunit.sh --source 6.12"
	"vmtest:1:scripts/vmtest.sh --stress-loads $FULL_STRESS_LOADS"
	"vmtest-trixie:2:scripts/vmtest.sh --target trixie-amd64 --core --stress-loads $CORE_STRESS_LOADS"
	"vmtest-trixie-arm64:2:scripts/vmtest.sh --target trixie-arm64 --stress-loads $ARM64_STRESS_LOADS"
	"vmtest-cloud:1:scripts/vmtest.sh --target bookworm-cloud-amd64 --core --stress-loads $CORE_STRESS_LOADS"
	"vmtest-backports:1:scripts/vmtest.sh --target bookworm-backports-amd64 --core --stress-loads $CORE_STRESS_LOADS"
	"vmtest-rt:1:scripts/vmtest.sh --target bookworm-rt-amd64 --core --stress-loads $CORE_STRESS_LOADS"
	"vmtest-arm64:1:scripts/vmtest.sh --target bookworm-arm64 --core --stress-loads $ARM64_STRESS_LOADS"
	"vmtest-trixie-cloud:2:scripts/vmtest.sh --target trixie-cloud-amd64 --core --stress-loads $CORE_STRESS_LOADS"
	"vmtest-trixie-rt:2:scripts/vmtest.sh --target trixie-rt-amd64 --core --stress-loads $CORE_STRESS_LOADS"
	"compare:1:scripts/compare.sh --smoke"
)
lanes=${PORTSEL_CHECK_LANES:-2}
case $lanes in
1|2) ;;
*) echo "check.sh: PORTSEL_CHECK_LANES must be 1 or 2, not '$lanes'" >&2; exit 2 ;;
esac

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run_tier NAME COMMAND: its output in $out/NAME.log (and on stdout with
# "tee"), its exit status in $out/NAME.rc, its wall time in $out/NAME.secs
run_tier() {
	local name=$1 cmd=$2 show=$3 t0 rc=0

	t0=$(date +%s)
	if [ "$show" = tee ]; then
		$cmd 2>&1 | tee "$out/$name.log" || rc=$?
	else
		$cmd >"$out/$name.log" 2>&1 || rc=$?
	fi
	echo "$rc" >"$out/$name.rc"
	echo $(($(date +%s) - t0)) >"$out/$name.secs"
}

# The counts of a finished tier: "PASS FAIL".
tier_counts() {
	portsel_tier_counts "$out/$1.log" "$(cat "$out/$1.rc")"
}

lane2=()
for tier in "${TIERS[@]}"; do
	IFS=: read -r name lane cmd <<<"$tier"
	if [ "$lanes" -eq 2 ] && [ "$lane" -eq 2 ]; then
		lane2+=("$name:$cmd")
	fi
done

# Lane 2 in the background: its output is shown when it is done.
lane2_pid=
if [ ${#lane2[@]} -gt 0 ]; then
	(
		for tier in "${lane2[@]}"; do
			name=${tier%%:*}
			echo "check: $name started beside the others (output at the end)"
			run_tier "$name" "${tier#*:}" quiet
			read -r p f < <(tier_counts "$name")
			echo "check: $name finished: $p passed, $f failed"
		done
	) &
	lane2_pid=$!
fi

for tier in "${TIERS[@]}"; do
	IFS=: read -r name lane cmd <<<"$tier"
	if [ "$lanes" -eq 2 ] && [ "$lane" -eq 2 ]; then
		continue
	fi
	echo "=== $name: $cmd"
	run_tier "$name" "$cmd" tee
done
if [ -n "$lane2_pid" ]; then
	wait "$lane2_pid" || true
	for tier in "${lane2[@]}"; do
		name=${tier%%:*}
		echo "=== $name: ${tier#*:} (ran beside the others)"
		cat "$out/$name.log"
	done
fi

total_pass=0
total_fail=0
summary=()
for tier in "${TIERS[@]}"; do
	IFS=: read -r name lane cmd <<<"$tier"
	if [ -f "$out/$name.rc" ]; then
		read -r p f < <(tier_counts "$name")
		secs=$(cat "$out/$name.secs")
	else
		p=0 f=1 secs=0
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$(portsel_tier_line 19 "$name" "$p" "$f" "$secs")")
done

echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "debugtest: skipped (run make debugtest)"
t=$(($(date +%s) - t_start))
echo "make check took $((t / 60)) min $((t % 60)) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

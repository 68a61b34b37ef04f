#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every tier a contributor keeps green, in order, each ending
# with its own "N passed, N failed"; the last line adds them all up.

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/check.sh [--help]

Runs, in order: dependency install (scripts/deps.sh), then the tiers:
the W=1 module build, the build-time checks refusing a wrong
prototype or config (scripts/build-fail.sh), checkpatch, sparse, shellcheck, the DKMS and
Debian package test, the .deb installed, rebooted and purged in a booted
Debian 12 (scripts/systemtest.sh), KUnit under UML (scripts/kunit.sh),
the test VM (scripts/vmtest.sh) on Debian's amd64 kernel, then on the
cloud-amd64 and rt-amd64 flavours (--flavour), and a smoke run of make
compare (scripts/compare.sh --smoke). Each tier's output is shown; the
last line is the sum, "N passed, N failed". Exits non-zero if any tier
failed.

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

TIERS=(
	"build:scripts/build-w1.sh"
	"build-fail:scripts/build-fail.sh"
	"style:scripts/style.sh"
	"sparse:scripts/sparse.sh"
	"shellcheck:scripts/shellcheck.sh"
	"package:scripts/package-test.sh"
	"systemtest:scripts/systemtest.sh"
	"kunit:scripts/kunit.sh"
	"vmtest:scripts/vmtest.sh"
	"vmtest-cloud:scripts/vmtest.sh --flavour cloud-amd64"
	"vmtest-rt:scripts/vmtest.sh --flavour rt-amd64"
	"compare:scripts/compare.sh --smoke"
)

total_pass=0
total_fail=0
summary=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for tier in "${TIERS[@]}"; do
	name=${tier%%:*}
	cmd=${tier#*:}
	echo "=== $name: $cmd"
	t0=$(date +%s)
	rc=0
	$cmd 2>&1 | tee "$log" || rc=$?
	secs=$(($(date +%s) - t0))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
	if [ -n "$line" ]; then
		read -r p _ f _ <<<"${line//,/}"
	else
		p=0
		f=0
	fi
	# a tier that failed without counting a failure still counts as one
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary+=("$(printf '%-12s %4d passed, %d failed  (%d:%02d)' "$name" "$p" "$f" \
		$((secs / 60)) $((secs % 60)))")
done

echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "debugtest: skipped (run make debugtest)"
t=$(($(date +%s) - t_start))
echo "make check took $((t / 60)) min $((t % 60)) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]

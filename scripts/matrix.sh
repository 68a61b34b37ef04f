#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make matrix: what make check leaves out to stay within its budget,
# run in turn: the whole VM case list on every row of scripts/targets,
# and the system test on every target it supports. Each run's output is
# shown; the last line adds them up, "N passed, N failed".

set -euo pipefail

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=matrix

usage() {
	cat <<USAGE
Usage: scripts/matrix.sh [--target NAME]... [--help]

Runs scripts/vmtest.sh (every case, 50 stress cycles) on each target of
scripts/targets, scripts/systemtest.sh --target on each target in
SYSTEMTEST_TARGETS ($SYSTEMTEST_TARGETS) and, with
--secure-boot, on $SECUREBOOT_TARGETS. Hours under TCG on 2
cores: make check runs the core cases on most targets and one system
test instead.

  --target NAME  only this target (repeatable)
USAGE
}

# The targets whose Debian the system test debootstraps and boots, and
# those it also boots under UEFI Secure Boot (--secure-boot). trixie-arm64:
# the architecture-independent .deb built by DKMS in an emulated arm64.
SYSTEMTEST_TARGETS="bookworm-amd64 trixie-amd64 trixie-arm64"
SECUREBOOT_TARGETS="bookworm-amd64 trixie-amd64"

targets=()
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--target)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		portsel_target "$2" || exit 2
		targets+=("$2"); shift 2 ;;
	*) echo "matrix.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(portsel_targets)

cd "$PORTSEL_ROOT"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
runs=()
for t in "${targets[@]}"; do
	runs+=("vmtest $t:scripts/vmtest.sh --target $t")
	case " $SYSTEMTEST_TARGETS " in
	*" $t "*) runs+=("systemtest $t:scripts/systemtest.sh --target $t") ;;
	esac
	case " $SECUREBOOT_TARGETS " in
	*" $t "*) runs+=("systemtest --secure-boot $t:scripts/systemtest.sh --target $t --secure-boot") ;;
	esac
done

pass=0 fail=0 summary=()
for r in "${runs[@]}"; do
	name=${r%%:*} cmd=${r#*:} rc=0
	portsel_say "=== $name: $cmd"
	t0=$(date +%s)
	$cmd 2>&1 | tee "$out/log" || rc=$?
	read -r p f < <(portsel_tier_counts "$out/log" "$rc")
	secs=$(($(date +%s) - t0))
	pass=$((pass + p)) fail=$((fail + f))
	summary+=("$(portsel_tier_line 34 "$name" "$p" "$f" "$secs")")
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

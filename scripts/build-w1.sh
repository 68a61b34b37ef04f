#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build portsel.ko from scratch with W=1 and fail on any compiler warning:
# against KDIR (the checkout's own build), or for each --target (a row of
# scripts/targets, built in a scratch copy with that target's compiler).
# Prints "N passed, N failed", one build each.

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/build-w1.sh [KDIR | --target NAME...] [--help]

A clean W=1 build of portsel.ko; any warning fails. Without arguments,
against KDIR (default: as scripts/lib/host.sh finds it) in the checkout;
with --target NAME (repeatable), for each target's kernel in a scratch
copy of the sources (./portsel.ko is left alone).
USAGE
}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=build
targets=()
kdir=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--target)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		portsel_target "$2" || exit 2
		targets+=("$2"); shift 2 ;;
	-*) portsel_say "unknown option '$1' (try --help)"; exit 2 ;;
	*) kdir=$1; shift ;;
	esac
done
log=$(mktemp)
work=$(mktemp -d "${TMPDIR:-/tmp}/portsel-build.XXXXXX")
trap 'rm -rf "$log" "$work"' EXIT

# check WHAT: the verdict on the build whose output is in $log
check() {
	if grep -E "warning:|error:" "$log"; then
		portsel_fail "$1" "warnings with W=1"
	else
		portsel_pass "$1" "no warnings"
	fi
}

if [ ${#targets[@]} -eq 0 ]; then
	kdir=${kdir:-$(portsel_kdir)}
	echo "build: portsel.ko against $kdir with W=1"
	make -s -C "$kdir" M="$PORTSEL_ROOT" clean
	if make -C "$kdir" M="$PORTSEL_ROOT" W=1 modules >"$log" 2>&1; then
		check "$kdir"
	else
		cat "$log"
		portsel_fail "$kdir" "does not build"
	fi
fi
for t in ${targets[@]+"${targets[@]}"}; do
	portsel_target "$t"
	if ! portsel_target_fetch; then
		portsel_fail "$t" "cannot get its kernel"
		continue
	fi
	rm -rf "$work/portsel"
	"$PORTSEL_ROOT/scripts/dkms-source.sh" "$work/portsel" >/dev/null
	echo "build: portsel.ko for $t ($T_ABI) with W=1"
	if portsel_target_make "$work/portsel" W=1 modules >"$log" 2>&1; then
		check "$t"
	else
		cat "$log"
		portsel_fail "$t" "does not build"
	fi
done
portsel_tally

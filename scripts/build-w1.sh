#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build portsel.ko from scratch with W=1 and fail on any compiler warning.
# Prints "1 passed, 0 failed" or "0 passed, 1 failed".

set -euo pipefail

case "${1:-}" in
-h|--help)
	echo "Usage: scripts/build-w1.sh [KDIR]  - clean W=1 build of portsel.ko; any warning fails"
	exit 0 ;;
esac

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
kdir=${1:-$(portsel_kdir)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "build: portsel.ko against $kdir with W=1"
make -s -C "$kdir" M="$PORTSEL_ROOT" clean
if ! make -C "$kdir" M="$PORTSEL_ROOT" W=1 modules >"$log" 2>&1; then
	cat "$log"
	echo "build: FAILED"
	echo "0 passed, 1 failed"
	exit 1
fi
if grep -E "warning:|error:" "$log"; then
	echo "build: warnings with W=1"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "build: ok, no warnings"
echo "1 passed, 0 failed"

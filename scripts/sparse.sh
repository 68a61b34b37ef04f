#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make sparse: build portsel with C=2 (sparse on every file) against KDIR
# and fail on any sparse diagnostic in portsel's own files. One test per
# module/*.[ch] file plus one for the build; ends with "N passed, N failed".

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/sparse.sh [--help] [KDIR]

Copies Kbuild and module/ to a scratch directory (so the tree and any
build running in it are left alone), builds there with C=2 against KDIR
(default: scripts/kdir.sh) and collects what sparse itself prints. A
module/ file passes when sparse reports nothing located in it. Sparse
reports located in the kernel's own headers are shown but do not fail.
USAGE
}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=sparse
portsel_operands_only usage "$@"
kdir=${1:-$(portsel_kdir)}
cd "$PORTSEL_ROOT"

if ! command -v sparse >/dev/null; then
	portsel_say "sparse is not installed; run scripts/deps.sh"
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/module" "$work/logs"
cp Kbuild "$work/src/"
cp module/*.[ch] module/Kbuild.core "$work/src/module/"

# kbuild runs $(CHECK) once per C file: keep each run's stderr, so what
# is counted is sparse's output and nothing the compiler said.
cat >"$work/sparse" <<'WRAP'
#!/bin/sh
sparse "$@" 2>"$PORTSEL_SPARSE_LOGS/$$"
WRAP
chmod +x "$work/sparse"
export PORTSEL_SPARSE_LOGS=$work/logs

echo "sparse: $(sparse --version) on portsel against $kdir"
# PORTSEL_SELFTEST_DEBUG=y adds module/selftest_debug.c (the debug
# tier's deliberate bug, see Kbuild), so that every module/*.c is checked.
if make -C "$kdir" M="$work/src" C=2 CHECK="$work/sparse" \
	PORTSEL_SELFTEST_DEBUG=y -j"$(nproc)" modules >"$work/build.log" 2>&1; then
	portsel_pass build
else
	cat "$work/build.log"
	portsel_fail build
fi

runs=$(find "$work/logs" -type f | wc -l)
cfiles=$(find module -maxdepth 1 -name '*.c' | wc -l)
if [ "$runs" -ne "$cfiles" ]; then
	portsel_fail "every module/*.c" "ran on $runs files, expected $cfiles"
fi

# Paths as the tree names them: module/x.c, not the scratch copy's.
find "$work/logs" -type f -exec cat {} + | sed "s|$work/src/||g" \
	>"$work/sparse.log"

for f in module/*.[ch]; do
	if grep -q "^$f:" "$work/sparse.log"; then
		grep -A2 "^$f:" "$work/sparse.log"
		portsel_fail "$f"
	else
		portsel_pass "$f"
	fi
done

other=$(grep -cvE '^(module/|[[:space:]])' "$work/sparse.log" || true)
if [ "$other" -gt 0 ]; then
	echo "sparse: $other reports outside portsel's files (kernel headers; not counted):"
	grep -vE '^(module/|[[:space:]])' "$work/sparse.log"
fi

portsel_tally

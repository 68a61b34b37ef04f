#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make style: checkpatch.pl --strict on every C file of the module and of
# the KUnit suites. One test per file; ends with "N passed, N failed".

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/style.sh [--help] [FILE...]

Runs the kernel's checkpatch.pl (--no-tree -f --strict) on FILEs, by
default on every module/*.[ch] and kunit/*.[ch]. A file passes with 0
errors, 0 warnings and 0 checks. checkpatch.pl comes from Debian's
linux-source-6.1 tarball: the three files it needs are extracted once
into \$PORTSEL_CACHE/checkpatch-<linux-source version>/.
USAGE
}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=style
portsel_operands_only usage "$@"
cd "$PORTSEL_ROOT"

# checkpatch types not checked, each with the reason. Keep it short.
IGNORE=(
)

tarball=/usr/src/linux-source-6.1.tar.xz
if [ ! -r "$tarball" ]; then
	portsel_say "$tarball missing; run scripts/deps.sh"
	exit 1
fi
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
cpdir=$PORTSEL_CACHE/checkpatch-$srcver

if [ ! -x "$cpdir/checkpatch.pl" ]; then
	echo "style: extracting checkpatch.pl from $tarball (once)"
	mkdir -p "$PORTSEL_CACHE"
	tmp=$(mktemp -d "$PORTSEL_CACHE/.checkpatch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	top=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$tmp" --strip-components=2 \
		"$top/scripts/checkpatch.pl" \
		"$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
	# a concurrent run may have won the race; either copy is the same
	mv -T "$tmp" "$cpdir" 2>/dev/null || true
fi

if [ $# -gt 0 ]; then
	files=("$@")
else
	shopt -s nullglob
	files=(module/*.[ch] kunit/*.[ch])
	shopt -u nullglob
fi

opts=(--no-tree -f --strict --color=never --show-types)
if [ ${#IGNORE[@]} -gt 0 ]; then
	opts+=(--ignore "$(IFS=,; echo "${IGNORE[*]}")")
fi

echo "style: checkpatch $srcver on ${#files[@]} files"
for f in "${files[@]}"; do
	fopts=()
	# the compat header is the one place that tests the kernel version,
	# as WireGuard's compat.h does
	[ "${f##*/}" != compat.h ] ||
		fopts=(--ignore "LINUX_VERSION_CODE,CONSTANT_COMPARISON")
	out=$(perl "$cpdir/checkpatch.pl" "${opts[@]}" ${fopts[@]+"${fopts[@]}"} "$f" 2>&1 || true)
	if grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$out"; then
		portsel_pass "$f"
	else
		sed '/^total:/,$d' <<<"$out"
		portsel_fail "$f" "$(grep '^total:' <<<"$out" || echo "checkpatch did not run")"
	fi
done
portsel_tally

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run portsel's KUnit suites (kunit/) against the pure policy core (module/)
# in a User-Mode Linux kernel built from Debian's linux-source-6.1, or
# (--source 6.12) from Debian 13's linux-source-6.12.
#
# How: the core and the tests are grafted into a scratch copy of the kernel
# tree as built-in code (net/portsel/, one Kconfig "source" line and one
# obj-y line), and tools/testing/kunit/kunit.py builds and boots it. Built-in
# suites are what kunit.py is made for: it parses the console and reports
# per test, with no initramfs, no module loading and no debugfs. The other
# way, a test module insmod'ed into UML, needs all three and a separate
# parse of the debugfs results.
#
# The cache, ${PORTSEL_CACHE}/kunit (see scripts/lib/host.sh):
#   src-<version>/linux-source-6.N  the pristine tree, extracted once per
#                                   linux-source-6.N package version
#   <version>/tree                  a hard-link copy of it plus the graft
#   <version>/build                 kunit.py's --build_dir (O=): .config,
#                                   objects, the UML binary, test.log
#   <version>/build-kasan           the same with KASAN (--kasan)
# Every checkout shares one build (a lock serialises the runs), so a fresh
# clone rebuilds only portsel's own objects, not the kernel: the graft's
# net/portsel/ holds copies of the repository's sources, and a file is
# copied only when its contents differ, so make's timestamps change exactly
# when the contents do. A copy rather than a link: with links, a clone
# whose files are older than the last build's objects would not rebuild.
# The tree shares file contents with the pristine one, so nothing in it is
# ever edited in place: the two kernel files the graft changes are written
# anew and renamed over their links, and the build writes only under
# build/. Nothing is written into the repository.

set -euo pipefail

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=kunit.sh

# Bump when the graft below changes, so cached trees are grafted again.
GRAFT_VERSION=2
# Seconds the booted UML may take to run every suite (build not included).
RUN_TIMEOUT=300

usage() {
	cat <<USAGE
Usage: scripts/kunit.sh [--source 6.1|6.12] [--filter GLOB] [--kasan] [--help]

Builds a User-Mode Linux kernel with portsel's policy core and its KUnit
suites (kunit/*.c, options in kunit/.kunitconfig), boots it and reports
each test. The last line is "N passed, N failed"; the exit status is
non-zero on any failure, crash, timeout or build error.

  --source SERIES  the kernel sources UML is built from: 6.1 (default,
                 Debian 12's linux-source-6.1, installed by deps.sh) or
                 6.12 (Debian 13's linux-source-6.12, fetched into the
                 cache with the $PORTSEL_SOURCE_612_TARGET target's private apt)
  --filter GLOB  run only the matching suites or tests, as kunit.py's
                 filter_glob: "portsel_hash", "portsel_select.*mark*"
  --kasan        also enable KASAN (its own build, about 5 minutes the
                 first time, against 3 without)
  -h, --help     this text

The kernel tree and the build are cached in \$PORTSEL_CACHE/kunit
(default ~/.cache/portsel/kunit): the first run of a series extracts its
sources and builds UML (a few minutes); later runs rebuild only what
changed.
USAGE
}

filter=
kasan=
series=6.1
while [ $# -gt 0 ]; do
	case "$1" in
	-h|--help) usage; exit 0 ;;
	--source)
		[ $# -ge 2 ] || { echo "kunit.sh: --source needs 6.1 or 6.12" >&2; exit 2; }
		case $2 in
		6.1|6.12) series=$2 ;;
		*) echo "kunit.sh: --source: 6.1 or 6.12, not '$2'" >&2; exit 2 ;;
		esac
		shift 2 ;;
	--filter)
		[ $# -ge 2 ] || { echo "kunit.sh: --filter needs a GLOB" >&2; exit 2; }
		filter=$2
		shift 2 ;;
	--filter=*) filter=${1#--filter=}; shift ;;
	--kasan) kasan=1; shift ;;
	*) echo "kunit.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done

say() {
	echo "kunit.sh: $*"
}

# The result line for a run that produced no parsed results.
fail_run() {
	echo "kunit.sh: error: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

"$PORTSEL_ROOT/scripts/deps.sh" || fail_run "scripts/deps.sh failed"

cache=$PORTSEL_CACHE/kunit
# the tarball: 6.1's installed, 6.12's fetched into the cache (host.sh)
portsel_source "$series" || fail_run "no linux-source-$series"
version=$S_VERSION
tarball=$S_TARBALL
TREE_NAME=$(basename "$tarball" .tar.xz)
src=$cache/src-$version
ksrc=$src/$TREE_NAME
work=$cache/$version
tree=$work/tree
build=$work/build${kasan:+-kasan}
mkdir -p "$cache" "$work"

# One run at a time: every checkout shares the build directory.
exec 9>"$work/lock"
if ! flock -n 9; then
	say "waiting for another run (any checkout) to finish"
	flock 9
fi

# Earlier versions of this script kept a tree and build per checkout path
# (<version>-<12 hex digits>): ~1 GB each, never used again.
for old in "$cache/$version"-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]; do
	[ -d "$old" ] || continue
	say "removing $old (per-checkout cache of an earlier kunit.sh)"
	rm -rf "$old"
done

# The pristine tree (scripts/lib/host.sh), never written to.
portsel_linux_source "$src" "$tarball" || fail_run "no kernel source tree in $src"

# Write a file of the scratch tree as a new inode: the old name may be a hard
# link to the pristine tree, which must keep its contents.
replace_file() {
	local dst=$1 tmp

	tmp=$(mktemp "$dst.XXXXXX")
	cat >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$dst"
}

graft_stamp="graft $GRAFT_VERSION of $ksrc"
if [ "$(cat "$tree/.portsel-graft" 2>/dev/null)" != "$graft_stamp" ]; then
	say "grafting portsel into a hard-link copy of the tree: $tree"
	rm -rf "$tree" "$tree.tmp" "$work/build" "$work/build-kasan"
	cp -al "$ksrc" "$tree.tmp" || fail_run "cannot copy $ksrc"
	{ cat "$ksrc/net/Kconfig"; echo 'source "net/portsel/Kconfig"'; } |
		replace_file "$tree.tmp/net/Kconfig"
	{ cat "$ksrc/net/Makefile"; echo "obj-\$(CONFIG_PORTSEL_KUNIT_TEST) += portsel/"; } |
		replace_file "$tree.tmp/net/Makefile"
	mkdir "$tree.tmp/net/portsel"
	echo "$graft_stamp" >"$tree.tmp/.portsel-graft"
	mv "$tree.tmp" "$tree"
fi

# Copy the sources the graft builds into net/portsel/, each only when its
# contents differ (see the top of this file); drop the ones gone from the
# repository.
sync_file() {
	local from=$1 to=$2

	cmp -s "$from" "$to" && return 0
	mkdir -p "$(dirname "$to")"
	cp "$from" "$to.tmp"
	mv -f "$to.tmp" "$to"
}

graft=$tree/net/portsel
wanted=$(mktemp)
trap 'rm -f "$wanted"' EXIT
(cd "$PORTSEL_ROOT" && ls kunit/Kconfig kunit/Makefile kunit/*.[ch] \
	module/Kbuild.core module/*.[ch]) >"$wanted"
while read -r f; do
	sync_file "$PORTSEL_ROOT/$f" "$graft/$f"
done <"$wanted"
(cd "$graft" && find kunit module -type f) | sort | comm -23 - <(sort "$wanted") |
	while read -r f; do rm -f "$graft/$f"; done
sync_file "$PORTSEL_ROOT/kunit/Kconfig" "$graft/Kconfig"
sync_file "$PORTSEL_ROOT/kunit/Makefile" "$graft/Makefile"

# kunit.py chdirs to the tree: every path it gets is absolute. Python must
# not leave __pycache__ in the hard-linked tree.
export PYTHONDONTWRITEBYTECODE=1
args=(run --arch=um --build_dir="$build"
      --kunitconfig="$PORTSEL_ROOT/kunit/.kunitconfig"
      --jobs="$(nproc)" --timeout="$RUN_TIMEOUT" --json="$work/results.json")
[ -z "$kasan" ] || args+=(--kconfig_add=CONFIG_KASAN=y)
# 6.12 instruments every object with UBSAN, and its alignment check (on
# by default there) reports UML's own task_struct at every test thread's
# exit (kernel/exit.c): not portsel's, and it would fail the test running.
[ "$series" = 6.1 ] || args+=(--kconfig_add=CONFIG_UBSAN_ALIGNMENT=n)
[ -z "$filter" ] || args+=("$filter")

if [ -f "$build/linux" ]; then
	say "building UML (incremental) and running the suites"
else
	say "building UML from scratch (a few minutes on 2 cores), then running the suites"
fi
rm -f "$work/results.json"
rc=0
# stdin is not a terminal: drop the complaint of kunit.py's "stty sane".
python3 "$tree/tools/testing/kunit/kunit.py" "${args[@]}" </dev/null 2>&1 |
	sed -u '/^stty: /d' | tee "$work/kunit.log" || rc=$?

# kunit.py writes the JSON only once the kernel was built and booted.
[ -s "$work/results.json" ] ||
	fail_run "kunit.py failed before any test ran (build or config error?); log: $work/kunit.log"

# Leaf test cases (each parameter of a parameterised test counts), as in
# kunit.py's own summary; a crashed test is reported as ERROR.
counts=$(python3 - "$work/results.json" <<'PY'
import json
import sys

counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

def walk(group):
	for case in group["test_cases"]:
		status = case["status"]
		counts[status if status in counts else "FAIL"] += 1
	for sub in group["sub_groups"]:
		walk(sub)

with open(sys.argv[1]) as f:
	walk(json.load(f))
print(counts["PASS"], counts["FAIL"], counts["SKIP"])
PY
) || fail_run "cannot read the results in $work/results.json"
read -r passed failed skipped <<<"$counts"

[ "$skipped" -eq 0 ] || say "$skipped skipped"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	say "error: no test ran${filter:+ (does --filter \"$filter\" match a suite?)}"
	failed=1
fi
# kunit.py also fails on a crash, a timeout or a broken KTAP stream, which
# may leave no failed test case behind: count that as one failure.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	say "error: kunit.py exited with status $rc; log: $work/kunit.log"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

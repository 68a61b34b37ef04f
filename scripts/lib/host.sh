# SPDX-License-Identifier: GPL-2.0
#
# The host side's library for portsel's scripts: where the tree and the
# cache are, which kernel, progress lines and the "N passed, N failed"
# counter; the test VM's plumbing is in vm.sh and initramfs.sh beside
# it, sourced from here. Sourced, not run.

# shellcheck shell=bash

PORTSEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORTSEL_CACHE=${PORTSEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portsel}
# what runs in the test VM
PORTSEL_GUEST=$PORTSEL_ROOT/scripts/guest

# The kernel build tree: the running kernel's, else the newest Debian
# linux-headers-<abi>-amd64 of the plain amd64 flavour (by version, not
# by name; cloud-amd64 and rt-amd64 are asked for by --flavour).
portsel_kdir() {
	local k
	k=/lib/modules/$(uname -r)/build
	if [ -d "$k" ]; then
		echo "$k"
		return
	fi
	k=$(find /usr/src -maxdepth 1 -name 'linux-headers-*[0-9]-amd64' | sort -V | tail -n 1)
	if [ -z "$k" ]; then
		echo "portsel: no kernel headers found; run scripts/deps.sh" >&2
		return 1
	fi
	echo "$k"
}

# The Debian 12 kernel flavours portsel is built and tested for; each is
# a pair of metapackages, linux-image-<flavour> and linux-headers-<flavour>.
PORTSEL_FLAVOURS="amd64 cloud-amd64 rt-amd64"

# Succeed when $1 is one of PORTSEL_FLAVOURS, else say which are.
portsel_flavour_check() {
	case " $PORTSEL_FLAVOURS " in
	*" $1 "*) [ -n "$1" ] && return 0 ;;
	esac
	echo "portsel: no kernel flavour '$1'; the flavours are: $PORTSEL_FLAVOURS" >&2
	return 1
}

# The ABI (6.1.0-NN-<flavour>) the installed linux-headers-<flavour>
# metapackage points at: never written down, always looked up.
portsel_flavour_abi() {
	local abi

	abi=$(dpkg-query -W -f='${Depends}' "linux-headers-$1" 2>/dev/null |
		tr ',' '\n' | sed -n 's/^ *linux-headers-\([^ ]*\).*/\1/p' |
		head -n 1)
	if [ -z "$abi" ] || [ ! -d "/usr/src/linux-headers-$abi" ]; then
		echo "portsel: linux-headers-$1 is not installed; run scripts/deps.sh --flavour $1" >&2
		return 1
	fi
	echo "$abi"
}

# The ABI (e.g. 6.1.0-NN-amd64) of a build tree.
portsel_abi() {
	local kdir=${1:-$(portsel_kdir)}
	# Debian's kernel.release holds the upstream version; utsrelease.h
	# holds what uname -r and /lib/modules use.
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$kdir/include/generated/utsrelease.h"
}

# A progress line of the host side, on stderr.
portsel_say() {
	echo "${PORTSEL_SAY_PREFIX:-portsel}: $*" >&2
}

# The pass/fail counter of a script that checks things: portsel_pass WHAT
# [NOTE] and portsel_fail WHAT [REASON] print "PREFIX: WHAT ok" or
# "PREFIX: WHAT FAILED" and count; portsel_check WHAT CMD... runs CMD and
# does one of them; portsel_tally prints "N passed, N failed" (the line
# make check adds up) and fails when anything did.
PORTSEL_PASS=0
PORTSEL_FAIL=0
portsel_pass() {
	echo "${PORTSEL_SAY_PREFIX:-portsel}: $1 ok${2:+ ($2)}"
	PORTSEL_PASS=$((PORTSEL_PASS + 1))
}

portsel_fail() {
	echo "${PORTSEL_SAY_PREFIX:-portsel}: $1 FAILED${2:+: $2}"
	PORTSEL_FAIL=$((PORTSEL_FAIL + 1))
}

portsel_check() {
	local what=$1

	shift
	if "$@"; then
		portsel_pass "$what"
	else
		portsel_fail "$what"
	fi
}

portsel_tally() {
	echo "$PORTSEL_PASS passed, $PORTSEL_FAIL failed"
	[ "$PORTSEL_FAIL" -eq 0 ]
}

# The counts of one tier's run, "PASSED FAILED": the last "N passed, N
# failed" line of its log; a run that exited non-zero without counting a
# failure counts one. portsel_tier_counts LOG STATUS.
portsel_tier_counts() {
	local line p=0 f=0

	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 || true)
	[ -z "$line" ] || read -r p _ f _ <<<"${line//,/}"
	[ "$2" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	echo "$p $f"
}

# A summary line of a tier: portsel_tier_line WIDTH NAME PASSED FAILED SECS.
portsel_tier_line() {
	printf '%-*s %4d passed, %d failed  (%d:%02d)\n' "$1" "$2" "$3" "$4" \
		$(($5 / 60)) $(($5 % 60))
}

# portsel_help_only USAGE_FN [ARG]: for a script that takes no argument
# but --help: print USAGE_FN's text and exit, or refuse anything else
# with exit 2 before anything changed.
portsel_help_only() {
	case "${2:-}" in
	-h|--help) "$1"; exit 0 ;;
	"") ;;
	*) portsel_say "unknown argument '$2' (try --help)"; exit 2 ;;
	esac
}

# portsel_operands_only USAGE_FN [ARG]: for a script that takes --help
# or operands (a KDIR, files), no options: print USAGE_FN's text and exit
# on --help, refuse any other option with exit 2 before anything changed.
portsel_operands_only() {
	case "${2:-}" in
	-h|--help) "$1"; exit 0 ;;
	-*) portsel_say "unknown option '$2' (try --help)"; exit 2 ;;
	esac
}

# shellcheck source=scripts/lib/targets.sh
. "$PORTSEL_ROOT/scripts/lib/targets.sh"
# shellcheck source=scripts/lib/vm.sh
. "$PORTSEL_ROOT/scripts/lib/vm.sh"
# shellcheck source=scripts/lib/initramfs.sh
. "$PORTSEL_ROOT/scripts/lib/initramfs.sh"

# portsel_linux_source SRC [TARBALL]: the pristine tree of Debian's
# linux-source-<series> TARBALL (default /usr/src/linux-source-6.1.tar.xz;
# portsel_source gives it) in SRC/linux-source-<series>, extracted once
# and shared by scripts/kunit.sh and scripts/debugtest.sh, which only
# ever read it.
# Extracted aside and
# renamed into place when complete, so an interrupted extraction is never
# mistaken for a tree; one run extracts while the others wait. Returns 1
# with a message on stderr when it cannot.
portsel_linux_source() {
	local src=$1 tarball=${2:-/usr/src/linux-source-6.1.tar.xz}
	local tree rc=0

	tree=$(basename "$tarball" .tar.xz)
	mkdir -p "$PORTSEL_CACHE/kunit"
	exec 8>"$PORTSEL_CACHE/kunit/extract.lock"
	flock 8
	if [ ! -d "$src/$tree" ]; then
		echo "extracting $tarball into $src (once)"
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		if ! tar -C "$src.tmp" -xJf "$tarball"; then
			echo "error: cannot extract $tarball" >&2
			rc=1
		elif [ ! -f "$src.tmp/$tree/Makefile" ]; then
			echo "error: $tarball did not hold $tree/" >&2
			rc=1
		else
			rm -rf "$src"
			mv "$src.tmp" "$src"
		fi
	fi
	exec 8>&-
	return $rc
}

# The 6.12 sources come from the target that ships them (scripts/targets).
PORTSEL_SOURCE_612_TARGET=trixie-amd64

# portsel_source SERIES: Debian's linux-source-SERIES, 6.1 or 6.12: its
# package version in S_VERSION and its tarball in S_TARBALL, for
# portsel_linux_source. 6.1 is Debian 12's, installed by deps.sh; 6.12
# is Debian 13's, the candidate of the PORTSEL_SOURCE_612_TARGET
# target's private apt, its .deb fetched once into
# ${PORTSEL_CACHE}/kunit/debs-6.12-<version>/ and unpacked there (shared
# by scripts/kunit.sh --source 6.12 and scripts/debugtest.sh --target of
# a 6.12 row). The caller's T_* are left alone. Returns 1 with a message
# on stderr when it cannot.
portsel_source() {
	local T_NAME T_SUITE T_FLAVOUR T_ARCH T_BUILD debs
	local -a T_APT

	case $1 in
	6.1)
		S_TARBALL=/usr/src/linux-source-6.1.tar.xz
		if [ ! -f "$S_TARBALL" ]; then
			portsel_say "$S_TARBALL is missing (package linux-source-6.1)"
			return 1
		fi
		S_VERSION=$(dpkg-query -W -f='${Version}' linux-source-6.1) ;;
	6.12)
		if ! portsel_target "$PORTSEL_SOURCE_612_TARGET" ||
		   ! portsel_target_apt; then
			portsel_say "no apt for target $PORTSEL_SOURCE_612_TARGET"
			return 1
		fi
		S_VERSION=$(apt-cache "${T_APT[@]}" show --no-all-versions \
			linux-source-6.12 | sed -n 's/^Version: //p')
		if [ -z "$S_VERSION" ]; then
			portsel_say "no linux-source-6.12 in $T_SUITE"
			return 1
		fi
		debs=$PORTSEL_CACHE/kunit/debs-6.12-$S_VERSION
		S_TARBALL=$debs/usr/src/linux-source-6.12.tar.xz
		[ ! -f "$S_TARBALL" ] || return 0
		portsel_say "fetching linux-source-6.12 $S_VERSION (once)"
		rm -rf "$debs"
		mkdir -p "$debs"
		if ! (cd "$debs" && apt-get "${T_APT[@]}" download -qq \
			"linux-source-6.12=$S_VERSION") ||
		   ! dpkg-deb -x "$debs"/linux-source-6.12_*.deb "$debs"; then
			portsel_say "cannot fetch linux-source-6.12 $S_VERSION"
			return 1
		fi
		rm -f "$debs"/linux-source-6.12_*.deb ;;
	*)
		portsel_say "no linux-source series '$1' (6.1 or 6.12)"
		return 1 ;;
	esac
}

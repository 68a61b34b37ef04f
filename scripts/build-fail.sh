#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The build-time checks of module/hook_abi.h must refuse what they are
# meant to refuse: compile a one-line module that includes the header,
# once as it is (it must build, or the other cases prove nothing) and
# once per thing the header refuses (each must fail with its message).
# Ends with "N passed, N failed".

set -euo pipefail

case "${1:-}" in
-h|--help)
	cat <<USAGE
Usage: scripts/build-fail.sh [KDIR]

Builds a tiny module including module/hook_abi.h against KDIR (default:
as scripts/lib/host.sh finds it): as it is (must build), with a wrong
__inet_hash_connect() prototype (-DPORTSEL_SELFTEST_WRONG_PROTO), as an
IBT kernel without static calls, with CONFIG_CFI_CLANG forced on, and
as a kernel that is neither x86_64 nor arm64; each of the last four must
fail with the header's message. Then, against the arm64 kernel of
target bookworm-arm64 (fetched into the cache, cross-built): as it is
(must build), with BTI, and without patchable function entries (both
must fail).
USAGE
	exit 0 ;;
esac

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=build-fail
kdir=${1:-$(portsel_kdir)}
work=$(mktemp -d "${TMPDIR:-/tmp}/portsel-build-fail.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/abi_check.c" <<'C'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
/* a kernel that is not x86_64, as far as the header can tell */
#ifdef PORTSEL_TEST_NOT_X86_64
#undef CONFIG_X86_64
#undef CONFIG_ARM64
#endif
/* an arm64 kernel whose ftrace is the old mcount kind */
#ifdef PORTSEL_TEST_NO_PATCHABLE_ENTRY
#undef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#undef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#endif
/* an IBT kernel whose static calls would be indirect */
#ifdef PORTSEL_TEST_IBT_NO_STATIC_CALL
#define CONFIG_X86_KERNEL_IBT 1
#undef CONFIG_HAVE_STATIC_CALL
#endif
#include "hook_abi.h"
MODULE_LICENSE("GPL");
C
cat >"$work/Kbuild" <<KBUILD
obj-m := abi_check.o
ccflags-y := -I$PORTSEL_ROOT/module \$(PORTSEL_FLAGS)
KBUILD

# try NAME FLAGS WANT: WANT is "ok", or a message the build must fail with.
# try NAME FLAGS WANT [MAKE ARGS]: build with FLAGS; WANT is "ok" or the
# error message the build must stop with.
try() {
	local name=$1 flags=$2 want=$3 rc=0

	shift 3
	make -s -C "$kdir" M="$work" "$@" clean >/dev/null 2>&1 || true
	make -C "$kdir" M="$work" "$@" PORTSEL_FLAGS="$flags" modules \
		>"$work/log" 2>&1 || rc=$?
	if [ "$want" = ok ] && [ "$rc" -eq 0 ]; then
		portsel_pass "$name" "builds, as it must"
	elif [ "$want" = ok ]; then
		cat "$work/log"
		portsel_fail "$name" "does not build"
	elif [ "$rc" -ne 0 ] && grep -qF -- "$want" "$work/log"; then
		portsel_pass "$name" "refused: $(grep -F -m1 -- "$want" "$work/log" |
			sed 's/^.*error: //')"
	else
		cat "$work/log"
		portsel_fail "$name" "want a build error '$want' (make: $rc)"
	fi
}

echo "build-fail: module/hook_abi.h against $kdir"
try "the header as it is" "" ok
try "wrong prototype" "-DPORTSEL_SELFTEST_WRONG_PROTO" \
	"__inet_hash_connect() in <net/inet_hashtables.h> differs from the prototype portsel calls"
try "IBT without static calls" "-DPORTSEL_TEST_IBT_NO_STATIC_CALL" \
	"portsel: CONFIG_X86_KERNEL_IBT without CONFIG_HAVE_STATIC_CALL"
try "CONFIG_CFI_CLANG" "-DCONFIG_CFI_CLANG=1" \
	"portsel: CONFIG_CFI_CLANG is set"
try "neither x86_64 nor arm64" "-DPORTSEL_TEST_NOT_X86_64" \
	"portsel: the hook knows the ftrace site of x86_64 and arm64 kernels only"

if portsel_target bookworm-arm64 && portsel_target_fetch; then
	kdir=$T_KDIR
	cross=CROSS_COMPILE=$(portsel_target_gnu_type)-
	echo "build-fail: module/hook_abi.h against $kdir ($cross)"
	try "arm64 as it is" "" ok "$cross"
	try "arm64 BTI" "-DCONFIG_ARM64_BTI_KERNEL=1" \
		"portsel: CONFIG_ARM64_BTI_KERNEL: a call past the ftrace site misses BTI's landing pad" \
		"$cross"
	try "arm64 without patchable entries" "-DPORTSEL_TEST_NO_PATCHABLE_ENTRY" \
		"portsel: arm64 without DYNAMIC_FTRACE_WITH_REGS/_ARGS" "$cross"
else
	portsel_fail "arm64" "cannot fetch the kernel of target bookworm-arm64"
fi
portsel_tally

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make targets / make module TARGET=...: the target table with each
# target's current kernel, and portsel built for one target, with where
# its module and the kernel the VM boots are.

set -euo pipefail

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=targets

usage() {
	cat <<USAGE
Usage: scripts/targets.sh [list | show NAME | build NAME] [--help]

The targets of scripts/targets, the table every script reads.

  list        (the default; make targets) each target's suite, flavour,
              architecture, how modules are built for it, and the ABI
              of its kernel today, looked up in its suite's archive
              (the host's apt for the host's own suite, a private apt
              state under $PORTSEL_CACHE/apt for the others)
  show NAME   get the target's kernel (installed for the host's own
              suite, else fetched into the cache) and print where its
              parts are: ABI, KDIR (the build tree), CHROOT (where
              modules are built, if not on the host), KERNEL (the image
              the VM boots), MODDIR (its modules), MODULE (portsel.ko,
              once built)
  build NAME  (make module TARGET=NAME) build portsel.ko for the target
              from a scratch copy of the sources (./portsel.ko is left
              alone) into MODULE, then print as show does
USAGE
}

# The ABI a row's kernel has in its suite today, without fetching it.
abi_today() {
	if portsel_target_native; then
		apt-cache show --no-all-versions "linux-headers-$T_FLAVOUR" 2>/dev/null |
			sed -n 's/^Depends: .*linux-headers-\([^ ,]*\).*/\1/p' | head -n 1
	else
		portsel_target_apt >/dev/null 2>&1 || return 0
		portsel_target_depends "linux-headers-$T_FLAVOUR" |
			sed -n 's/^linux-headers-//p' | head -n 1
	fi
}

list() {
	local name

	printf '%-26s %-20s %-12s %-6s %-7s %s\n' \
		target suite flavour arch build abi
	for name in $(portsel_targets); do
		portsel_target "$name"
		printf '%-26s %-20s %-12s %-6s %-7s %s\n' "$T_NAME" "$T_SUITE" \
			"$T_FLAVOUR" "$T_ARCH" "$T_BUILD" "$(abi_today || true)"
	done
}

# Where a target's portsel.ko goes.
module_path() {
	echo "$PORTSEL_CACHE/modules/$T_NAME/$T_ABI/portsel.ko"
}

show() {
	local m

	m=$(module_path)
	echo "ABI=$T_ABI"
	echo "KDIR=$T_KDIR"
	echo "CHROOT=$T_CHROOT"
	echo "KERNEL=$T_VMLINUZ"
	echo "MODDIR=$T_MODDIR"
	[ -f "$m" ] && echo "MODULE=$m" || echo "MODULE="
}

build() {
	local work m

	m=$(module_path)
	work=$(mktemp -d "${TMPDIR:-/tmp}/portsel-target.XXXXXX")
	# shellcheck disable=SC2064 # $work is fixed now
	trap "rm -rf '$work'" EXIT
	portsel_say "building portsel for $T_NAME ($T_ABI)"
	portsel_target_build "$work/portsel" || return 1
	mkdir -p "$(dirname "$m")"
	cp "$work/portsel/portsel.ko" "$m"
	show
}

cmd=${1:-list}
case $cmd in
-h|--help) usage; exit 0 ;;
list)
	[ $# -le 1 ] || { portsel_say "list takes no argument (try --help)"; exit 2; }
	list ;;
show|build)
	[ $# -eq 2 ] || { portsel_say "$cmd wants one NAME (try --help)"; exit 2; }
	portsel_target "$2" || exit 2
	portsel_target_fetch
	"$cmd" ;;
*) portsel_say "unknown argument '$cmd' (try --help)"; exit 2 ;;
esac

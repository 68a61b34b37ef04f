# SPDX-License-Identifier: GPL-2.0
#
# Shared plumbing for portsel's scripts: which kernel, where the cache is,
# how to build the test VM's initramfs and boot it. Sourced, not run.

PORTSEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORTSEL_CACHE=${PORTSEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/portsel}

# The kernel build tree: the running kernel's, else the newest Debian
# linux-headers-*-amd64 (by version, not by name).
portsel_kdir() {
	local k
	k=/lib/modules/$(uname -r)/build
	if [ -d "$k" ]; then
		echo "$k"
		return
	fi
	k=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' | sort -V | tail -n 1)
	if [ -z "$k" ]; then
		echo "portsel: no kernel headers found; run scripts/deps.sh" >&2
		return 1
	fi
	echo "$k"
}

# The ABI (e.g. 6.1.0-NN-amd64) of a build tree.
portsel_abi() {
	local kdir=${1:-$(portsel_kdir)}
	# Debian's kernel.release holds the upstream version; utsrelease.h
	# holds what uname -r and /lib/modules use.
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$kdir/include/generated/utsrelease.h"
}

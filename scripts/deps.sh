#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what portsel's build, tests and tools need on a Debian 12 host.
# Quiet, idempotent: only packages that are missing are installed.

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/deps.sh [--flavour FLAVOUR]... [--help]

Installs (apt-get, as root) the Debian 12 packages that portsel needs:
the kernel image and headers the module is built and tested against
(linux-image-amd64, linux-headers-amd64),
linux-source-6.1 for KUnit under UML and checkpatch, qemu, busybox,
build tools, sparse, shellcheck, gnuplot, perf and trace-cmd (run in the
test VM), stress-ng (make bench runs its sockmany stressor in the VM),
the DKMS packaging tools, debootstrap and e2fsprogs for the system
test's root fs (and the trixie chroot of scripts/targets), what its
Secure Boot run needs to make and boot an EFI disk (ovmf, fdisk's
sfdisk, dosfstools, mtools; python3-cryptography, -pefile and
-pkg-resources for virt-fw-vars, which it fetches from
bookworm-backports into the cache), pahole (6.12 headers build
modules with BTF), and for the arm64 targets the cross compiler with
its C library and qemu-system-arm.
Does nothing when everything is present.

  --flavour FLAVOUR  also the image and headers of a Debian 12 kernel
                     flavour (by metapackage: linux-image-FLAVOUR and
                     linux-headers-FLAVOUR), for make vmtest FLAVOUR=...;
                     one of: $PORTSEL_FLAVOURS
USAGE
}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"

flavours=()
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--flavour)
		[ $# -ge 2 ] || { echo "deps.sh: --flavour needs a FLAVOUR" >&2; exit 2; }
		portsel_flavour_check "$2" || exit 2
		flavours+=("$2")
		shift 2 ;;
	*) echo "deps.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done

PKGS=(
	linux-headers-amd64 linux-image-amd64 linux-source-6.1
	qemu-system-x86 busybox-static cpio gzip xz-utils kmod
	build-essential bc flex bison libelf-dev libssl-dev python3
	sparse shellcheck gnuplot-nox linux-perf trace-cmd stress-ng
	dkms dh-dkms debhelper dpkg-dev lintian fakeroot
	perl openssl
	debootstrap e2fsprogs util-linux
	ovmf fdisk dosfstools mtools
	python3-cryptography python3-pefile python3-pkg-resources
	pahole
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
)
for f in ${flavours[@]+"${flavours[@]}"}; do
	PKGS+=("linux-image-$f" "linux-headers-$f")
done

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done"

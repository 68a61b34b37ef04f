#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the source tree dkms builds portsel from into DEST: Kbuild,
# Makefile, module/*.[ch], module/Kbuild.core and dkms.conf with the version of
# module/version.h written in as a literal. make dkms-install and the
# .deb (debian/rules) both use it, so both ship the same tree.

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/dkms-source.sh [--help] DEST

Creates DEST (for dkms: <source tree>/portsel-<version>) if needed and
copies portsel's DKMS sources into it. Files already in DEST that are
not part of the tree are left alone.
USAGE
}

case "${1:-}" in
-h|--help) usage; exit 0 ;;
""|-*) usage >&2; exit 2 ;;
esac

dest=$1
cd "$(dirname "$0")/.."
version=$(scripts/version.sh)

# dkms.conf reads module/version.h when it can; the copy it is given here
# carries the literal, which dh_dkms and any later reader take as it is.
stamp="PACKAGE_VERSION=\"$version\""
if [ "$(grep -c '^PACKAGE_VERSION=' dkms.conf)" -ne 1 ]; then
	echo "dkms-source.sh: dkms.conf must set PACKAGE_VERSION on exactly one line" >&2
	exit 1
fi

install -d -m 0755 "$dest/module"
install -m 0644 Kbuild Makefile "$dest/"
install -m 0644 module/*.c module/*.h module/Kbuild.core "$dest/module/"
sed "s/^PACKAGE_VERSION=.*/$stamp/" dkms.conf >"$dest/dkms.conf"
chmod 0644 "$dest/dkms.conf"
echo "dkms-source: portsel $version in $dest"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print portsel's version, read from module/version.h: the one place it is
# written. The Makefile, the .deb and the DKMS tree all take it from here.

set -euo pipefail

case "${1:-}" in
-h|--help)
	echo "Usage: scripts/version.sh  - print PORTSEL_VERSION from module/version.h"
	exit 0 ;;
esac

header=$(dirname "$0")/../module/version.h
version=$(sed -n 's/^#define PORTSEL_VERSION "\(.*\)"$/\1/p' "$header")
# Debian and dkms both take it as a version and as part of a path.
if ! [[ $version =~ ^[0-9][0-9A-Za-z.+~]*$ ]]; then
	echo "version.sh: no usable PORTSEL_VERSION in $header: '$version'" >&2
	exit 1
fi
echo "$version"

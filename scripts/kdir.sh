#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel build tree to build portsel against: the running
# kernel's when it has one, else the newest installed Debian amd64 headers.

set -euo pipefail

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"

case "${1:-}" in
-h|--help)
	echo "Usage: scripts/kdir.sh  - print the kernel build directory (KDIR)"
	exit 0 ;;
esac

portsel_kdir

# SPDX-License-Identifier: GPL-2.0
#
# The host library moved to scripts/lib/host.sh. scripts/kunit.sh and
# scripts/debugtest.sh still source this path (they are being changed on
# another branch); drop this file once they source scripts/lib/host.sh.

# shellcheck shell=bash
# shellcheck source=scripts/lib/host.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/host.sh"

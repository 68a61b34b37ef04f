#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One stage of make bench's fill (fill_one in scripts/guest/bench-scans.sh),
# in the test VM (busybox sh):
#   sh /guest/bench-fill-stage.sh K DST [N...]
# Copy portsel_stat to /tmp/bstat.K. Then, when a count N is left, connect
# N more times to DST holding every socket (portsel-tool fill -l; N 0:
# until connect() fails), its lines in /tmp/blat.K, and from that fill's
# -x, while its sockets are still held, run stage K+1 with the counts
# after N. So each fill starts where the one before stopped, and every
# stat copy is taken with all the connections so far open.
# scripts/lib/bench-vm.sh hands this file to the VM with --file.

# shellcheck shell=sh
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

k=$1 dst=$2
shift 2
cat "$PORTSEL_STAT" >"/tmp/bstat.$k" 2>/dev/null
[ $# -gt 0 ] || exit 0
n=$1
shift
portsel-tool fill -l -n "$n" \
	-x "sh /guest/bench-fill-stage.sh $((k + 1)) $dst $*" \
	"$dst" >"/tmp/blat.$k" 2>&1

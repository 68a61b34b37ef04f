#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of portsel's test VM; the initramfs is built by portsel_vm_run in
# scripts/lib/vm.sh. It sets the machine up, runs the payload /guest/run with
# the arguments listed in /guest/args (one a line), and reports on three
# serial ports:
#   ttyS0  the console: everything, for humans
#   ttyS1  the payload's results: what it writes to its fd 3, byte for byte
#   ttyS2  one line "exit N" once the payload has returned with status N
# then powers off. A VM that stops without writing ttyS2 crashed or hung.

/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console of its own (it is built without root).
exec </dev/console >/dev/console 2>&1
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/tmp

mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
hostname portsel-vm
ip link set lo up
# Boot is quiet; from here on the console shows what the kernel logs.
dmesg -n 7
portsel-tool ttyraw /dev/ttyS1 /dev/ttyS2

set --
if [ -f /guest/args ]; then
	while IFS= read -r a; do
		set -- "$@" "$a"
	done </guest/args
fi

echo "vm: up after $(cut -d' ' -f1 /proc/uptime)s; running the payload"
sh /guest/run "$@" 3>/dev/ttyS1
rc=$?
echo "vm: payload exited with $rc after $(cut -d' ' -f1 /proc/uptime)s"

echo "exit $rc" >/dev/ttyS2
portsel-tool drain /dev/ttyS1 /dev/ttyS2
poweroff -f

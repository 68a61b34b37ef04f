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
# On arm64's "virt" machine the console is ttyAMA0 and the two channels
# are the virtio consoles hvc0 and hvc1, whose drivers are the modules
# listed in /lib/modules/early.

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
if [ -f /lib/modules/early ]; then
	while read -r m; do
		insmod "/lib/modules/$m.ko"
	done </lib/modules/early
	# the consoles' nodes appear once the driver has probed them, and
	# open (not ENODEV) once their ports are set up, a little later
	# under load: wait for both, 10 s at most
	i=0
	while [ $i -lt 50 ]; do
		[ -c /dev/hvc1 ] && (: <>/dev/hvc0 <>/dev/hvc1) 2>/dev/null && break
		sleep 0.2
		i=$((i + 1))
	done
fi
if [ -c /dev/hvc1 ]; then
	RESULT=/dev/hvc0 STATUS=/dev/hvc1
else
	RESULT=/dev/ttyS1 STATUS=/dev/ttyS2
fi
# held open to the end: hvc resets a tty's modes whenever it is opened
# anew, and raw mode must last
exec 7<>$RESULT 8<>$STATUS
portsel-tool ttyraw $RESULT $STATUS

set --
if [ -f /guest/args ]; then
	while IFS= read -r a; do
		set -- "$@" "$a"
	done </guest/args
fi

echo "vm: up after $(cut -d' ' -f1 /proc/uptime)s; running the payload"
sh /guest/run "$@" 3>$RESULT
rc=$?
echo "vm: payload exited with $rc after $(cut -d' ' -f1 /proc/uptime)s"

echo "exit $rc" >$STATUS
portsel-tool drain $RESULT $STATUS
poweroff -f

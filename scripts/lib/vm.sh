# SPDX-License-Identifier: GPL-2.0
#
# The test VM's plumbing, sourced by scripts/lib/host.sh: boot Debian's
# kernel under qemu on the initramfs initramfs.sh builds, read the result
# channel.

# shellcheck shell=bash

# The test VM: Debian's own kernel (/boot/vmlinuz-<abi>, the ABI portsel.ko
# was built for) booting an initramfs of busybox, portsel-tool, portsel.ko
# and a payload script, under qemu. scripts/guest/init.sh runs the payload
# and reports on three serial ports, kept in the run's directory DIR:
#   DIR/console.log  ttyS0, the console, for humans
#   DIR/result       ttyS1, everything the payload wrote to its fd 3
#   DIR/status       ttyS2, "exit N" once the payload returned N
# Outcomes are read from result and status only, never from console text.
# scripts/guest/lib.sh has the payload's side (vm_say, result, ...).
#
# Settings (environment): PORTSEL_VM_ARCH (the kernel's Debian
# architecture: amd64, the default, or arm64, booted on qemu's "virt"
# machine with its result channels on virtio consoles),
# PORTSEL_VM_ACCEL (tcg; kvm to opt in), PORTSEL_VM_CPU (qemu's -cpu,
# default max),
# PORTSEL_VM_MEM (MiB), PORTSEL_VM_CPUS, PORTSEL_VM_TIMEOUT (seconds),
# PORTSEL_VM_KMODS (extra kernel modules by name, e.g. "veth"),
# PORTSEL_VM_BINS (host binaries to run in the guest, by path: each is
# copied with the shared libraries ldd lists and the loader),
# PORTSEL_VM_APPEND (more kernel arguments), PORTSEL_VM_QEMU_ARGS (more
# qemu arguments, split at spaces), PORTSEL_MODULE (portsel.ko),
# PORTSEL_VM_KERNEL (the kernel image to boot instead of Debian's
# /boot/vmlinuz-<abi>) and PORTSEL_VM_MODDIR (where the PORTSEL_VM_KMODS
# are found instead of /lib/modules/<abi>): the two a kernel built here
# sets (scripts/debugtest.sh).
#
# These functions are called as "portsel_vm_run ... || rc=$?", where bash
# ignores set -e: every step checks its own errors.

PORTSEL_VM_ARCH=${PORTSEL_VM_ARCH:-amd64}
PORTSEL_VM_ACCEL=${PORTSEL_VM_ACCEL:-tcg}
PORTSEL_VM_CPU=${PORTSEL_VM_CPU:-max}
PORTSEL_VM_MEM=${PORTSEL_VM_MEM:-2048}
PORTSEL_VM_CPUS=${PORTSEL_VM_CPUS:-2}
PORTSEL_VM_TIMEOUT=${PORTSEL_VM_TIMEOUT:-600}
PORTSEL_VM_KMODS=${PORTSEL_VM_KMODS:-}
PORTSEL_VM_BINS=${PORTSEL_VM_BINS:-}
PORTSEL_VM_APPEND=${PORTSEL_VM_APPEND:-}
PORTSEL_VM_QEMU_ARGS=${PORTSEL_VM_QEMU_ARGS:-}
PORTSEL_MODULE=${PORTSEL_MODULE:-$PORTSEL_ROOT/portsel.ko}
PORTSEL_VM_KERNEL=${PORTSEL_VM_KERNEL:-}
PORTSEL_VM_MODDIR=${PORTSEL_VM_MODDIR:-}

# How the last portsel_vm_boot ended: "exit" (PORTSEL_VM_EXIT holds the
# payload's status), "timeout", "crash" (stopped without a status), or
# empty when the VM could not be started at all.
PORTSEL_VM_END=
PORTSEL_VM_EXIT=

# The ABI to boot: the vermagic of portsel.ko when it exists, else that of
# the headers it would be built against ($KDIR as the Makefile takes it).
portsel_vm_abi() {
	local abi=

	if [ -f "$PORTSEL_MODULE" ]; then
		abi=$(modinfo -F vermagic "$PORTSEL_MODULE" | cut -d' ' -f1)
	fi
	if [ -z "$abi" ]; then
		abi=$(portsel_abi "${KDIR:-$(portsel_kdir)}") || return 1
	fi
	[ -n "$abi" ] || {
		portsel_say "cannot tell which kernel to boot"
		return 1
	}
	echo "$abi"
}

# The kernel image of an ABI (PORTSEL_VM_KERNEL when set).
portsel_vm_kernel() {
	local k=${PORTSEL_VM_KERNEL:-/boot/vmlinuz-$1}

	if [ ! -r "$k" ]; then
		portsel_say "no readable $k${PORTSEL_VM_KERNEL:+ (PORTSEL_VM_KERNEL)}; install linux-image-$1"
		return 1
	fi
	echo "$k"
}

# Print the console lines after the first $2 that the guest meant for us
# ("vm: ..."), with the seconds since $3; echo the new line count.
_portsel_vm_progress() {
	local log=$1 seen=$2 t0=$3 n

	n=$(wc -l <"$log")
	if [ "$n" -gt "$seen" ]; then
		sed -n "$((seen + 1)),${n}p" "$log" | tr -d '\r' |
			sed -n "s/^vm: /  [$(($(date +%s) - t0))s] /p" >&2
	fi
	echo "$n"
}

# portsel_vm_boot KERNEL INITRD DIR TIMEOUT
# Boot the VM and wait for it, printing the guest's progress lines and a
# heartbeat every 30 s of silence. With KERNEL and INITRD empty, the
# firmware boots from the disks PORTSEL_VM_QEMU_ARGS gives (and
# PORTSEL_VM_APPEND is not used). Sets PORTSEL_VM_END and PORTSEL_VM_EXIT;
# returns 0 only when the payload ran to its end with status 0.
portsel_vm_boot() {
	local kernel=$1 initrd=$2 dir=$3 timeout=$4
	local qpid rc=0 seen=0 t0 quiet=0 n word direct=() console
	local append="panic=-1 panic_on_warn=1 oops=panic quiet $PORTSEL_VM_APPEND"

	PORTSEL_VM_END=
	PORTSEL_VM_EXIT=
	: >"$dir/console.log" && : >"$dir/result" && : >"$dir/status" ||
		return 1
	t0=$(date +%s)
	portsel_say "booting ${kernel:+$(basename "$kernel") }($PORTSEL_VM_ACCEL${PORTSEL_VM_QEMU_ARGS:+ $PORTSEL_VM_QEMU_ARGS}," \
		"$PORTSEL_VM_CPUS cpus, ${PORTSEL_VM_MEM}M, timeout ${timeout}s)"

	# The console and the two channels: three serial ports on a PC; the
	# arm64 "virt" machine has one, the channels are virtio consoles
	# there (hvc0, hvc1; guest/init.sh takes whichever exist).
	case $PORTSEL_VM_ARCH in
	amd64)
		console=ttyS0
		set -- qemu-system-x86_64 -serial "file:$dir/console.log" \
			-serial "file:$dir/result" -serial "file:$dir/status" ;;
	arm64)
		console=ttyAMA0
		# -cpu max: pointer authentication on, as on current cloud ARM
		set -- qemu-system-aarch64 -machine virt \
			-serial "file:$dir/console.log" \
			-device virtio-serial-device \
			-chardev "file,id=result,path=$dir/result" \
			-device virtconsole,chardev=result \
			-chardev "file,id=status,path=$dir/status" \
			-device virtconsole,chardev=status ;;
	*)
		portsel_say "no VM for architecture '$PORTSEL_VM_ARCH'"
		return 1 ;;
	esac
	# without a kernel the firmware boots the disks (PORTSEL_VM_QEMU_ARGS)
	if [ -n "$kernel" ]; then
		direct=(-kernel "$kernel" -initrd "$initrd"
			-append "console=$console $append")
	fi
	# shellcheck disable=SC2086 # PORTSEL_VM_QEMU_ARGS: one word per argument
	timeout -k 10 "$timeout" "$@" \
		-accel "$PORTSEL_VM_ACCEL" -cpu "$PORTSEL_VM_CPU" $PORTSEL_VM_QEMU_ARGS \
		-smp "$PORTSEL_VM_CPUS" -m "$PORTSEL_VM_MEM" \
		-nodefaults -no-user-config -display none -no-reboot \
		${direct[@]+"${direct[@]}"} \
		</dev/null >"$dir/qemu.log" 2>&1 &
	qpid=$!
	# An interrupted caller must not leave qemu behind.
	trap 'kill "$qpid" 2>/dev/null; exit 130' INT TERM

	while kill -0 "$qpid" 2>/dev/null; do
		sleep 1
		n=$(_portsel_vm_progress "$dir/console.log" "$seen" "$t0")
		if [ "$n" -gt "$seen" ]; then
			quiet=0
		elif [ $((quiet += 1)) -ge 30 ]; then
			quiet=0
			portsel_say "still running ($(($(date +%s) - t0))s)"
		fi
		seen=$n
	done
	wait "$qpid" || rc=$?
	trap - INT TERM
	_portsel_vm_progress "$dir/console.log" "$seen" "$t0" >/dev/null

	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		PORTSEL_VM_END="timeout"
	elif read -r word PORTSEL_VM_EXIT <"$dir/status" &&
	     [ "$word" = exit ]; then
		PORTSEL_VM_END="exit"
		PORTSEL_VM_EXIT=${PORTSEL_VM_EXIT%$'\r'}
	else
		PORTSEL_VM_END="crash"
		PORTSEL_VM_EXIT=
	fi
	if [ "$rc" -ne 0 ] && [ "$PORTSEL_VM_END" != timeout ]; then
		portsel_say "qemu exited with $rc:"
		tail -n 5 "$dir/qemu.log" >&2
	fi
	portsel_say "VM done after $(($(date +%s) - t0))s:" \
		"${PORTSEL_VM_END}${PORTSEL_VM_EXIT:+ $PORTSEL_VM_EXIT}"
	[ "$PORTSEL_VM_END" = exit ] && [ "$PORTSEL_VM_EXIT" = 0 ]
}

# portsel_vm_run [--timeout SECS] [--arg ARG]... [--file FILE]... DIR PAYLOAD
# Everything at once: build portsel-tool and the initramfs in DIR (which
# must exist), boot, and leave console.log, result and status in DIR. The
# payload (a busybox sh script) gets each ARG as a positional parameter
# and each FILE as /guest/<name>. Returns as portsel_vm_boot (with
# PORTSEL_VM_END empty when the VM could not be set up).
portsel_vm_run() {
	local timeout=$PORTSEL_VM_TIMEOUT files=() args=() dir payload abi
	local kernel tool

	while [ $# -gt 0 ]; do
		case $1 in
		--timeout) timeout=$2; shift 2 ;;
		--arg) args+=("$2"); shift 2 ;;
		--file) files+=("$2"); shift 2 ;;
		*) break ;;
		esac
	done
	dir=$1 payload=$2
	PORTSEL_VM_END=
	PORTSEL_VM_EXIT=

	abi=$(portsel_vm_abi) || return 1
	kernel=$(portsel_vm_kernel "$abi") || return 1
	if [ ! -f "$PORTSEL_MODULE" ]; then
		portsel_say "warning: no $PORTSEL_MODULE; the VM runs without it"
	fi
	portsel_say "building portsel-tool and the initramfs in $dir"
	tool=$(portsel_vm_tool "$dir") || return 1
	: >"$dir/args" || return 1
	if [ ${#args[@]} -gt 0 ]; then
		printf '%s\n' "${args[@]}" >"$dir/args"
	fi
	portsel_vm_initramfs "$dir/initramfs.cpio.gz" "$abi" "$tool" \
		"$payload" "$dir/args" ${files[@]+"${files[@]}"} || return 1
	portsel_vm_boot "$kernel" "$dir/initramfs.cpio.gz" "$dir" "$timeout"
}

# portsel_vm_result DIR OUT: what the payload wrote to its fd 3, without
# the serial port's carriage returns; empty when the VM wrote nothing.
portsel_vm_result() {
	touch "$1/result" && tr -d '\r' <"$1/result" >"$2"
}

# The last N (default 40) lines of a run's console, without CRs.
portsel_vm_console_tail() {
	[ -f "$1/console.log" ] || return 0
	tail -n "${2:-40}" "$1/console.log" | tr -d '\r'
}

# The kernel's reports in a run's console (splats, sanitizers, lockdep,
# RCU), each from its first line on, at most N (default 150) lines: what
# to show when a case failed on the kernel log.
portsel_vm_console_reports() {
	[ -f "$1/console.log" ] || return 0
	tr -d '\r' <"$1/console.log" |
		awk '/(WARNING|BUG|UBSAN|ODEBUG):|Oops|general protection|list_(add|del) corruption/ { left = 40 }
		     left > 0 { print; left-- }' | head -n "${2:-150}"
}

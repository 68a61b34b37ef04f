# SPDX-License-Identifier: GPL-2.0
#
# The test VM's initramfs, sourced by scripts/lib/host.sh beside vm.sh
# (which boots it): the static portsel-tool, Debian's kernel modules and
# host binaries the guest needs, and the cpio archive of them all. The
# settings it reads (PORTSEL_VM_KMODS, a trailing ? for optional ones,
# PORTSEL_VM_BINS, PORTSEL_VM_MODDIR,
# PORTSEL_MODULE) are described and defaulted in vm.sh.

# shellcheck shell=bash

# Build the static portsel-tool into DIR (prints its path).
portsel_vm_tool() {
	local out=$1/portsel-tool

	gcc -static -O2 -Wall -Wextra -pthread -o "$out" \
		"$PORTSEL_GUEST/portsel-tool.c" || return 1
	echo "$out"
}

# A kernel module of ABI by name, uncompressed, into DIR; from
# PORTSEL_VM_MODDIR when set, else /lib/modules/ABI.
portsel_vm_kmod() {
	local abi=$1 name=$2 dir=$3 f mdir

	mdir=${PORTSEL_VM_MODDIR:-/lib/modules/$abi}
	f=$(find "$mdir/kernel" -name "$name.ko*" | head -n 1)
	if [ -z "$f" ]; then
		portsel_say "no module $name for $abi in $mdir"
		return 1
	fi
	case $f in
	*.xz) xz -dc "$f" >"$dir/$name.ko" ;;
	*.zst) zstd -qdc "$f" >"$dir/$name.ko" ;;
	*.gz) gzip -dc "$f" >"$dir/$name.ko" ;;
	*) cp "$f" "$dir/$name.ko" ;;
	esac
}

# A dynamically linked host binary into ROOT at the same path, with every
# library ldd resolves (and the loader) at theirs: the guest runs the
# host's own build of it.
portsel_vm_bin() {
	local bin=$1 root=$2 f

	if [ ! -x "$bin" ]; then
		portsel_say "no executable $bin to copy into the VM"
		return 1
	fi
	for f in "$bin" $(ldd "$bin" 2>/dev/null |
		sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
		mkdir -p "$root$(dirname "$f")" &&
		cp -L "$f" "$root$f" || return 1
	done
}

# portsel_vm_initramfs OUT ABI TOOL PAYLOAD ARGS_FILE [FILE...]
# Build the initramfs OUT (gzipped newc cpio, no root needed): busybox,
# TOOL, init.sh as /init, guest/lib.sh, PAYLOAD as /guest/run, ARGS_FILE
# as /guest/args, each FILE under /guest/, portsel.ko (when built) and
# the PORTSEL_VM_KMODS under /lib/modules/, the PORTSEL_VM_BINS with
# their libraries.
portsel_vm_initramfs() {
	local out=$1 abi=$2 tool=$3 payload=$4 args=$5 root=$1.d m

	shift 5
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,guest,lib/modules} &&
	cp /bin/busybox "$root/bin/busybox" &&
	ln -s busybox "$root/bin/sh" &&
	cp "$tool" "$root/bin/portsel-tool" &&
	install -m 0755 "$PORTSEL_GUEST/init.sh" "$root/init" &&
	cp "$PORTSEL_GUEST/lib.sh" "$root/guest/lib.sh" &&
	cp "$payload" "$root/guest/run" &&
	cp "$args" "$root/guest/args" &&
	{ [ $# -eq 0 ] || cp "$@" "$root/guest/"; } || return 1

	if [ -f "$PORTSEL_MODULE" ]; then
		cp "$PORTSEL_MODULE" "$root/lib/modules/portsel.ko" || return 1
	fi
	# NAME? is a module the kernel may lack (DCCP left Debian 13's)
	for m in $PORTSEL_VM_KMODS; do
		case $m in
		*\?) portsel_vm_kmod "$abi" "${m%\?}" "$root/lib/modules" ||
			portsel_say "the VM goes without ${m%\?}" ;;
		*) portsel_vm_kmod "$abi" "$m" "$root/lib/modules" || return 1 ;;
		esac
	done
	for m in $PORTSEL_VM_BINS; do
		portsel_vm_bin "$m" "$root" || return 1
	done
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 >"$out" || return 1
	rm -rf "$root"
}

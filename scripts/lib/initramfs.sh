# SPDX-License-Identifier: GPL-2.0
#
# The test VM's initramfs, sourced by scripts/lib/host.sh beside vm.sh
# (which boots it): the static portsel-tool, Debian's kernel modules and
# host binaries the guest needs, and the cpio archive of them all. The
# settings it reads (PORTSEL_VM_ARCH, PORTSEL_VM_KMODS, a trailing ? for
# optional ones, PORTSEL_VM_BINS, PORTSEL_VM_MODDIR, PORTSEL_MODULE) are
# described and defaulted in vm.sh. For a VM of another architecture
# than the host's, the binaries are Debian's builds for it, unpacked
# once into the cache (portsel_vm_sysroot).

# shellcheck shell=bash

# Is the VM's architecture the host's own?
_portsel_vm_native() {
	[ "$PORTSEL_VM_ARCH" = "$(dpkg --print-architecture)" ]
}

_portsel_vm_early_kmods() {
	[ "$PORTSEL_VM_ARCH" != arm64 ] || echo virtio_mmio virtio_console
}

# Build the static portsel-tool into DIR (prints its path), with the
# cross compiler for a foreign VM.
portsel_vm_tool() {
	local out=$1/portsel-tool cc=gcc

	_portsel_vm_native ||
		cc=$(dpkg-architecture -a "$PORTSEL_VM_ARCH" -qDEB_HOST_GNU_TYPE 2>/dev/null)-gcc
	"$cc" -static -O2 -Wall -Wextra -pthread -o "$out" \
		"$PORTSEL_GUEST/portsel-tool.c" || return 1
	echo "$out"
}

# What a foreign VM runs that the host has for itself: busybox, and the
# programs the tests and benchmarks use.
PORTSEL_VM_SYSROOT_PKGS="busybox-static linux-perf trace-cmd stress-ng"

# _portsel_vm_sysroot_download DIR PKG...: the packages and their
# dependencies into DIR, by the private apt of the host's suite for the
# VM's architecture (as a row of the target table would have it).
_portsel_vm_sysroot_download() {
	local dir=$1 T_SUITE T_ARCH T_APT

	shift
	# shellcheck disable=SC2034 # both read by portsel_target_apt
	{
		T_SUITE=$(portsel_host_suite)
		T_ARCH=$PORTSEL_VM_ARCH
	}
	portsel_target_apt &&
	apt-get "${T_APT[@]}" -o "Dir::Cache::archives=$dir" \
		install -qq -d -y --no-install-recommends "$@"
}

# portsel_vm_sysroot: Debian's packages above for PORTSEL_VM_ARCH, from
# the host's suite, with everything they depend on, unpacked (never
# installed) under the cache once; prints the directory.
portsel_vm_sysroot() {
	local dir pkgs=() p

	dir=$PORTSEL_CACHE/sysroot/$(portsel_host_suite)-$PORTSEL_VM_ARCH

	for p in $PORTSEL_VM_SYSROOT_PKGS; do
		pkgs+=("$p:$PORTSEL_VM_ARCH")
	done
	mkdir -p "$PORTSEL_CACHE/sysroot"
	exec 7>"$dir.lock"
	flock 7
	if [ "$(cat "$dir/ready" 2>/dev/null)" != "$PORTSEL_VM_SYSROOT_PKGS" ]; then
		portsel_say "unpacking Debian's ${pkgs[*]} and their dependencies into $dir (once)"
		rm -rf "$dir"
		mkdir -p "$dir/debs" "$dir/root"
		if ! _portsel_vm_sysroot_download "$dir/debs" "${pkgs[@]}" \
			>"$dir.log" 2>&1; then
			exec 7>&-
			portsel_say "cannot download ${pkgs[*]}; see $dir.log"
			return 1
		fi
		for p in "$dir"/debs/*.deb; do
			dpkg-deb -x "$p" "$dir/root" || return 1
		done
		rm -rf "$dir/debs"
		echo "$PORTSEL_VM_SYSROOT_PKGS" >"$dir/ready"
	fi
	exec 7>&-
	echo "$dir/root"
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

# _portsel_vm_lib SYSROOT NAME: where the foreign library NAME lies.
_portsel_vm_lib() {
	local ma d

	ma=$(dpkg-architecture -a "$PORTSEL_VM_ARCH" -qDEB_HOST_MULTIARCH 2>/dev/null)
	for d in "lib/$ma" "usr/lib/$ma" lib usr/lib; do
		if [ -e "$1/$d/$2" ]; then
			echo "/$d/$2"
			return 0
		fi
	done
	portsel_say "no $2 in $1"
	return 1
}

# portsel_vm_foreign_bin BIN ROOT SYSROOT: SYSROOT's build of BIN into
# ROOT at the same path, with its loader and every library it needs,
# found by their ELF headers (ldd cannot run them).
portsel_vm_foreign_bin() {
	local bin=$1 root=$2 sys=$3 todo=() seen=" " f n

	[ -e "$sys$bin" ] || {
		portsel_say "no $bin for $PORTSEL_VM_ARCH in $sys"
		return 1
	}
	todo=("$bin" "$(readelf -l "$sys$bin" |
		sed -n 's/.*interpreter: \(.*\)]/\1/p')")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		case $seen in *" $f "*) continue ;; esac
		seen="$seen$f "
		[ -n "$f" ] || continue
		mkdir -p "$root$(dirname "$f")" && cp -L "$sys$f" "$root$f" ||
			return 1
		for n in $(readelf -d "$sys$f" 2>/dev/null |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			todo+=("$(_portsel_vm_lib "$sys" "$n")") || return 1
		done
	done
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
	local out=$1 abi=$2 tool=$3 payload=$4 args=$5 root=$1.d m sys=

	shift 5
	if ! _portsel_vm_native; then
		sys=$(portsel_vm_sysroot) || return 1
	fi
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,guest,lib/modules} &&
	cp "$sys/bin/busybox" "$root/bin/busybox" &&
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
	# NAME? is a module the kernel may lack (DCCP, removed upstream in 6.16)
	for m in $PORTSEL_VM_KMODS; do
		case $m in
		*\?) portsel_vm_kmod "$abi" "${m%\?}" "$root/lib/modules" ||
			portsel_say "the VM goes without ${m%\?}" ;;
		*) portsel_vm_kmod "$abi" "$m" "$root/lib/modules" || return 1 ;;
		esac
	done
	# what /init loads first, in this order: the result channels' drivers
	# where they are modules (arm64's virtio consoles)
	for m in $(_portsel_vm_early_kmods); do
		# absent when built in (virtio_console on 6.12)
		[ -n "$(find "${PORTSEL_VM_MODDIR:-/lib/modules/$abi}/kernel" \
			-name "$m.ko*")" ] || continue
		portsel_vm_kmod "$abi" "$m" "$root/lib/modules" &&
		echo "$m" >>"$root/lib/modules/early" || return 1
	done
	for m in $PORTSEL_VM_BINS; do
		if [ -n "$sys" ]; then
			portsel_vm_foreign_bin "$m" "$root" "$sys" || return 1
		else
			portsel_vm_bin "$m" "$root" || return 1
		fi
	done
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 >"$out" || return 1
	rm -rf "$root"
}

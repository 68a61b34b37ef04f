#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make systemtest: install portsel-dkms the Debian way in a booted Debian
# 12 (systemd, the kernel and headers of the ABI under test, dkms), reboot,
# remove and purge it. Everything runs in qemu (TCG); nothing is installed
# on the host. Ends with "N passed, N failed".

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/systemtest.sh [--help] [--keep] [--rebuild] [--timeout SECS]

Builds (once; cached) a Debian 12 root filesystem with debootstrap from
the host's Debian mirror: systemd, linux-image-<abi> and
linux-headers-<abi> of the ABI of the host's plain amd64 headers, dkms,
gcc, make, libc6-dev, iproute2, kmod, procps, as a raw ext4 image under
\$PORTSEL_CACHE/systemtest/<key>/ (key: the package list's version and the
packages' versions). A copy of it boots (qemu -accel tcg, the guest's own
vmlinuz/initrd from its /boot, root=/dev/vda) three times; a oneshot unit
runs /usr/local/sbin/portsel-systemtest, which runs the next stage of
scripts/guest/systemtest.sh from a second disk (the stage is kept in a
state file on the root fs) and powers off:
  boot 1  apt install ./portsel-dkms_<version>_all.deb (dkms builds in the
          guest), dkms status, modinfo, modprobe, even-first connects,
          the shipped examples into /etc/modules-load.d and /etc/sysctl.d
          (reserve_odd = 1 enabled), modprobe -r
  boot 2  portsel loaded at boot, sysctls applied by systemd-sysctl,
          reserve_odd at work, apt remove, apt purge, every file gone
  boot 3  no module, no sysctl, no file of the package left
Every check prints "systest: NAME ok|FAILED"; the last line is
"N passed, N failed".

  --keep          keep the run directory (console logs, results) and say
                  where it is
  --rebuild       build the root filesystem again even if it is cached
  --timeout SECS  per boot (default 1200)
Environment: PORTSEL_CACHE, PORTSEL_SYSTEST_MIRROR and
PORTSEL_SYSTEST_SECURITY (mirror URLs; default: from /etc/apt/sources*),
PORTSEL_VM_CPUS, PORTSEL_VM_MEM.
USAGE
}

keep=0
rebuild=0
timeout=1200
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--keep) keep=1 ;;
	--rebuild) rebuild=1 ;;
	--timeout)
		if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
			echo "systemtest.sh: --timeout wants a number of seconds" >&2
			exit 2
		fi
		timeout=$2
		shift ;;
	*) echo "systemtest.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=systest
export PORTSEL_VM_MEM=${PORTSEL_VM_MEM:-2048}
cd "$PORTSEL_ROOT"

t_start=$(date +%s)
step() {
	echo "systest: [$(($(date +%s) - t_start))s] $*"
}

ok() {
	portsel_pass "$@"
}
bad() {
	portsel_fail "$@"
}
finish() {
	step "done"
	portsel_tally
	exit
}

for cmd in debootstrap mkfs.ext4 qemu-system-x86_64 gcc dpkg-deb; do
	if ! command -v "$cmd" >/dev/null; then
		echo "systemtest: $cmd missing; run scripts/deps.sh" >&2
		exit 1
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "systemtest: debootstrap needs root" >&2
	exit 1
fi

abi=$(portsel_abi "$(portsel_kdir)")
version=$(scripts/version.sh)
suite=bookworm

# --- the root filesystem ---------------------------------------------------

# Bump when the package list or the image setup below changes.
ROOTFS_LIST_VERSION=1
# debootstrap --include (resolved from the main suite, with dependencies)
ROOTFS_INCLUDE=(systemd systemd-sysv udev kmod procps iproute2 dkms gcc make
	libc6-dev initramfs-tools)
# installed after, from all the host's bookworm suites (security has the
# newest ABI)
ROOTFS_KERNEL=("linux-image-$abi" "linux-headers-$abi")

# The first URI of the host's apt sources that serves SUITE.
host_mirror() {
	local want=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		case $f in
		*.sources)
			awk -v want="$want" '
				/^[[:space:]]*$/ { if (u != "" && s) { print u; exit }
					u = ""; s = 0; next }
				/^URIs:/ { u = $2 }
				/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want) s = 1 }
				END { if (u != "" && s) print u }' "$f" ;;
		*)
			awk -v want="$want" '$1 == "deb" {
				i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == want) print $i }' "$f" ;;
		esac
	done | head -n 1
}
mirror=${PORTSEL_SYSTEST_MIRROR:-$(host_mirror "$suite")}
security=${PORTSEL_SYSTEST_SECURITY:-$(host_mirror "$suite-security")}
if [ -z "$mirror" ]; then
	echo "systemtest: no $suite mirror in /etc/apt/sources*; set PORTSEL_SYSTEST_MIRROR" >&2
	exit 1
fi

# The base's cache key: this list and the candidate version of every
# named package (as the host's apt sees the same mirror).
base_key() {
	{
		echo "list $ROOTFS_LIST_VERSION $suite $mirror $security"
		echo "${ROOTFS_INCLUDE[*]} ${ROOTFS_KERNEL[*]}"
		dpkg-query -W -f='${Package} ${Version}\n' debootstrap
		apt-cache show --no-all-versions "${ROOTFS_INCLUDE[@]}" \
			"${ROOTFS_KERNEL[@]}" 2>/dev/null |
			sed -n 's/^\(Package\|Version\): //p' | paste -d' ' - -
	} | sha256sum | cut -c1-16
}

# The image's: the base's and the files rootfs_setup bakes in.
image_key() {
	{
		echo "base $1"
		declare -f rootfs_setup
		cat "$PORTSEL_GUEST/systemtest-launch" \
			"$PORTSEL_GUEST/portsel-systemtest.service"
	} | sha256sum | cut -c1-16
}

# Bake the image's side of the harness into the root at $1.
rootfs_setup() {
	local r=$1 u
	install -m 0755 "$PORTSEL_GUEST/systemtest-launch" \
		"$r/usr/local/sbin/portsel-systemtest"
	install -m 0644 "$PORTSEL_GUEST/portsel-systemtest.service" \
		"$r/etc/systemd/system/portsel-systemtest.service"
	ln -sf /etc/systemd/system/portsel-systemtest.service \
		"$r/etc/systemd/system/multi-user.target.wants/portsel-systemtest.service"
	# no prompts, no logins (a getty hangs up the test's tty), no timers
	echo portsel-systest >"$r/etc/hostname"
	echo 0123456789abcdef0123456789abcdef >"$r/etc/machine-id"
	: >"$r/etc/fstab"
	for u in systemd-firstboot.service serial-getty@.service getty@.service \
		apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
		fstrim.timer man-db.timer dpkg-db-backup.timer; do
		ln -sf /dev/null "$r/etc/systemd/system/$u"
	done
}

# base_build DIR: debootstrap, then the kernel and headers of the ABI,
# as DIR/base.tar; DIR/packages lists the guest's packages.
base_build() {
	local dir=$1 r=$1/root.d log=$1/build.log inc
	rm -rf "$r" "$dir/base.tar"
	mkdir -p "$r"
	inc=$(IFS=,; echo "${ROOTFS_INCLUDE[*]}")
	step "debootstrap $suite from $mirror (log: $log)"
	if ! debootstrap --variant=minbase --include="$inc" "$suite" "$r" \
		"$mirror" >"$log" 2>&1; then
		tail -n 20 "$log"
		return 1
	fi
	step "linux-image/headers-$abi (suites $suite, $suite-updates${security:+, $suite-security})"
	{
		echo "deb $mirror $suite main"
		echo "deb $mirror $suite-updates main"
		[ -z "$security" ] || echo "deb $security $suite-security main"
	} >"$r/etc/apt/sources.list"
	cp -L /etc/resolv.conf "$r/etc/resolv.conf"
	# /proc for the kernel's postinst (initramfs), in a private mount
	# namespace: it goes away with the command.
	# shellcheck disable=SC2016 # expanded by the inner sh
	if ! unshare --mount --propagation private sh -c '
		mount -t proc proc "$1/proc" &&
		DEBIAN_FRONTEND=noninteractive chroot "$1" sh -c "
			apt-get update -qq &&
			apt-get install -y -qq --no-install-recommends $2 &&
			apt-get clean"' _ "$r" "${ROOTFS_KERNEL[*]}" >>"$log" 2>&1; then
		tail -n 20 "$log"
		return 1
	fi
	rm -rf "$r/var/lib/apt/lists/"*
	: >"$r/etc/resolv.conf"
	if [ ! -f "$r/boot/vmlinuz-$abi" ] || [ ! -f "$r/boot/initrd.img-$abi" ]; then
		echo "systemtest: no /boot/vmlinuz-$abi or initrd.img-$abi in the rootfs" >&2
		return 1
	fi
	# shellcheck disable=SC2016 # dpkg-query's format
	chroot "$r" dpkg-query -W -f='${Package} ${Version}\n' >"$dir/packages"
	tar -C "$r" -cf "$dir/base.tar" . && rm -rf "$r"
}

# image_build BASE DIR: DIR/rootfs.img (ext4, made from the tree with
# mkfs.ext4 -d, nothing mounted), DIR/vmlinuz and DIR/initrd.img.
image_build() {
	local base=$1 dir=$2 r=$2/root.d
	rm -rf "$r" "$dir/rootfs.img"
	mkdir -p "$r"
	tar -C "$r" -xf "$base/base.tar" || return 1
	rootfs_setup "$r"
	cp "$r/boot/vmlinuz-$abi" "$dir/vmlinuz"
	cp "$r/boot/initrd.img-$abi" "$dir/initrd.img"
	# the units as the guest has them, for the ordering finding
	cat "$r/lib/systemd/system/systemd-sysctl.service" \
		"$r/lib/systemd/system/systemd-modules-load.service" >"$dir/units"
	step "mkfs.ext4 -d (rootfs $(du -sh "$r" | cut -f1))"
	mkfs.ext4 -q -F -L portsel-root -d "$r" "$dir/rootfs.img" 4G \
		>"$dir/mkfs.log" 2>&1 || return 1
	rm -rf "$r"
}

bkey=$(base_key)
base=$PORTSEL_CACHE/systemtest/base-$bkey
ikey=$(image_key "$bkey")
cache=$PORTSEL_CACHE/systemtest/image-$ikey
step "portsel $version, kernel $abi, base $bkey, image $ikey"
if [ "$rebuild" -eq 1 ] || [ ! -f "$base/done" ]; then
	mkdir -p "$base"
	rm -f "$base/done" "$cache/done"
	if base_build "$base"; then
		touch "$base/done"
	else
		bad rootfs "see $base/build.log"
		finish
	fi
fi
if [ ! -f "$cache/done" ]; then
	mkdir -p "$cache"
	if image_build "$base" "$cache"; then
		touch "$cache/done"
		# images of other keys are stale
		find "$PORTSEL_CACHE/systemtest" -mindepth 1 -maxdepth 1 \
			-name 'image-*' ! -name "image-$ikey" -exec rm -rf {} +
		ok rootfs "built $cache"
	else
		bad rootfs "image from $base failed"
		finish
	fi
else
	ok rootfs "cached $cache"
fi

# --- the run -----------------------------------------------------------------

work=$(mktemp -d /tmp/systest-XXXXXX)
if [ "$keep" -eq 1 ]; then
	trap 'echo "systest: kept $work"' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi

step "make deb"
if scripts/deb.sh "$work/deb" >"$work/deb.log" 2>&1 &&
	[ -f "$work/deb/portsel-dkms_${version}_all.deb" ]; then
	ok deb
else
	cat "$work/deb.log"
	bad deb
	finish
fi

step "payload disk (test script, .deb, static portsel-tool)"
p=$work/payload.d
mkdir -p "$p"
cp "$work/deb/portsel-dkms_${version}_all.deb" "$p/"
cp "$PORTSEL_GUEST/systemtest.sh" "$p/run"
printf 'VERSION=%s\nABI=%s\n' "$version" "$abi" >"$p/env"
if ! portsel_vm_tool "$p" >/dev/null ||
	! mkfs.ext4 -q -F -L portsel-payload -d "$p" "$work/payload.img" 64M \
		>"$work/mkfs.log" 2>&1; then
	bad payload
	finish
fi

step "copy of the rootfs image"
cp --sparse=always "$cache/rootfs.img" "$work/rootfs.img"

PORTSEL_VM_APPEND="root=/dev/vda rw fsck.mode=skip systemd.show_status=0"
PORTSEL_VM_QEMU_ARGS="-drive file=$work/rootfs.img,if=virtio,format=raw"
PORTSEL_VM_QEMU_ARGS+=" -drive file=$work/payload.img,if=virtio,format=raw,readonly=on"

# The guest's result lines: "ok NAME [info]", "FAIL NAME reason",
# "info TEXT", "stage N".
: >"$work/results.txt"
for boot in 1 2 3; do
	d=$work/boot$boot
	mkdir -p "$d"
	step "boot $boot"
	rc=0
	portsel_vm_boot "$cache/vmlinuz" "$cache/initrd.img" "$d" "$timeout" || rc=$?
	portsel_vm_result "$d" "$d/result.txt"
	cat "$d/result.txt" >>"$work/results.txt"
	while read -r word name rest; do
		case $word in
		ok) ok "boot$boot/$name" "$rest" ;;
		FAIL) bad "boot$boot/$name" "$rest" ;;
		info) echo "systest: boot$boot: $name $rest" ;;
		esac
	done <"$d/result.txt"
	stage=$(sed -n 's/^stage \([0-9]*\)$/\1/p' "$d/result.txt")
	if [ "$rc" -eq 0 ] && [ "$stage" = "$boot" ]; then
		ok "boot$boot" "stage $stage ran to its end"
	else
		bad "boot$boot" "VM ${PORTSEL_VM_END:-not started} ${PORTSEL_VM_EXIT:-}, stage '${stage}'"
		portsel_vm_console_tail "$d" 40
		break
	fi
done

finish

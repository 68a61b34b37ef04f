# SPDX-License-Identifier: GPL-2.0
#
# make systemtest's root filesystem, sourced by scripts/systemtest.sh once
# it knows the target: a base of the target's Debian suite from debootstrap
# with the kernel and headers of its ABI (base_build), and the bootable
# ext4 image made from it with the harness baked in (image_build), each
# cached under a key of what went into it (base_key, image_key). Sourced,
# not run.

# shellcheck shell=bash
# The driver's settings are read here: abi, suite, extra_suite (a
# backports suite, or empty), mirror, security, T_APT (apt options that
# see the suite's archive; empty for the host's own suite) and its step
# function.
# shellcheck disable=SC2154

# Bump when the package list or the image setup below changes.
ROOTFS_LIST_VERSION=2
# debootstrap --include (resolved from the main suite, with dependencies).
# openssl and mokutil are what portsel-dkms depends on and recommends:
# the booted guest has no package lists, so apt could not fetch them.
ROOTFS_INCLUDE=(systemd systemd-sysv udev kmod procps iproute2 dkms gcc make
	libc6-dev initramfs-tools openssl mokutil)
# installed after, from all the suite's archives (security has the
# newest ABI; a backports kernel is in backports)
ROOTFS_KERNEL=("linux-image-$abi" "linux-headers-$abi")

# The base's cache key: this list and the candidate version of every
# named package (as the host's apt, or the target's private one, sees the
# same mirror); a foreign architecture's names carry it (pkg:arm64), and
# the key the VM stage's payload.
base_key() {
	local names=("${ROOTFS_INCLUDE[@]}" "${ROOTFS_KERNEL[@]}")

	if portsel_target_cross; then
		names=("${names[@]/%/:$T_ARCH}")
	fi
	{
		echo "list $ROOTFS_LIST_VERSION $suite $extra_suite $mirror $security"
		echo "${ROOTFS_INCLUDE[*]} ${ROOTFS_KERNEL[*]}"
		dpkg-query -W -f='${Package} ${Version}\n' debootstrap
		apt-cache ${T_APT[@]+"${T_APT[@]}"} show --no-all-versions \
			"${names[@]}" 2>/dev/null |
			sed -n 's/^\(Package\|Version\): //p' | paste -d' ' - -
		if portsel_target_cross; then
			echo "foreign $T_ARCH"
			declare -f base_build_foreign _rootfs_kmods
			cat "$PORTSEL_GUEST/systemtest-bootstrap.sh"
		fi
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
# as DIR/base.tar; DIR/packages lists the guest's packages. A foreign
# architecture's is finished in a VM (base_build_foreign).
base_build() {
	local dir=$1 r=$1/root.d log=$1/build.log inc
	if portsel_target_cross; then
		base_build_foreign "$dir"
		return
	fi
	rm -rf "$r" "$dir/base.tar"
	mkdir -p "$r"
	inc=$(IFS=,; echo "${ROOTFS_INCLUDE[*]}")
	step "debootstrap $suite from $mirror (log: $log)"
	if ! debootstrap --variant=minbase --include="$inc" "$suite" "$r" \
		"$mirror" >"$log" 2>&1; then
		tail -n 20 "$log"
		return 1
	fi
	step "linux-image/headers-$abi (suites $suite, $suite-updates${security:+, $suite-security}${extra_suite:+, $extra_suite})"
	{
		echo "deb $mirror $suite main"
		echo "deb $mirror $suite-updates main"
		[ -z "$security" ] || echo "deb $security $suite-security main"
		[ -z "$extra_suite" ] || echo "deb $mirror $extra_suite main"
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

# _rootfs_kmods NAME...: the modules among NAME (those not built into the
# target's kernel) with what they depend on, dependencies first, by their
# file names (as portsel_vm_kmod finds them); in ROOTFS_KMODS. From each
# module's own "depends" (the unpacked kernel has no modules.dep).
ROOTFS_KMODS=()
_rootfs_kmods() {
	local m f d

	for m in "$@"; do
		f=$(find "$T_MODDIR/kernel" -name "$m.ko*" | head -n 1)
		[ -n "$f" ] || continue
		for d in $(modinfo -F depends "$f" | tr ',' ' '); do
			_rootfs_kmods "$d"
		done
		case " ${ROOTFS_KMODS[*]} " in
		*" $m "*) ;;
		*) ROOTFS_KMODS+=("$m") ;;
		esac
	done
}

# base_build_foreign DIR: base_build for an architecture the host cannot
# run (no binfmt_misc emulation is assumed): "debootstrap --foreign"
# unpacks the suite here; the kernel's packages and what they depend on
# are downloaded by the target's private apt (T_APT, for T_ARCH) into
# the root with its package lists; an ext4 image of it boots the target's
# kernel on the test VM's busybox initramfs, where
# scripts/guest/systemtest-bootstrap.sh runs the second stage and the
# offline apt install and writes the tree to a second disk as a tar,
# which becomes DIR/base.tar.
base_build_foreign() {
	local dir=$1 r=$1/root.d log=$1/build.log vm=$1/vm inc tool apt rc=0
	local lists=$PORTSEL_CACHE/apt/$T_SUITE-$T_ARCH/lists

	rm -rf "$r" "$vm" "$dir/base.tar"
	mkdir -p "$r" "$vm"
	inc=$(IFS=,; echo "${ROOTFS_INCLUDE[*]}")
	step "debootstrap --foreign --arch=$T_ARCH $suite from $mirror (log: $log)"
	if ! debootstrap --foreign --arch="$T_ARCH" --variant=minbase \
		--include="$inc" "$suite" "$r" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log"
		return 1
	fi
	step "downloading ${ROOTFS_KERNEL[*]} and their dependencies ($T_ARCH)"
	mkdir -p "$r/var/cache/portsel-debs/partial"
	# resolved against the dpkg status the second stage leaves (every deb
	# debootstrap unpacked, installed), not an empty one: the guest's apt
	# upgrades the installed binaries of a source package along with the
	# ones it installs (APT::Get::Upgrade-By-Source-Package), so the
	# main suite's linux-libc-dev (libc6-dev's) goes to the kernel's
	# version from the security suite, and needs that deb here
	while read -r _ deb; do
		dpkg-deb -f "$r$deb" || return 1
		printf 'Status: install ok installed\n\n'
	done <"$r/debootstrap/debpaths" >"$vm/dpkg-status"
	apt=("${T_APT[@]}" -o "APT::Architecture=$T_ARCH"
		-o "APT::Architectures=$T_ARCH"
		-o "Dir::State::status=$vm/dpkg-status"
		-o "Dir::Cache::archives=$r/var/cache/portsel-debs")
	if ! apt-get "${apt[@]}" install -y -q --download-only \
		--no-install-recommends "${ROOTFS_KERNEL[@]}" >>"$log" 2>&1; then
		tail -n 20 "$log"
		return 1
	fi
	rm -rf "$r/var/cache/portsel-debs/partial" "$r/var/cache/portsel-debs/lock"
	# the lists those were resolved from, for the guest's apt
	{
		echo "deb $mirror $suite main"
		echo "deb $mirror $suite-updates main"
		[ -z "$security" ] || echo "deb $security $suite-security main"
		[ -z "$extra_suite" ] || echo "deb $mirror $extra_suite main"
	} >"$r/etc/apt/sources.list"
	mkdir -p "$r/var/lib/apt/lists"
	find "$lists" -maxdepth 1 -type f ! -name lock \
		-exec cp -t "$r/var/lib/apt/lists/" {} +
	# dpkg without an fsync per file while the image is made (the guest
	# removes this again), on a disk whose flushes qemu ignores: an
	# emulated arm64 on a loaded host did 20 packages in 10 minutes
	echo force-unsafe-io >"$r/etc/dpkg/dpkg.cfg.d/portsel-unsafe-io"
	printf 'ABI=%s\nKERNEL_PKGS="%s"\n' "$abi" "${ROOTFS_KERNEL[*]}" >"$vm/env"
	step "mkfs.ext4 -d (first stage, $(du -sh "$r" | cut -f1))"
	if ! mkfs.ext4 -q -F -L portsel-root -d "$r" "$vm/root.img" 4G \
		>>"$log" 2>&1; then
		tail -n 20 "$log"
		return 1
	fi
	rm -rf "$r"
	truncate -s 4G "$vm/out.img"

	# the disks' and ext4's modules (crc32c: ext4's checksums, loaded
	# on demand by a modprobe the initramfs lacks)
	ROOTFS_KMODS=()
	_rootfs_kmods virtio_pci virtio_blk crc32c_generic ext4
	step "second stage in a $T_ARCH VM (kernel $abi; modules ${ROOTFS_KMODS[*]})"
	printf '%s\n' "${ROOTFS_KMODS[@]}" >"$vm/args"
	tool=$(portsel_vm_tool "$vm") || return 1
	PORTSEL_MODULE='' PORTSEL_VM_MODDIR=$T_MODDIR \
		PORTSEL_VM_KMODS="${ROOTFS_KMODS[*]}" portsel_vm_initramfs \
		"$vm/initramfs.cpio.gz" "$abi" "$tool" \
		"$PORTSEL_GUEST/systemtest-bootstrap.sh" "$vm/args" "$vm/env" ||
		return 1
	PORTSEL_VM_QEMU_ARGS="-drive file=$vm/root.img,if=virtio,format=raw,cache=unsafe -drive file=$vm/out.img,if=virtio,format=raw,cache=unsafe" \
		portsel_vm_boot "$T_VMLINUZ" "$vm/initramfs.cpio.gz" "$vm" 7200 ||
		rc=$?
	portsel_vm_result "$vm" "$vm/result.txt"
	grep -E '^(ok|FAIL) ' "$vm/result.txt" >>"$log" || true
	if [ "$rc" -ne 0 ] || ! grep -qx 'ok tar' "$vm/result.txt"; then
		grep '^FAIL ' "$vm/result.txt" || true
		portsel_vm_console_tail "$vm" 30
		return 1
	fi
	sed -n 's/^pkg //p' "$vm/result.txt" >"$dir/packages"
	mv "$vm/out.img" "$dir/base.tar"
	rm -rf "$vm"
}

# SPDX-License-Identifier: GPL-2.0
#
# Payload of the test VM (busybox sh) that finishes make systemtest's root
# fs for a foreign architecture, where the host cannot run the guest's
# programs: /dev/vda is an ext4 image of "debootstrap --foreign" plus the
# kernel's packages in /var/cache/portsel-debs and apt's package lists;
# here, on the target's own kernel, debootstrap's second stage runs in
# it, then apt installs the kernel and its headers offline, and the
# finished tree goes to /dev/vdb as one tar stream (numeric owners).
# Arguments: the kernel modules to load first, in order (disk, ext4).
# Result lines: "pkg NAME VERSION" for every installed package, "ok NAME"
# and "FAIL NAME reason" (scripts/lib/systemtest-rootfs.sh reads them).

# shellcheck shell=sh
# shellcheck source=scripts/guest/lib.sh
. /guest/lib.sh

R=/mnt/root
# ABI, KERNEL_PKGS
# shellcheck source=/dev/null
. /guest/env

fail() {
	result "FAIL $1 ${2:-}"
	exit 1
}

for m in "$@"; do
	insmod "/lib/modules/$m.ko" || fail insmod "$m"
done
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -b /dev/vdb ] && break
	sleep 0.5
done
if [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; then
	fail disks "no /dev/vda and /dev/vdb"
fi
mkdir -p $R
mount -t ext4 /dev/vda $R || fail mount "/dev/vda"

vm_say "debootstrap --second-stage (long under emulation)"
chroot $R /debootstrap/debootstrap --second-stage ||
	fail second-stage "see the console; the root's /debootstrap/debootstrap.log"
result "ok second-stage"

vm_say "apt-get install $KERNEL_PKGS (offline, from /var/cache/portsel-debs)"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
# shellcheck disable=SC2086 # KERNEL_PKGS: one word a package
chroot $R env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends --no-download \
	-o Dir::Cache::archives=/var/cache/portsel-debs $KERNEL_PKGS ||
	fail kernel-install "apt-get install $KERNEL_PKGS"
rm -rf $R/var/cache/portsel-debs $R/var/lib/apt/lists/* \
	$R/etc/dpkg/dpkg.cfg.d/portsel-unsafe-io
if [ ! -f "$R/boot/vmlinuz-$ABI" ] || [ ! -f "$R/boot/initrd.img-$ABI" ]; then
	fail kernel-install "no /boot/vmlinuz-$ABI or initrd.img-$ABI"
fi
result "ok kernel-install"
# shellcheck disable=SC2016 # dpkg-query's format
chroot $R dpkg-query -W -f='pkg ${Package} ${Version}\n' >&3
umount $R/dev $R/sys $R/proc

vm_say "tar of the root fs to /dev/vdb"
chroot $R tar --numeric-owner --one-file-system -C / -cf - . >/dev/vdb ||
	fail tar "/dev/vdb"
sync
umount $R
result "ok tar"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make systemtest: install portsel-dkms the Debian way in a booted Debian
# of a target's suite (systemd, the target's kernel and headers, that
# suite's dkms and gcc), reboot, remove and purge it. Everything runs in
# qemu (TCG); nothing is installed on the host. Ends with "N passed, N
# failed".

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/systemtest.sh [--target NAME] [--secure-boot] [--keep]
                             [--rebuild] [--timeout SECS] [--help]

Builds (once; cached) a root filesystem of the target's Debian suite with
debootstrap from the host's Debian mirror: systemd, linux-image-<abi> and
linux-headers-<abi> of the target's kernel (the ABI its suite's
linux-headers-<flavour> points at today), dkms, gcc, make, libc6-dev,
iproute2, kmod, procps, openssl and mokutil (what portsel-dkms depends
on and recommends: the guest has no package lists to fetch them), as a
raw ext4 image under \$PORTSEL_CACHE/systemtest/<target>/ (keyed by the
package list's version and the packages' versions). For an arm64 row,
whose programs the host cannot run, debootstrap --foreign unpacks the
suite here, the kernel's packages are fetched with their dependencies,
and debootstrap's second stage and an offline apt install of the kernel
run in an arm64 VM (the test VM's busybox initramfs on the row's kernel;
slow under emulation, once per key). A copy of it boots
(qemu -accel tcg, the guest's own vmlinuz/initrd from its /boot,
root=/dev/vda; qemu-system-aarch64 -machine virt -cpu max for arm64,
console ttyAMA0, the result channels on virtio consoles) three times; a
oneshot unit
runs /usr/local/sbin/portsel-systemtest, which runs the next stage of
scripts/guest/systemtest.sh from a second disk (the stage is kept in a
state file on the root fs) and powers off:
  boot 1  apt install ./portsel-dkms_<version>_all.deb (dkms builds in the
          guest), its Depends/Recommends, dkms status, modinfo, signed
          by DKMS's key, no Secure Boot note, modprobe, even-first connects,
          the shipped examples into /etc/modules-load.d and /etc/sysctl.d
          (reserve_odd = 1 enabled), modprobe -r
  boot 2  portsel loaded at boot, sysctls applied by systemd-sysctl,
          reserve_odd at work, apt remove, apt purge, every file gone
  boot 3  no module, no sysctl, no file of the package left
With --secure-boot the same root fs is partition 2 of a GPT disk whose
EFI system partition (made with mkfs.vfat -C and mtools; nothing is
mounted) holds the suite's signed boot chain: shim-signed's shimx64.efi
as EFI/BOOT/BOOTX64.EFI, shim-helpers-amd64-signed's mmx64.efi and
grub-efi-amd64-signed's grubx64.efi beside it, grub.cfg in
EFI/debian; the kernel is Debian's signed image. It boots under OVMF
with Secure Boot (the ovmf package's OVMF_CODE_4M.ms.fd, q35 with SMM),
four times:
  boot 1  the shipped variables (OVMF_VARS_4M.ms.fd: Microsoft's keys,
          no MOK): Secure Boot on, lockdown integrity; apt install, the
          module signed by DKMS's key, the package's note on how to
          enroll it, modprobe refused with "Key was rejected by service"
          (the negative control); the guest hands DKMS's certificate out
  boot 2  the same variables with that certificate in shim's MokList
          (virt-fw-vars --add-mok, as MokManager's "Enroll MOK" leaves
          it): the key in the machine keyring, modprobe, signer,
          even-first, the examples into /etc
  boot 3  loaded and configured at boot, still under Secure Boot
  boot 4  the shipped variables with the certificate in db instead of
          MokList (a cloud's custom image): the kernel takes it from db
          (.platform) and loads the module at boot
virt-fw-vars (python3-virt-firmware) is fetched from bookworm-backports
and the boot chain from the target's suite into \$PORTSEL_CACHE/secureboot.
Every check prints "systest: NAME ok|FAILED"; the last line is
"N passed, N failed".

  --target NAME   a row of scripts/targets (default bookworm-amd64):
                  $(portsel_targets | paste -sd' ' | fold -s -w 50 | sed '2,$s/^/                  /')
                  Run here: bookworm-amd64 (Debian 12, dkms 3.0, gcc-12),
                  trixie-amd64 (Debian 13, dkms 3.2, gcc-14) and
                  trixie-arm64 (Debian 13 arm64, emulated)
  --secure-boot   the UEFI Secure Boot run above instead of the plain one
                  (amd64 targets)
  --keep          keep the run directory (console logs, results) and say
                  where it is
  --rebuild       build the root filesystem again even if it is cached
  --timeout SECS  per boot (default 1200)
Environment: PORTSEL_CACHE, PORTSEL_SYSTEST_MIRROR and
PORTSEL_SYSTEST_SECURITY (mirror URLs; default: from /etc/apt/sources*),
PORTSEL_VM_CPUS, PORTSEL_VM_MEM.
USAGE
}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=systest

target=bookworm-amd64
secure_boot=0
keep=0
rebuild=0
timeout=1200
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--target)
		[ $# -ge 2 ] || { echo "systemtest.sh: --target wants a NAME (try --help)" >&2; exit 2; }
		portsel_target "$2" || exit 2
		target=$2
		shift ;;
	--secure-boot) secure_boot=1 ;;
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

for cmd in debootstrap mkfs.ext4 gcc dpkg-deb; do
	if ! command -v "$cmd" >/dev/null; then
		echo "systemtest: $cmd missing; run scripts/deps.sh" >&2
		exit 1
	fi
done
if [ "$secure_boot" -eq 1 ]; then
	for cmd in sfdisk mkfs.vfat mcopy mmd openssl python3; do
		if ! command -v "$cmd" >/dev/null; then
			echo "systemtest: $cmd missing; run scripts/deps.sh" >&2
			exit 1
		fi
	done
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "systemtest: debootstrap needs root" >&2
	exit 1
fi

# The target's kernel: the ABI its suite has today (the host's own suite
# installs its headers with apt, any other is looked up with a private apt
# state, T_APT, and fetched into the cache).
portsel_target "$target"
# the VM of the row's architecture (scripts/lib/vm.sh)
PORTSEL_VM_ARCH=$T_ARCH
qemu="qemu-system-x86_64"
if [ "$T_ARCH" = arm64 ]; then
	qemu="qemu-system-aarch64"
	# Pointer authentication stays on, with qemu's cheap IMPDEF
	# algorithm instead of QARMA5: Debian 13's arm64 userland signs
	# return addresses in every function, and dpkg and gcc under TCG
	# spent most of their time emulating QARMA.
	PORTSEL_VM_CPU=max,pauth-impdef=on
fi
if ! command -v "$qemu" >/dev/null; then
	echo "systemtest: $qemu missing; run scripts/deps.sh" >&2
	exit 1
fi
if [ "$secure_boot" -eq 1 ] && [ "$T_ARCH" != amd64 ]; then
	echo "systemtest: --secure-boot boots amd64 targets only (OVMF, shimx64)" >&2
	exit 2
fi
step "target $T_NAME: looking up its kernel"
T_APT=()
if ! portsel_target_fetch; then
	echo "systemtest: cannot get the kernel of $T_NAME" >&2
	exit 1
fi
abi=$T_ABI
version=$(scripts/version.sh)
# debootstrap the release; a backports row adds its suite for the kernel
suite=${T_SUITE%-backports}
extra_suite=
[ "$suite" = "$T_SUITE" ] || extra_suite=$T_SUITE

# --- the root filesystem ---------------------------------------------------

# shellcheck source=scripts/lib/systemtest-rootfs.sh
. "$PORTSEL_ROOT/scripts/lib/systemtest-rootfs.sh"
# The host's mirrors serve every suite: the suite's own entry if the
# host lists it, else the host's.
host_suite=$(portsel_host_suite)
mirror=${PORTSEL_SYSTEST_MIRROR:-$(portsel_mirror "$suite")}
mirror=${mirror:-$(portsel_mirror "$host_suite")}
security=${PORTSEL_SYSTEST_SECURITY:-$(portsel_mirror "$suite-security")}
security=${security:-$(portsel_mirror "$host_suite-security")}
if [ -z "$mirror" ]; then
	echo "systemtest: no Debian mirror in /etc/apt/sources*; set PORTSEL_SYSTEST_MIRROR" >&2
	exit 1
fi

# Each target's root fs and images in a directory of its own.
tcache=$PORTSEL_CACHE/systemtest/$T_NAME
bkey=$(base_key)
base=$tcache/base-$bkey
ikey=$(image_key "$bkey")
cache=$tcache/image-$ikey
step "portsel $version, $T_NAME: Debian $suite, kernel $abi, base $bkey, image $ikey"
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
		# the target's images and bases of other keys are stale
		find "$tcache" -mindepth 1 -maxdepth 1 \( -name 'image-*' ! \
			-name "image-$ikey" -o -name 'base-*' ! -name "base-$bkey" \) \
			-exec rm -rf {} +
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
mode=plain
[ "$secure_boot" -eq 0 ] || mode=secure-boot
printf 'VERSION=%s\nABI=%s\nSUITE=%s\nMODE=%s\n' "$version" "$abi" "$suite" "$mode" \
	>"$p/env"
if ! portsel_vm_tool "$p" >/dev/null ||
	! mkfs.ext4 -q -F -L portsel-payload -d "$p" "$work/payload.img" 64M \
		>"$work/mkfs.log" 2>&1; then
	bad payload
	finish
fi

payload="-drive file=$work/payload.img,if=virtio,format=raw,readonly=on"
if [ "$secure_boot" -eq 0 ]; then
	step "copy of the rootfs image"
	cp --sparse=always "$cache/rootfs.img" "$work/rootfs.img"
	kernel=$cache/vmlinuz
	initrd=$cache/initrd.img
	how=
	PORTSEL_VM_APPEND="root=/dev/vda rw fsck.mode=skip systemd.show_status=0"
	PORTSEL_VM_QEMU_ARGS="-drive file=$work/rootfs.img,if=virtio,format=raw $payload"
else
	# shellcheck source=scripts/lib/systemtest-secureboot.sh
	. "$PORTSEL_ROOT/scripts/lib/systemtest-secureboot.sh"
	if ! sb_fetch; then
		bad efi-boot-chain "cannot fetch ${SB_PACKAGES[*]} or virt-fw-vars"
		finish
	fi
	# the EFI disk of this image and boot chain, made once
	edisk=$cache/efi-$(basename "$SB_EFI")/disk.img
	if [ ! -f "$edisk.done" ]; then
		step "EFI disk from the rootfs image (once: $edisk)"
		rm -rf "$cache"/efi-*
		mkdir -p "$(dirname "$edisk")"
		if sb_disk "$cache/rootfs.img" "$edisk"; then
			touch "$edisk.done"
		else
			bad efi-disk "sb_disk $edisk"
			finish
		fi
	fi
	ok efi-disk "$edisk"
	step "copy of the EFI disk"
	cp --sparse=always "$edisk" "$work/disk.img"
	sb_vars_ms "$work/vars-ms.fd"
	# the firmware boots shim from the disk: no -kernel
	kernel=
	initrd=
	how=" (UEFI Secure Boot; Microsoft's keys, no MOK)"
	PORTSEL_VM_QEMU_ARGS="$(sb_qemu_args "$work/disk.img" "$work/vars-ms.fd") $payload"
fi

# The Secure Boot run's boots 2 and 3: the certificate boot 1 handed out
# (its "cert BASE64" line), enrolled into MokList.
enroll_mok() {
	local b64
	b64=$(sed -n 's/^cert \([A-Za-z0-9+/=]*\)$/\1/p' "$work/boot1/result.txt" | head -n 1)
	if [ -n "$b64" ] && base64 -d <<<"$b64" >"$work/mok.der" &&
		sb_vars_mok "$work/mok.der" "$work/vars-mok.fd"; then
		ok mok-enrolled "virt-fw-vars --add-mok: $(openssl x509 -inform DER \
			-in "$work/mok.der" -noout -subject)"
		PORTSEL_VM_QEMU_ARGS="$(sb_qemu_args "$work/disk.img" "$work/vars-mok.fd") $payload"
		how=" (UEFI Secure Boot; DKMS's key in MokList)"
	else
		bad mok-enrolled "no certificate from boot 1, or virt-fw-vars failed ($work/vars-mok.fd.log)"
		return 1
	fi
}

# Boot 4 of the Secure Boot run: the same certificate in db instead.
enroll_db() {
	if sb_vars_db "$work/mok.der" "$work/vars-db.fd"; then
		ok db-enrolled "virt-fw-vars --add-db"
		PORTSEL_VM_QEMU_ARGS="$(sb_qemu_args "$work/disk.img" "$work/vars-db.fd") $payload"
		how=" (UEFI Secure Boot; DKMS's key in db, MokList empty)"
	else
		bad db-enrolled "virt-fw-vars failed ($work/vars-db.fd.log)"
		return 1
	fi
}

# The guest's result lines: "ok NAME [info]", "FAIL NAME reason",
# "info TEXT", "stage N" (and "cert BASE64").
: >"$work/results.txt"
boots="1 2 3"
[ "$secure_boot" -eq 0 ] || boots="1 2 3 4"
for boot in $boots; do
	d=$work/boot$boot
	mkdir -p "$d"
	if [ "$secure_boot" -eq 1 ] && [ "$boot" -eq 2 ]; then
		enroll_mok || break
	fi
	if [ "$secure_boot" -eq 1 ] && [ "$boot" -eq 4 ]; then
		enroll_db || break
	fi
	step "boot $boot$how"
	rc=0
	portsel_vm_boot "$kernel" "$initrd" "$d" "$timeout" || rc=$?
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

# SPDX-License-Identifier: GPL-2.0
#
# make systemtest ARGS=--secure-boot's host side, sourced by
# scripts/systemtest.sh: the signed boot chain of the target's suite and
# virt-fw-vars, fetched into the cache (sb_fetch), the EFI disk made from
# the cached root fs without mounting anything (sb_disk), the firmware's
# variable stores (sb_vars_ms, sb_vars_mok, sb_vars_db) and the qemu arguments that
# boot them with Secure Boot on (sb_qemu_args). Sourced, not run.

# shellcheck shell=bash
# The driver's settings are read here: abi, T_SUITE, T_ARCH, T_APT (apt
# options that see the suite's archive; empty for the host's own suite)
# and its step function.
# shellcheck disable=SC2154

# The firmware: the SMM build of OVMF with Secure Boot, and its variable
# store with Debian's PK, Microsoft's KEK and db, Secure Boot on (Debian's
# ovmf package).
SB_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.ms.fd
SB_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
# shim's MokList variable (its vendor GUID)
SB_SHIM_GUID=605dab50-e046-4300-abb6-3dd810dd8b23
# the boot chain, signed by Microsoft (shim) and Debian (the rest)
SB_PACKAGES=(shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed)
# The ESP's size (MiB); the root partition follows it.
SB_ESP_MB=64

# sb_fetch: the signed EFI binaries of the target's suite in SB_EFI (a
# directory keyed by the packages' versions) and virt-fw-vars from
# bookworm-backports in SB_VIRT_FW (unpacked, run with PYTHONPATH).
sb_fetch() {
	local vers dir t

	vers=$(apt-cache ${T_APT[@]+"${T_APT[@]}"} show --no-all-versions \
		"${SB_PACKAGES[@]}" 2>/dev/null | sed -n 's/^Version: //p' | paste -sd_)
	SB_EFI=$PORTSEL_CACHE/secureboot/$T_SUITE-$T_ARCH/$vers
	if [ ! -f "$SB_EFI/done" ]; then
		step "fetching ${SB_PACKAGES[*]} ($T_SUITE) into $SB_EFI"
		rm -rf "$SB_EFI"
		mkdir -p "$SB_EFI/debs" "$SB_EFI/root"
		(cd "$SB_EFI/debs" && apt-get ${T_APT[@]+"${T_APT[@]}"} \
			-o APT::Sandbox::User=root download -qq "${SB_PACKAGES[@]}") ||
			return 1
		for t in "$SB_EFI"/debs/*.deb; do
			dpkg-deb -x "$t" "$SB_EFI/root" || return 1
		done
		rm -rf "$SB_EFI/debs"
		touch "$SB_EFI/done"
	fi
	for t in shim/shimx64.efi.signed shim/mmx64.efi.signed \
		grub/x86_64-efi-signed/grubx64.efi.signed; do
		if [ ! -f "$SB_EFI/root/usr/lib/$t" ]; then
			portsel_say "no /usr/lib/$t in ${SB_PACKAGES[*]} ($T_SUITE)"
			return 1
		fi
	done

	# virt-fw-vars: python3-virt-firmware is in bookworm-backports (and
	# trixie); its dependencies are bookworm's (scripts/deps.sh)
	dir=$PORTSEL_CACHE/secureboot/virt-firmware
	SB_VIRT_FW=$dir/root
	if [ ! -x "$SB_VIRT_FW/usr/bin/virt-fw-vars" ]; then
		step "fetching python3-virt-firmware (bookworm-backports) into $dir"
		rm -rf "$dir"
		mkdir -p "$dir/debs"
		# a private apt state of bookworm-backports, as targets.sh keeps it
		(
			T_SUITE=bookworm-backports T_ARCH=amd64
			portsel_target_apt &&
			cd "$dir/debs" &&
			apt-get "${T_APT[@]}" download -qq python3-virt-firmware
		) || return 1
		dpkg-deb -x "$dir"/debs/python3-virt-firmware_*.deb "$SB_VIRT_FW" ||
			return 1
		rm -rf "$dir/debs"
	fi
	if ! virt_fw_vars --help >/dev/null 2>&1; then
		portsel_say "virt-fw-vars does not run (python3-cryptography, -pefile? run scripts/deps.sh)"
		return 1
	fi
}

virt_fw_vars() {
	PYTHONPATH=$SB_VIRT_FW/usr/lib/python3/dist-packages \
		python3 "$SB_VIRT_FW/usr/bin/virt-fw-vars" "$@"
}

# sb_disk ROOTFS OUT: a GPT disk OUT with an EFI system partition (shim
# as the removable-media path EFI/BOOT/BOOTX64.EFI, MokManager and grub
# beside it, grub.cfg in grub's prefix EFI/debian) and ROOTFS (the ext4
# image) as partition 2. The partitions are made as files (mkfs.vfat -C,
# mtools) and written in at their offsets: nothing is mounted.
sb_disk() {
	local rootfs=$1 out=$2 esp=$2.esp cfg=$2.grub.cfg
	local l=$SB_EFI/root/usr/lib root_mb total_mb

	root_mb=$(( ($(stat -c %s "$rootfs") + 1048575) / 1048576 ))
	total_mb=$((1 + SB_ESP_MB + root_mb + 1))
	rm -f "$out" "$esp"
	truncate -s "${total_mb}M" "$out" || return 1
	sfdisk -q "$out" <<-SFDISK || return 1
		label: gpt
		start=1MiB, size=${SB_ESP_MB}MiB, type=uefi, name=ESP
		start=$((1 + SB_ESP_MB))MiB, size=${root_mb}MiB, type=linux, name=root
	SFDISK

	# The kernel's arguments are those of the plain boots (vm.sh's), root
	# on partition 2.
	cat >"$cfg" <<-GRUB
		set timeout=0
		search --no-floppy --label --set=root portsel-root
		linux /boot/vmlinuz-$abi root=/dev/vda2 rw console=ttyS0 panic=-1 panic_on_warn=1 oops=panic quiet fsck.mode=skip systemd.show_status=0
		initrd /boot/initrd.img-$abi
		boot
	GRUB
	mkfs.vfat -C -n PORTSEL-ESP "$esp" $((SB_ESP_MB * 1024)) >/dev/null &&
		mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian &&
		mcopy -i "$esp" "$l/shim/shimx64.efi.signed" ::/EFI/BOOT/BOOTX64.EFI &&
		mcopy -i "$esp" "$l/shim/mmx64.efi.signed" ::/EFI/BOOT/mmx64.efi &&
		mcopy -i "$esp" "$l/grub/x86_64-efi-signed/grubx64.efi.signed" \
			::/EFI/BOOT/grubx64.efi &&
		mcopy -i "$esp" "$cfg" ::/EFI/debian/grub.cfg || return 1
	dd if="$esp" of="$out" bs=1M seek=1 conv=notrunc status=none &&
		dd if="$rootfs" of="$out" bs=1M seek=$((1 + SB_ESP_MB)) \
			conv=notrunc,sparse status=none || return 1
	rm -f "$esp" "$cfg"
}

# sb_vars_ms OUT: the firmware's store as shipped: Microsoft's keys only.
sb_vars_ms() {
	cp "$SB_OVMF_VARS" "$1"
}

# sb_vars_mok DER OUT: the same with the DER certificate DER in shim's
# MokList (attributes NV|BS, as shim wants them), as MokManager leaves
# it after "Enroll MOK".
sb_vars_mok() {
	local pem=$2.pem

	openssl x509 -inform DER -in "$1" -out "$pem" &&
		virt_fw_vars -i "$SB_OVMF_VARS" --add-mok "$SB_SHIM_GUID" "$pem" \
			-o "$2" >>"$2.log" 2>&1
}

# sb_vars_db DER OUT: the shipped store with the certificate DER added
# to the firmware's db instead (the route of a cloud's custom image),
# MokList empty.
sb_vars_db() {
	local pem=$2.pem

	openssl x509 -inform DER -in "$1" -out "$pem" &&
		virt_fw_vars -i "$SB_OVMF_VARS" --add-db "$SB_SHIM_GUID" "$pem" \
			-o "$2" >>"$2.log" 2>&1
}

# sb_qemu_args DISK VARS: the qemu arguments of a Secure Boot boot
# from DISK: q35 with SMM (the firmware's variables are only writable
# from SMM), the code read-only, VARS writable.
sb_qemu_args() {
	echo "-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on" \
		"-global ICH9-LPC.disable_s3=1" \
		"-drive if=pflash,format=raw,unit=0,readonly=on,file=$SB_OVMF_CODE" \
		"-drive if=pflash,format=raw,unit=1,file=$2" \
		"-drive file=$1,if=virtio,format=raw"
}

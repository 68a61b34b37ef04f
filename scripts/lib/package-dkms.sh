# SPDX-License-Identifier: GPL-2.0
#
# The package gate's dkms and install checks, sourced by
# scripts/package-test.sh once it has unpacked the .deb: dkms builds,
# installs and removes the module from the .deb's own sources, refuses a
# kernel it cannot hook, and the Makefile's dkms-install and install
# targets work; all in scratch trees under the test's work directory.
# Sourced, not run.

# shellcheck shell=bash
# The driver's settings are read here: work, root (the unpacked .deb),
# log, deb, version, abi, kdir, and its ok and bad.
# shellcheck disable=SC2154

# dkms's scratch trees for the .deb's /usr/src, and where its install
# puts the module.
trees=(--dkmstree "$work/dkms" --sourcetree "$root/usr/src"
	--installtree "$work/lib/modules" --no-depmod)
installed=$work/lib/modules/$abi/updates/dkms/portsel.ko

# dkms-build: dkms add and build from the .deb's /usr/src, signed with
# the scratch MOK key.
check_dkms_build() {
	local ko

	mkdir -p "$work/dkms" "$work/lib/modules/$abi"
	if [ -n "$deb" ] &&
		dkms add "${trees[@]}" -m portsel -v "$version" >"$log" 2>&1 &&
		dkms build "${trees[@]}" -m portsel -v "$version" -k "$abi" \
			--kernelsourcedir "$kdir" >>"$log" 2>&1; then
		ko=$work/dkms/portsel/$version/$abi/x86_64/module/portsel.ko
		mi() { modinfo -F "$1" "$ko"; }
		if [ -f "$ko" ] && [ "$(mi version)" = "$version" ] &&
			[ "$(mi vermagic | cut -d' ' -f1)" = "$abi" ] &&
			[ "$(mi signer)" = "DKMS module signing key" ]; then
			ok dkms-build
		else
			modinfo "$ko" >>"$log" 2>&1 || true
			bad dkms-build "no signed portsel.ko $version for $abi"
		fi
	else
		[ -n "$deb" ] || echo "no .deb" >"$log"
		find "$work/dkms" -name make.log -exec cat {} + >>"$log" 2>/dev/null || true
		bad dkms-build
	fi
}

# dkms-install: dkms install to the scratch /lib/modules, then remove --all.
check_dkms_install() {
	if [ -n "$deb" ] &&
		dkms install "${trees[@]}" -m portsel -v "$version" -k "$abi" \
			--kernelsourcedir "$kdir" >"$log" 2>&1 &&
		[ -f "$installed" ] &&
		dkms remove "${trees[@]}" -m portsel -v "$version" --all >>"$log" 2>&1 &&
		[ ! -e "$installed" ] && [ -z "$(ls -A "$work/dkms")" ]; then
		ok dkms-install
	else
		bad dkms-install "install to $installed or remove --all"
	fi
}

# dkms-refuse: the gate in dkms.conf, on the same sources.
check_dkms_refuse() {
	local rtrees problems=() cfg rc

	: >"$log"
	mkdir -p "$work/refuse/src"
	scripts/dkms-source.sh "$work/refuse/src/portsel-$version" >/dev/null
	rtrees=(--dkmstree "$work/refuse/dkms" --sourcetree "$work/refuse/src"
		--installtree "$work/lib/modules" --no-depmod)
	mkdir -p "$work/refuse/dkms"
	dkms add "${rtrees[@]}" -m portsel -v "$version" >>"$log" 2>&1 || true
	grep -v '^CONFIG_KPROBES=' "$kdir/.config" >"$work/refuse/no-kprobes"
	grep -vE '^CONFIG_DYNAMIC_FTRACE_WITH_(REGS|ARGS)=' "$kdir/.config" >"$work/refuse/no-regs"
	for cfg in no-kprobes no-regs; do
		rc=0
		dkms build "${rtrees[@]}" -m portsel -v "$version" -k "$abi" \
			--config "$work/refuse/$cfg" >>"$log" 2>&1 || rc=$?
		[ "$rc" -eq 77 ] || problems+=("$cfg: dkms build returned $rc, not 77")
	done
	rc=0
	dkms build "${rtrees[@]}" -m portsel -v "$version" -k "$abi/ppc64le" \
		>>"$log" 2>&1 || rc=$?
	[ "$rc" -eq 77 ] || problems+=("ppc64le: dkms build returned $rc, not 77")
	if [ ${#problems[@]} -eq 0 ]; then
		ok dkms-refuse
	else
		printf '%s\n' "${problems[@]}" >>"$log"
		bad dkms-refuse
	fi
}

# make-dkms: the Makefile's own dkms targets, in scratch trees.
check_make_dkms() {
	local mtrees mk

	mtrees="--dkmstree $work/mdkms --sourcetree $work/msrc --installtree $work/lib/modules --no-depmod"
	mkdir -p "$work/mdkms" "$work/msrc"
	mk=(make --no-print-directory KDIR="$kdir" DKMS_SOURCE_TREE="$work/msrc"
		DKMS_FLAGS="$mtrees")
	if "${mk[@]}" dkms-install >"$log" 2>&1 && [ -f "$installed" ] &&
		grep -qx "PACKAGE_VERSION=\"$version\"" "$work/msrc/portsel-$version/dkms.conf" &&
		"${mk[@]}" dkms-install >>"$log" 2>&1 &&
		"${mk[@]}" dkms-remove >>"$log" 2>&1 && [ ! -e "$installed" ] &&
		[ -z "$(ls -A "$work/mdkms")" ] && [ -z "$(ls -A "$work/msrc")" ]; then
		ok make-dkms
	else
		bad make-dkms "dkms-install (twice) then dkms-remove"
	fi
}

# make-install: in a copy of the tree, so the checkout is not built in.
check_make_install() {
	local dest target

	mkdir -p "$work/copy/module"
	cp -r Kbuild Makefile scripts "$work/copy/"
	cp module/*.[ch] module/Kbuild.core "$work/copy/module/"
	dest=$work/modroot
	target=$dest/lib/modules/$abi/updates/portsel.ko
	if make -C "$work/copy" --no-print-directory KDIR="$kdir" \
		INSTALL_MOD_PATH="$dest" install >"$log" 2>&1 && [ -f "$target" ] &&
		grep -q "updates/portsel.ko:" "$dest/lib/modules/$abi/modules.dep" &&
		make -C "$work/copy" --no-print-directory KDIR="$kdir" \
			INSTALL_MOD_PATH="$dest" uninstall >>"$log" 2>&1 &&
		[ ! -e "$target" ] &&
		! grep -q "portsel" "$dest/lib/modules/$abi/modules.dep"; then
		ok make-install
	else
		bad make-install "install to $target, depmod, uninstall"
	fi
}

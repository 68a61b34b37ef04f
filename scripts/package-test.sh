#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The package gate: build the .deb, check it with lintian and by its
# contents, then let dkms build, install and remove the module from the
# .deb's own sources, and try make dkms-install and make install. Every
# dkms and install step works in scratch trees: nothing is installed on the
# host, nothing is loaded. Ends with "N passed, N failed".

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/package-test.sh [--help] [KDIR]

Builds against KDIR (default: scripts/kdir.sh), whose release is the
kernel dkms is told to build for. Tests, in order:
  conf-version   dkms.conf, read from another directory, gives the version
                 of module/version.h
  deb            make deb (scripts/deb.sh) builds portsel-dkms
  lintian        no error or warning (overrides in packaging/debian)
  control        Package, Architecture: all, Version, Depends: dkms and
                 openssl (DKMS makes its signing key with it), Recommends:
                 mokutil, dh_dkms's postinst/prerm for this name and
                 version, every maintainer script parses (sh -n), and the
                 postinst has the Secure Boot note (mokutil --import)
  contents       /usr/src/portsel-<version>/ (dkms.conf with the version,
                 Kbuild, Makefile, module/*.[ch] and Kbuild.core),
                 README.md, copyright, the sysctl.d and modules-load.d
                 examples
  dkms-build     dkms add + build from the unpacked .deb, module signed
                 with a scratch MOK key, vermagic and version right
  dkms-install   dkms install to a scratch /lib/modules, then remove --all
  dkms-refuse    dkms refuses a kernel without KPROBES, one without
                 DYNAMIC_FTRACE_WITH_REGS/_ARGS, and an arch other than x86_64 and
                 aarch64 (status 77)
  make-dkms      make dkms-install, then make dkms-remove, in scratch trees
  make-install   make install / make uninstall with INSTALL_MOD_PATH
  host           /usr/src, /var/lib/dkms and /lib/modules/<abi> unchanged
USAGE
}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=package
portsel_operands_only usage "$@"
kdir=${1:-$(portsel_kdir)}
abi=$(portsel_abi "$kdir")
cd "$PORTSEL_ROOT"
version=$(scripts/version.sh)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log

ok() {
	portsel_pass "$1"
}
# bad WHAT [REASON]: the failed step's log first
bad() {
	if [ -s "$log" ]; then
		cat "$log"
	fi
	portsel_fail "$1" "${2:-}"
}

# What a scratch install must not change on the host.
host_state() {
	{
		ls -la /var/lib/dkms
		ls -d /usr/src/portsel-* 2>/dev/null || true
		find "/lib/modules/$abi" -path "/lib/modules/$abi/kernel" -prune \
			-o -printf '%p %s %T@\n' | sort
	} 2>&1
}
host_state >"$work/host.before"

# dkms signs what it builds; without these it would create its key in
# /var/lib/dkms. A scratch key also shows that signing works.
export mok_signing_key=$work/mok/mok.key mok_certificate=$work/mok/mok.pub
mkdir -p "$work/mok"

echo "package: portsel $version, kernel $abi ($kdir)"

# conf-version
: >"$log"
v=$(cd / && bash -c 'kernelver=none kernel_source_dir=/nonexistent
	. "$1" >/dev/null; echo "$PACKAGE_VERSION"' _ "$PORTSEL_ROOT/dkms.conf")
if [ "$v" = "$version" ]; then
	ok conf-version
else
	bad conf-version "dkms.conf gives '$v', module/version.h '$version'"
fi

# deb
deb=$work/out/portsel-dkms_${version}_all.deb
if scripts/deb.sh "$work/out" >"$log" 2>&1 && [ -f "$deb" ]; then
	ok deb
else
	bad deb
	deb=
fi

# lintian
if [ -n "$deb" ]; then
	lintian --info --display-info --display-experimental --pedantic \
		"$work/out/portsel_${version}_all.changes" 2>&1 |
		grep -v 'running with root privileges' >"$log" || true
	if grep -qE '^[EW]: ' "$log"; then
		bad lintian
	else
		cat "$log"
		: >"$log"
		ok lintian
	fi
else
	: >"$log"
	bad lintian "no .deb"
fi

# control, contents
root=$work/root
: >"$log"
if [ -n "$deb" ]; then
	dpkg-deb -x "$deb" "$root"
	dpkg-deb -e "$deb" "$work/control"
	f() { dpkg-deb -f "$deb" "$1"; }
	problems=()
	[ "$(f Package)" = portsel-dkms ] || problems+=("Package: $(f Package)")
	[ "$(f Architecture)" = all ] || problems+=("Architecture: $(f Architecture)")
	[ "$(f Version)" = "$version" ] || problems+=("Version: $(f Version)")
	grep -qE '(^|, )dkms( |,|$)' <<<"$(f Depends)" &&
		grep -qE '(^|, )openssl( |,|$)' <<<"$(f Depends)" ||
		problems+=("Depends: $(f Depends)")
	grep -qE '(^|, )mokutil( |,|$)' <<<"$(f Recommends)" ||
		problems+=("Recommends: $(f Recommends)")
	for s in postinst prerm; do
		if ! grep -qx "DKMS_NAME=portsel" "$work/control/$s" ||
			! grep -qx "DKMS_VERSION=$version" "$work/control/$s"; then
			problems+=("$s does not name portsel $version")
		fi
	done
	for s in "$work"/control/*; do
		case $(head -n 1 "$s") in
		'#!/bin/sh'*) err=$(sh -n "$s" 2>&1) || problems+=("${s##*/}: $err") ;;
		esac
	done
	grep -q 'mokutil --import' "$work/control/postinst" ||
		problems+=("postinst has no Secure Boot note")
	if [ ${#problems[@]} -eq 0 ]; then
		ok control
	else
		printf '%s\n' "${problems[@]}" >"$log"
		bad control
	fi

	src=usr/src/portsel-$version
	doc=usr/share/doc/portsel-dkms
	# dh_compress gzips a README over 4 kB
	readme=$doc/README.md
	[ -f "$root/$readme.gz" ] && readme=$readme.gz
	want=("$src/dkms.conf" "$src/Kbuild" "$src/Makefile"
		"$readme" "$doc/copyright" "$doc/changelog.gz"
		"$doc/examples/sysctl.d/90-portsel.conf"
		"$doc/examples/modules-load.d/portsel.conf")
	for m in module/*.c module/*.h module/Kbuild.core; do
		want+=("$src/$m")
	done
	problems=()
	for w in "${want[@]}"; do
		[ -f "$root/$w" ] || problems+=("missing /$w")
	done
	grep -qx "PACKAGE_VERSION=\"$version\"" "$root/$src/dkms.conf" 2>/dev/null ||
		problems+=("/$src/dkms.conf does not carry PACKAGE_VERSION=\"$version\"")
	grep -q '^net\.portsel\.policy *=' \
		"$root/$doc/examples/sysctl.d/90-portsel.conf" 2>/dev/null ||
		problems+=("the sysctl.d example sets no net.portsel.policy")
	extra=$(cd "$root" && find usr -type f | sort |
		grep -vxF -f <(printf '%s\n' "${want[@]}")) || true
	[ -z "$extra" ] || problems+=("unexpected: $extra")
	if [ ${#problems[@]} -eq 0 ]; then
		ok contents
	else
		printf '%s\n' "${problems[@]}" >"$log"
		bad contents
	fi
else
	bad control "no .deb"
	bad contents "no .deb"
fi

# dkms-build, dkms-install, dkms-refuse, make-dkms, make-install
# shellcheck source=scripts/lib/package-dkms.sh
. "$PORTSEL_ROOT/scripts/lib/package-dkms.sh"
check_dkms_build
check_dkms_install
check_dkms_refuse
check_make_dkms
check_make_install

# host
host_state >"$work/host.after"
if diff -u "$work/host.before" "$work/host.after" >"$log"; then
	ok host
else
	bad host "the host's dkms or module trees changed"
fi

portsel_tally

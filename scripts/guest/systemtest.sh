#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of scripts/systemtest.sh, run as root by
# /usr/local/sbin/portsel-systemtest (scripts/guest/systemtest-launch) in
# a booted Debian (12 or 13), once per boot: DIR/run DIR, where DIR (the
# payload disk) holds env (VERSION, ABI, SUITE, MODE),
# portsel-dkms_<VERSION>_all.deb and portsel-tool. The stage is kept on
# the root fs in $STATE, so each boot runs the next one. MODE plain
# (booted by qemu -kernel, no firmware):
#   1  install the .deb, dkms status, modinfo, signer, modprobe,
#      even-first, the examples into /etc, modprobe -r
#   2  loaded and configured at boot, apt remove, apt purge
#   3  nothing of the package left
# MODE secure-boot (shim, grub and Debian's signed kernel under OVMF with
# Secure Boot on):
#   1  the firmware's Microsoft keys only: install the .deb, the
#      package's advice, the module signed and refused; the certificate
#      goes to the host ("cert BASE64"), which enrolls it into MokList
#   2  the key enrolled: in the machine keyring, modprobe, signer,
#      even-first, the examples into /etc
#   3  still enrolled: loaded and configured at boot
#   4  the certificate in db instead of MokList: loaded at boot
# Result lines on fd 3: "stage N", "ok NAME [detail]", "FAIL NAME reason",
# "info NAME text", "cert BASE64". Progress ("vm: ...") on stdout, the
# console.

set -euo pipefail

dir=$1
# shellcheck source=/dev/null
. "$dir/env"
deb=$dir/portsel-dkms_${VERSION}_all.deb
tool=$dir/portsel-tool
STATE=/var/lib/portsel-systemtest
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
t0=$(cut -d' ' -f1 /proc/uptime)

say() {
	# a console that goes away must not end the test
	echo "vm: [up $(cut -d' ' -f1 /proc/uptime)s] $*" || true
}
ok() {
	echo "ok $*" >&3
	say "$1 ok"
}
bad() {
	echo "FAIL $1 ${2:-}" >&3
	say "$1 FAILED: ${2:-}"
}
info() {
	echo "info $*" >&3
}
# check NAME DETAIL-ON-FAILURE CMD...: ok if CMD succeeds
check() {
	local name=$1 why=$2
	shift 2
	if "$@" >>"$STATE/log" 2>&1; then ok "$name"; else bad "$name" "$why"; fi
}
# is NAME WHY TEST...: ok NAME if the test command succeeds (quietly)
is() {
	local name=$1 why=$2
	shift 2
	if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name" "$why"; fi
}
# run CMD with its output in the log and, when it fails, on the console
logged() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	printf '%s\n' "$out" >>"$STATE/log"
	[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 20
	return "$rc"
}

ko_path=/lib/modules/$ABI/updates/dkms
sys() { sysctl -n "net.portsel.$1" 2>/dev/null; }

# The ports fill printed (one per line, "#" lines left out), as one line.
ports() {
	{ grep -v '^#' "$1" 2>/dev/null || true; } | tr '\n' ' ' | sed 's/ $//'
}
all_even() {
	local p
	for p in $1; do [ $((p % 2)) -eq 0 ] || return 1; done
}

listener=
start_listener() {
	listener=$("$tool" listen -d 127.0.0.1:5555)
}
stop_listener() {
	[ -z "$listener" ] || kill "$listener" 2>/dev/null || true
	listener=
}
trap stop_listener EXIT

# even-first over a 10-port range, both parities: evens, then odds
even_first_fill() {
	local out first last5

	sysctl -q -w net.ipv4.ip_local_port_range="40000 40009"
	sysctl -q -w net.portsel.policy=even-first
	if start_listener; then
		"$tool" fill -n 10 127.0.0.1:5555 >"$STATE/fill1" 2>&1 || true
		stop_listener
	fi
	out=$(ports "$STATE/fill1")
	first=$(cut -d' ' -f1-5 <<<"$out")
	last5=$(cut -d' ' -f6-10 <<<"$out")
	if all_even "$first" && ! grep -q '[02468]\b' <<<"$last5" &&
		[ "$(tr ' ' '\n' <<<"$out" | sort -n | tr '\n' ' ')" = \
		  "40000 40001 40002 40003 40004 40005 40006 40007 40008 40009 " ]; then
		ok even-first "$out"
	else
		bad even-first "ports '$out'"
	fi
}

# The shipped examples, where README says to put them, with reserve_odd
# = 1 uncommented.
install_examples() {
	local ex=/usr/share/doc/portsel-dkms/examples m s
	m=$ex/modules-load.d/portsel.conf
	s=$ex/sysctl.d/90-portsel.conf
	if [ -f "$m" ] && [ -f "$s" ]; then
		ok examples-shipped "$m $s"
	else
		bad examples-shipped "not in $ex: $(find "$ex" 2>&1 | tr '\n' ' ')"
		return 1
	fi
	cp "$m" /etc/modules-load.d/portsel.conf
	sed 's/^#[[:space:]]*net\.portsel\.reserve_odd = 0$/net.portsel.reserve_odd = 1/' \
		"$s" >/etc/sysctl.d/90-portsel.conf
	if grep -qx 'net.portsel.policy = even-first' /etc/sysctl.d/90-portsel.conf &&
		grep -qx 'net.portsel.reserve_odd = 1' /etc/sysctl.d/90-portsel.conf; then
		ok examples-installed "policy even-first, reserve_odd 1"
	else
		bad examples-installed "the example has no policy/reserve_odd lines to set"
	fi
}

# With reserve_odd, connect() gets the five even ports of a 10-port
# range and no more.
reserve_odd_fill() {
	local out

	sysctl -q -w net.ipv4.ip_local_port_range="40000 40009"
	if start_listener; then
		"$tool" fill -n 10 127.0.0.1:5555 >"$STATE/fill2" 2>&1 || true
		stop_listener
	fi
	out=$(ports "$STATE/fill2")
	if [ "$out" != "" ] && all_even "$out" && [ "$(wc -w <<<"$out")" -eq 5 ] &&
		grep -q 'err=EADDRNOTAVAIL' "$STATE/fill2"; then
		ok boot-connect "$out, then EADDRNOTAVAIL"
	else
		bad boot-connect "'$out' $(grep '^#' "$STATE/fill2" || true)"
	fi
}

# What boot 2 checks: portsel loaded by systemd-modules-load and
# configured by systemd-sysctl, with no manual step.
loaded_at_boot() {
	local out

	# systemd 252 and 257: systemd-sysctl.service is ordered after
	# systemd-modules-load.service, so the keys of a module that
	# modules-load.d names exist when sysctl.d is applied.
	out=$(systemctl show -p After --value systemd-sysctl.service)
	if grep -qw systemd-modules-load.service <<<"$out"; then
		ok sysctl-after-modules-load
	else
		bad sysctl-after-modules-load "After=$out"
	fi
	info modules-load "$(systemctl show -p ActiveState,Result --value systemd-modules-load.service | tr '\n' ' ')"
	info sysctl-unit "$(systemctl show -p ActiveState,Result --value systemd-sysctl.service | tr '\n' ' ')"

	is autoload "portsel not loaded at boot" [ -d /sys/module/portsel ]
	out=$(sys policy || true)
	is boot-policy "'$out'" [ "$out" = even-first ]
	out=$(sys reserve_odd || true)
	is boot-reserve-odd "'$out'" [ "$out" = 1 ]
	reserve_odd_fill
}

mkdir -p "$STATE"
last=$(cat "$STATE/stage" 2>/dev/null || echo 0)
stage=$((last + 1))
# Under UEFI the firmware and grub write to this port too, and may leave
# a line unfinished: start ours on a line of their own.
echo >&3
echo "stage $stage" >&3
say "stage $stage (kernel $(uname -r), portsel $VERSION, boot took ${t0}s)"
is kernel "running $(uname -r), want $ABI" [ "$(uname -r)" = "$ABI" ]

# apt install the .deb and check what dkms built: registered, installed
# where modprobe finds it, this version for this kernel, signed with
# dkms's key. The install's output (the package's notes) in $STATE/apt.out.
install_deb() {
	local out rel

	check clean-before "portsel already registered with dkms" \
		sh -c '! dkms status -m portsel | grep -q .'

	say "apt install ./$(basename "$deb") (dkms builds portsel here)"
	if apt-get install -y "$deb" >"$STATE/apt.out" 2>&1; then
		cat "$STATE/apt.out" >>"$STATE/log"
		ok apt-install
	else
		tail -n 20 "$STATE/apt.out"
		bad apt-install "apt-get install exited non-zero"
		return 1
	fi
	dpkg -L portsel-dkms | sort >"$STATE/files"
	cp /var/lib/dpkg/info/portsel-dkms.conffiles "$STATE/conffiles" 2>/dev/null ||
		: >"$STATE/conffiles"
	info package "$(grep -c . "$STATE/files") paths, $(grep -c . "$STATE/conffiles") conffiles"
	# openssl, with which dkms makes its signing key, is a dependency
	rel=$(dpkg-query -W -f='Depends: ${Depends}; Recommends: ${Recommends}' portsel-dkms)
	if grep -q 'Depends: .*\bopenssl\b.*; Recommends: .*\bmokutil\b' <<<"$rel"; then
		ok package-relations "$rel"
	else
		bad package-relations "$rel"
	fi

	out=$(dkms status -m portsel 2>/dev/null || true)
	info dkms-status "$out"
	if grep -q "^portsel/$VERSION, $ABI, $(uname -m): installed" <<<"$out"; then
		ok dkms-status
	else
		bad dkms-status "'$out'"
	fi

	# modinfo by name: the module index must point at dkms's file
	out=$(modinfo -n portsel 2>&1 || true)
	case $out in
	"$ko_path"/portsel.ko*) ok modinfo-path "$out" ;;
	*) bad modinfo-path "modinfo -n: '$out', want $ko_path/portsel.ko*" ;;
	esac
	out=$(modinfo -F version portsel 2>/dev/null || true)
	is modinfo-version "'$out'" [ "$out" = "$VERSION" ]
	out=$(modinfo -F vermagic portsel 2>/dev/null | cut -d' ' -f1 || true)
	is modinfo-vermagic "'$out'" [ "$out" = "$ABI" ]
	signed
}

# dkms signed the module with the key it made (CN "DKMS module signing
# key").
signed() {
	local out
	out=$(modinfo -F signer portsel 2>/dev/null || true)
	is signer "'$out'" [ "$out" = "DKMS module signing key" ]
}

stage1() {
	local pol

	install_deb || return
	# booted without firmware: no Secure Boot, so no note about it
	if ! grep -q '^portsel-dkms: .*Secure Boot' "$STATE/apt.out"; then
		ok no-secure-boot-note
	else
		bad no-secure-boot-note "$(grep 'portsel-dkms:' "$STATE/apt.out" | head -n 3)"
	fi

	if logged modprobe portsel && [ -d /sys/module/portsel ]; then
		ok modprobe
	else
		bad modprobe "modprobe portsel failed"
		return
	fi
	pol=$(sys policy || true)
	is default-policy "'$pol'" [ "$pol" = kernel ]

	even_first_fill
	sysctl -q -w net.portsel.policy=kernel

	install_examples || return

	# unload, so that boot 2 shows what loads it
	if logged modprobe -r portsel && [ ! -d /sys/module/portsel ]; then
		ok modprobe-r
	else
		bad modprobe-r "portsel still loaded"
	fi
}

stage2() {
	local out

	loaded_at_boot

	say "apt remove portsel-dkms"
	if logged apt-get remove -y portsel-dkms; then ok apt-remove; else bad apt-remove "exit non-zero"; fi
	# stderr left out: dkms 3.0.10's own /proc check, [ -e <(echo) ],
	# has echo write into a pipe nobody reads, and now and then bash
	# reports "echo: write error: Broken pipe" (it failed a CI run)
	out=$(dkms status -m portsel 2>/dev/null || true)
	is removed-dkms-status "'$out'" [ -z "$out" ]
	is removed-dkms-tree "/var/lib/dkms/portsel left" [ ! -e /var/lib/dkms/portsel ]
	out=$(find "/lib/modules/$ABI" -name 'portsel.ko*')
	is removed-ko "$out" [ -z "$out" ]
	is removed-modinfo "modinfo still finds portsel" eval '! modinfo portsel'
	info still-loaded-after-remove "$([ -d /sys/module/portsel ] && echo yes || echo no)"

	# With no conffiles, remove leaves dpkg no record to purge (and apt,
	# with no package lists in this offline guest, no name to look up).
	out=$(dpkg-query -W -f='${db:Status-Abbrev}' portsel-dkms 2>/dev/null || true)
	if [ -n "$out" ] && [ "${out:0:2}" != "un" ]; then
		say "apt purge portsel-dkms (dpkg state '$out')"
		if logged apt-get purge -y portsel-dkms; then ok apt-purge; else bad apt-purge "exit non-zero"; fi
	else
		ok apt-purge "nothing to purge: dpkg has no record after remove"
	fi
	out=$(dpkg-query -W -f='${db:Status-Abbrev}' portsel-dkms 2>/dev/null || true)
	case $out in
	""|"un "*|"pn "*) ok purged-status "'$out'" ;;
	*) bad purged-status "dpkg says '$out'" ;;
	esac
	local left=() f
	while read -r f; do
		# directories the package shares with others (/usr, /usr/src, ...)
		# stay; everything that is not a directory must be gone
		if [ -e "$f" ] && [ ! -d "$f" ]; then left+=("$f"); fi
	done <"$STATE/files"
	for f in /usr/src/portsel-"$VERSION" /usr/share/doc/portsel-dkms; do
		[ ! -e "$f" ] || left+=("$f")
	done
	if [ ${#left[@]} -eq 0 ]; then
		ok purged-files "$(grep -c . "$STATE/files") paths checked"
	else
		bad purged-files "${left[*]}"
	fi
}

stage3() {
	local out

	is gone-module "portsel loaded" [ ! -d /sys/module/portsel ]
	is gone-modprobe "modprobe -n finds it" eval '! modprobe -n portsel'
	is gone-sysctl "net.portsel exists" [ ! -e /proc/sys/net/portsel ]
	# the admin's copies in /etc stay (they are not the package's);
	# everything else named portsel must be gone
	out=$(find / -xdev \( -path /proc -o -path /sys -o -path /run -o \
		-path "$STATE" \) -prune -o -name '*portsel*' -print |
		grep -v -e '^/etc/modules-load.d/portsel.conf$' \
			-e '^/etc/sysctl.d/90-portsel.conf$' \
			-e '^/usr/local/sbin/portsel-systemtest$' \
			-e '^/etc/systemd/system/.*portsel-systemtest.service$' || true)
	is gone-files "$(tr '\n' ' ' <<<"$out")" [ -z "$out" ]
	out=$(find /var/lib/dkms -mindepth 1 -maxdepth 1 ! -name 'mok.*' \
		! -name dkms_dbversion 2>/dev/null || true)
	is gone-dkms-tree "$(tr '\n' ' ' <<<"$out")" [ -z "$out" ]
	# what a stale /etc/modules-load.d/portsel.conf does to the boot
	info modules-load-with-stale-conf "$(systemctl show -p ActiveState,Result --value systemd-modules-load.service | tr '\n' ' ')"
}

# has NAME TEXT WORDS: ok NAME if TEXT contains WORDS
has() {
	case $2 in
	*"$3"*) ok "$1" "$(head -n 1 <<<"$2")" ;;
	*) bad "$1" "'$(tr '\n' ' ' <<<"$2")', want '$3'" ;;
	esac
}

# Secure Boot on, and the kernel locked down as Debian's is then.
secure_boot_state() {
	has sb-state "$(mokutil --sb-state 2>&1 || true)" "SecureBoot enabled"
	has lockdown "$(cat /sys/kernel/security/lockdown 2>&1 || true)" "[integrity]"
	has dmesg-secure-boot "$(dmesg | grep -i 'secure boot' || true)" "Secure boot enabled"
}

cert=/var/lib/dkms/mok.pub

sb1() {
	local out rc=0

	secure_boot_state
	install_deb || return
	grep 'portsel-dkms:' "$STATE/apt.out" | while read -r line; do say "$line"; done
	# the package saw the key is not enrolled and told how to enroll it
	out=$(grep 'portsel-dkms:' "$STATE/apt.out" || true)
	if grep -q 'the key DKMS signs modules with is not' <<<"$out" &&
		grep -q "1\. mokutil --import $cert" <<<"$out" &&
		grep -q 'Enroll MOK' <<<"$out"; then
		ok package-told "$(grep -c . <<<"$out") lines"
	else
		bad package-told "'$(tr '\n' ' ' <<<"$out")'"
	fi
	has key-not-enrolled "$(mokutil --test-key "$cert" 2>&1 || true)" "is not enrolled"
	# the negative control: a module signed by a key the kernel does not
	# trust is refused
	out=$(modprobe portsel 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'Key was rejected by service' <<<"$out" &&
		[ ! -d /sys/module/portsel ]; then
		ok refused "$out"
	else
		bad refused "modprobe exit $rc: '$out'"
	fi
	# the certificate, for the host to enroll as a person would
	if [ -f "$cert" ]; then
		echo "cert $(base64 -w0 "$cert")" >&3
		ok cert-sent "$(wc -c <"$cert") bytes"
	else
		bad cert-sent "no $cert"
	fi
}

sb2() {
	local out

	secure_boot_state
	has key-enrolled "$(mokutil --test-key "$cert" 2>&1 || true)" "is already enrolled"
	# shim mirrored MokList to MokListRT; the kernel loaded it into .machine
	has dmesg-cert "$(dmesg | grep 'DKMS module signing key' || true)" \
		"Loaded X.509 cert 'DKMS module signing key"
	out=$(grep -E 'keyring +\.machine: ' /proc/keys || true)
	info machine-keyring "$out"
	if grep -qE '\.machine: [1-9]' <<<"$out" &&
		grep -q 'DKMS module signing key' /proc/keys; then
		ok machine-keyring
	else
		bad machine-keyring "'$out'"
	fi
	if logged modprobe portsel && [ -d /sys/module/portsel ]; then
		ok modprobe
	else
		bad modprobe "modprobe portsel failed"
		return
	fi
	signed
	even_first_fill
	sysctl -q -w net.portsel.policy=kernel
	install_examples
}

sb3() {
	secure_boot_state
	loaded_at_boot
	signed
}

# The certificate in the firmware's db and not in MokList: Debian's
# kernel puts db keys in .platform and (a Debian patch) checks modules
# against them too.
sb4() {
	local out

	secure_boot_state
	out=$(mokutil --test-key "$cert" 2>&1 || true)
	info mok-test-key "$out"
	has dmesg-cert "$(dmesg | grep -e 'UEFI:db' -e 'DKMS module signing key' || true)" \
		"Loaded X.509 cert 'DKMS module signing key"
	is autoload "portsel not loaded at boot" [ -d /sys/module/portsel ]
	out=$(sys policy || true)
	is boot-policy "'$out'" [ "$out" = even-first ]
	signed
}

case ${MODE:-plain}:$stage in
plain:1) stage1 ;;
plain:2) stage2 ;;
plain:3) stage3 ;;
secure-boot:1) sb1 ;;
secure-boot:2) sb2 ;;
secure-boot:3) sb3 ;;
secure-boot:4) sb4 ;;
*) bad stage "no stage $stage in mode ${MODE:-plain} (state $STATE/stage says $last)" ;;
esac
echo "$stage" >"$STATE/stage"
sync
say "stage $stage done"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of scripts/systemtest.sh, run as root by
# /usr/local/sbin/portsel-systemtest (scripts/guest/systemtest-launch) in
# a booted Debian 12, once per boot: DIR/run DIR, where DIR (the payload
# disk) holds env (VERSION, ABI), portsel-dkms_<VERSION>_all.deb and
# portsel-tool. The stage is kept on the root fs in $STATE, so each boot
# runs the next one:
#   1  install the .deb, dkms status, modinfo, modprobe, even-first, the
#      examples into /etc, modprobe -r
#   2  loaded and configured at boot, apt remove, apt purge
#   3  nothing of the package left
# Result lines on fd 3: "stage N", "ok NAME [detail]", "FAIL NAME reason",
# "info NAME text". Progress ("vm: ...") on stdout, the console.

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

mkdir -p "$STATE"
last=$(cat "$STATE/stage" 2>/dev/null || echo 0)
stage=$((last + 1))
echo "stage $stage" >&3
say "stage $stage (kernel $(uname -r), portsel $VERSION, boot took ${t0}s)"
is kernel "running $(uname -r), want $ABI" [ "$(uname -r)" = "$ABI" ]

stage1() {
	local out pol

	check clean-before "portsel already registered with dkms" \
		sh -c '! dkms status -m portsel | grep -q .'

	say "apt install ./$(basename "$deb") (dkms builds portsel here)"
	if logged apt-get install -y "$deb"; then
		ok apt-install
	else
		bad apt-install "apt-get install exited non-zero"
		return
	fi
	dpkg -L portsel-dkms | sort >"$STATE/files"
	cp /var/lib/dpkg/info/portsel-dkms.conffiles "$STATE/conffiles" 2>/dev/null ||
		: >"$STATE/conffiles"
	info package "$(grep -c . "$STATE/files") paths, $(grep -c . "$STATE/conffiles") conffiles"

	out=$(dkms status -m portsel 2>/dev/null || true)
	info dkms-status "$out"
	if grep -q "^portsel/$VERSION, $ABI, x86_64: installed" <<<"$out"; then
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
	# dkms signs only with a key; it makes one with openssl, which is not
	# one of its dependencies
	info signer "'$(modinfo -F signer portsel 2>/dev/null || true)'" \
		"(openssl: $(command -v openssl || echo none))"

	if logged modprobe portsel && [ -d /sys/module/portsel ]; then
		ok modprobe
	else
		bad modprobe "modprobe portsel failed"
		return
	fi
	pol=$(sys policy || true)
	is default-policy "'$pol'" [ "$pol" = kernel ]

	# even-first over a 10-port range, both parities: evens, then odds
	sysctl -q -w net.ipv4.ip_local_port_range="40000 40009"
	sysctl -q -w net.portsel.policy=even-first
	if start_listener; then
		"$tool" fill -n 10 127.0.0.1:5555 >"$STATE/fill1" 2>&1 || true
		stop_listener
	fi
	out=$(ports "$STATE/fill1")
	local first last5
	first=$(cut -d' ' -f1-5 <<<"$out")
	last5=$(cut -d' ' -f6-10 <<<"$out")
	if all_even "$first" && ! grep -q '[02468]\b' <<<"$last5" &&
		[ "$(tr ' ' '\n' <<<"$out" | sort -n | tr '\n' ' ')" = \
		  "40000 40001 40002 40003 40004 40005 40006 40007 40008 40009 " ]; then
		ok even-first "$out"
	else
		bad even-first "ports '$out'"
	fi
	sysctl -q -w net.portsel.policy=kernel

	# the shipped examples, where README says to put them
	local ex=/usr/share/doc/portsel-dkms/examples m s
	m=$ex/modules-load.d/portsel.conf
	s=$ex/sysctl.d/90-portsel.conf
	if [ -f "$m" ] && [ -f "$s" ]; then
		ok examples-shipped "$m $s"
	else
		bad examples-shipped "not in $ex: $(find "$ex" 2>&1 | tr '\n' ' ')"
		return
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

	# unload, so that boot 2 shows what loads it
	if logged modprobe -r portsel && [ ! -d /sys/module/portsel ]; then
		ok modprobe-r
	else
		bad modprobe-r "portsel still loaded"
	fi
}

stage2() {
	local out

	# systemd 252: systemd-sysctl.service is ordered after
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

	# with reserve_odd, connect() gets the five even ports and no more
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

case $stage in
1) stage1 ;;
2) stage2 ;;
3) stage3 ;;
*) bad stage "no stage $stage (state $STATE/stage says $last)" ;;
esac
echo "$stage" >"$STATE/stage"
sync
say "stage $stage done"

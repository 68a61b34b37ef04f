# SPDX-License-Identifier: GPL-2.0
#
# The target table (scripts/targets) and what a target needs on this
# host: its kernel's ABI, image, modules and build tree, and a way to
# build a module for it. The host's own suite installs its kernel
# packages with apt (scripts/deps.sh --flavour), as always; every other
# suite's are fetched with a private apt state (the host's apt is never
# changed) and unpacked into the cache, never installed. Kernels built
# with a compiler the host lacks get their modules built in a cached
# chroot of the suite named in the row's build column. Sourced by host.sh.

# shellcheck shell=bash
# T_* are this library's answers, read by the scripts that source it.
# shellcheck disable=SC2034

PORTSEL_TARGETS_FILE=$PORTSEL_ROOT/scripts/targets
# Bump when the unpacked layout of a target in the cache changes.
PORTSEL_TARGET_LAYOUT=1

# The names of the table, one a line.
portsel_targets() {
	awk '!/^#/ && NF { print $1 }' "$PORTSEL_TARGETS_FILE"
}

# portsel_target NAME: the row's columns in T_NAME, T_SUITE, T_FLAVOUR,
# T_ARCH and T_BUILD; a message naming the targets when there is none.
portsel_target() {
	local row=

	[ -z "$1" ] || row=$(awk -v n="$1" '!/^#/ && $1 == n' "$PORTSEL_TARGETS_FILE")
	if [ -z "$row" ]; then
		portsel_say "no target '$1'; the targets are: $(portsel_targets | paste -sd' ')"
		return 1
	fi
	read -r T_NAME T_SUITE T_FLAVOUR T_ARCH T_BUILD <<<"$row"
}

# The target of a Debian 12 flavour (the older --flavour/FLAVOUR= name).
portsel_flavour_target() {
	echo "bookworm-$1"
}

portsel_host_suite() {
	(. /etc/os-release && echo "$VERSION_CODENAME")
}

portsel_host_arch() {
	dpkg --print-architecture
}

# The GNU triplet of the row's architecture (aarch64-linux-gnu for arm64).
portsel_target_gnu_type() {
	dpkg-architecture -a "$T_ARCH" -qDEB_HOST_GNU_TYPE 2>/dev/null
}

# Is the row's architecture other than the host's (modules cross-built)?
portsel_target_cross() {
	[ "${T_ARCH:-$(portsel_host_arch)}" != "$(portsel_host_arch)" ]
}

# Does the row's kernel install on the host, as the host's own suite?
portsel_target_native() {
	[ "$T_SUITE" = "$(portsel_host_suite)" ] && ! portsel_target_cross
}

# portsel_mirror SUITE: the first URI of the host's apt sources that
# serves SUITE (the same mirrors serve every suite and architecture).
portsel_mirror() {
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

# The private apt of the row's suite: T_APT holds the options for apt-get
# and apt-cache; its package lists are refreshed when older than 12 h. A
# backports suite is listed alone, so that its metapackages are the
# candidates. A foreign architecture's lists come with the host's: the
# kbuild tools that build its modules run here.
portsel_target_apt() {
	local dir=$PORTSEL_CACHE/apt/$T_SUITE-$T_ARCH host main sec arches
	local key=/usr/share/keyrings/debian-archive-keyring.gpg

	host=$(portsel_host_suite)
	main=$(portsel_mirror "$host")
	sec=$(portsel_mirror "$host-security")
	if [ -z "$main" ] || [ -z "$sec" ]; then
		portsel_say "no $host or $host-security mirror in the host's apt sources"
		return 1
	fi
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	case $T_SUITE in
	*-backports)
		echo "deb [signed-by=$key] $main $T_SUITE main" ;;
	*)
		echo "deb [signed-by=$key] $main $T_SUITE main"
		echo "deb [signed-by=$key] $main $T_SUITE-updates main"
		echo "deb [signed-by=$key] $sec $T_SUITE-security main" ;;
	esac >"$dir/sources.list.new"
	if ! cmp -s "$dir/sources.list.new" "$dir/sources.list"; then
		mv "$dir/sources.list.new" "$dir/sources.list"
		rm -f "$dir/updated"
	fi
	arches=$T_ARCH
	portsel_target_cross && arches=$(portsel_host_arch),$T_ARCH
	T_APT=(-o "Dir::State=$dir" -o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache" -o "Dir::Etc::SourceList=$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::status=/dev/null
		-o "APT::Architecture=$(portsel_host_arch)"
		-o "APT::Architectures=$arches" -o APT::Sandbox::User=root)
	if [ -z "$(find "$dir/updated" -mmin -720 2>/dev/null)" ]; then
		portsel_say "$T_SUITE ($T_ARCH): apt-get update (private lists in $dir)"
		apt-get "${T_APT[@]}" update -qq >/dev/null || return 1
		touch "$dir/updated"
	fi
}

# The Depends of the candidate of package $1 (of the row's architecture
# unless $1 names one), one name a line.
portsel_target_depends() {
	local p=$1

	[ "${p#*:}" != "$p" ] || p=$p:$T_ARCH
	apt-cache "${T_APT[@]}" show --no-all-versions "$p" 2>/dev/null |
		sed -n 's/^Depends: //p' | sed 's/[,|]/\n/g' | awk '{ print $1 }'
}

# The row's kernel ABI (6.12.NN+deb13-FLAVOUR), the one its suite's
# linux-headers-FLAVOUR depends on, in T_ABI, and the compiler its
# headers depend on (gcc-14; gcc when they name none) in T_GCC. After
# portsel_target_apt.
portsel_target_abi() {
	T_ABI=$(portsel_target_depends "linux-headers-$T_FLAVOUR" |
		sed -n 's/^linux-headers-//p' | head -n 1)
	if [ -z "$T_ABI" ]; then
		portsel_say "no linux-headers-$T_FLAVOUR in $T_SUITE"
		return 1
	fi
	T_GCC=$(portsel_target_depends "linux-headers-$T_ABI" |
		grep -E '^gcc-[0-9]+$' | head -n 1)
	T_GCC=${T_GCC:-gcc}
}

# portsel_chroot SUITE GCC: a minimal chroot of SUITE (the host's
# architecture) with the compiler GCC (gcc-14) for the row's architecture,
# a cross compiler for a foreign one, and what kbuild needs, made once
# under the cache (T_CHROOT). One run makes it while the others wait.
portsel_chroot() {
	local suite=$1 gcc=$2 host dir bin=$2 pkgs
	host=$(portsel_host_arch)
	dir=$PORTSEL_CACHE/chroot/$suite-$host

	pkgs=$gcc,make,binutils,pahole,perl,kmod,libelf-dev,bc
	if portsel_target_cross; then
		dir=$dir-to-$T_ARCH
		bin=$(portsel_target_gnu_type)-$gcc
		pkgs=$pkgs,$gcc-$(portsel_target_gnu_type),binutils-$(portsel_target_gnu_type)
	fi
	mkdir -p "$PORTSEL_CACHE/chroot"
	exec 7>"$dir.lock"
	flock 7
	if [ ! -f "$dir/.portsel-ready" ] ||
	   [ ! -x "$dir/usr/bin/$bin" ]; then
		portsel_say "making a $suite chroot with $bin for module builds (once; log: $dir.log)"
		rm -rf "$dir"
		if ! debootstrap --variant=minbase --arch="$host" \
			--include="$pkgs" \
			"$suite" "$dir" "$(portsel_mirror "$(portsel_host_suite)")" \
			>"$dir.log" 2>&1; then
			exec 7>&-
			portsel_say "debootstrap $suite failed; see $dir.log"
			return 1
		fi
		touch "$dir/.portsel-ready"
	fi
	exec 7>&-
	T_CHROOT=$dir
}

# What building a whole kernel in T_CHROOT needs beyond a module build:
# flex and bison (kconfig), libssl-dev (certs/extract-cert). Installed
# into the chroot with its own apt, once, while the chroot's lock keeps
# portsel_chroot from making it anew meanwhile.
PORTSEL_CHROOT_KERNEL_PKGS="flex bison libssl-dev"
portsel_chroot_kernel() {
	local p missing=()

	for p in $PORTSEL_CHROOT_KERNEL_PKGS; do
		# shellcheck disable=SC2016 # dpkg-query's format
		chroot "$T_CHROOT" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -qx 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	exec 7>"$T_CHROOT.lock"
	flock 7
	portsel_say "installing ${missing[*]} into $T_CHROOT for kernel builds (once; log: $T_CHROOT.log)"
	if ! { chroot "$T_CHROOT" apt-get update -qq &&
	       DEBIAN_FRONTEND=noninteractive chroot "$T_CHROOT" \
			apt-get install -y -qq --no-install-recommends "${missing[@]}"; \
	     } >>"$T_CHROOT.log" 2>&1; then
		exec 7>&-
		portsel_say "cannot install ${missing[*]} into $T_CHROOT; see $T_CHROOT.log"
		return 1
	fi
	exec 7>&-
}

# T_CHROOT_BINDS: directories of the host (a kernel build tree of the
# cache and its sources) that a command in T_CHROOT sees at their own
# paths. portsel_chroot_argv: T_CHROOT_ARGV, the words that run a
# command there: chroot T_CHROOT, or with binds, a mount namespace of the
# command's own (unshare; it goes when the command ends) that mounts
# them first; no mount is left on the host.
T_CHROOT_BINDS=()
portsel_chroot_argv() {
	if [ ${#T_CHROOT_BINDS[@]} -eq 0 ]; then
		T_CHROOT_ARGV=(chroot "$T_CHROOT")
		return
	fi
	# shellcheck disable=SC2016 # expanded by the inner sh
	T_CHROOT_ARGV=(unshare --mount --propagation private -- /bin/sh -c '
		root=$1
		shift
		while [ "$1" != -- ]; do
			mkdir -p "$root$1" && mount --bind "$1" "$root$1" || exit 125
			shift
		done
		shift
		exec chroot "$root" "$@"' portsel-chroot "$T_CHROOT"
		"${T_CHROOT_BINDS[@]}" --)
}

# portsel_target_fetch: the row's kernel, ready to build for and boot:
# T_ABI, T_KDIR (the build tree; inside T_CHROOT when that is set),
# T_VMLINUZ and T_MODDIR (the kernel's modules).
portsel_target_fetch() {
	local dir debs pkgs p

	T_CHROOT=
	T_CHROOT_BINDS=()
	if portsel_target_native; then
		"$PORTSEL_ROOT/scripts/deps.sh" --flavour "$T_FLAVOUR" || return 1
		T_ABI=$(portsel_flavour_abi "$T_FLAVOUR") || return 1
		T_KDIR=/usr/src/linux-headers-$T_ABI
		T_VMLINUZ=/boot/vmlinuz-$T_ABI
		T_MODDIR=/lib/modules/$T_ABI
		return 0
	fi

	if ! portsel_target_apt || ! portsel_target_abi; then
		return 1
	fi
	dir=$PORTSEL_CACHE/targets/$T_ABI
	T_VMLINUZ=$dir/root/boot/vmlinuz-$T_ABI
	T_MODDIR=$dir/root/lib/modules/$T_ABI
	T_KDIR=$dir/root/usr/src/linux-headers-$T_ABI
	# the headers' own packages: the common tree (all architectures) and
	# kbuild, whose tools run on the host
	mapfile -t pkgs < <(portsel_target_depends "linux-headers-$T_ABI" |
		grep -E '^linux-headers-')
	mapfile -t -O ${#pkgs[@]} pkgs < <(portsel_target_depends "linux-headers-$T_ABI" |
		sed -n "s/^\(linux-kbuild-.*\)/\1:$(portsel_host_arch)/p")
	pkgs+=("linux-headers-$T_ABI:$T_ARCH" "linux-image-$T_ABI:$T_ARCH")
	if [ "$T_BUILD" != host ]; then
		portsel_chroot "$T_BUILD" "$T_GCC" || return 1
		T_KDIR=/usr/src/linux-headers-$T_ABI
	fi

	mkdir -p "$dir"
	exec 7>"$dir.lock"
	flock 7
	if [ "$(cat "$dir/ready" 2>/dev/null)" != "$PORTSEL_TARGET_LAYOUT" ] ||
	   { [ -n "$T_CHROOT" ] && [ ! -d "$T_CHROOT$T_KDIR" ]; }; then
		portsel_say "$T_NAME: fetching $T_ABI (${pkgs[*]})"
		rm -rf "$dir/debs" "$dir/root"
		mkdir -p "$dir/debs" "$dir/root"
		if ! (cd "$dir/debs" && apt-get "${T_APT[@]}" download -qq "${pkgs[@]}" >/dev/null); then
			exec 7>&-
			portsel_say "$T_NAME: cannot download ${pkgs[*]}"
			return 1
		fi
		for debs in "$dir"/debs/*.deb; do
			dpkg-deb -x "$debs" "$dir/root" || return 1
			# the build tree goes where its compiler is
			case ${debs##*/} in
			linux-headers-*|linux-kbuild-*)
				[ -z "$T_CHROOT" ] || dpkg-deb -x "$debs" "$T_CHROOT" || return 1 ;;
			esac
		done
		# the headers include their common tree by absolute path
		p=$dir/root/usr/src/linux-headers-$T_ABI/Makefile
		sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$p"
		rm -rf "$dir/debs"
		echo "$PORTSEL_TARGET_LAYOUT" >"$dir/ready"
	fi
	exec 7>&-
	# Debian 13's packages ship their modules under /usr (merged /usr)
	[ -d "$T_MODDIR" ] || T_MODDIR=$dir/root/usr/lib/modules/$T_ABI
}

# portsel_target_make DIR [MAKE ARGS]: build the external module in DIR
# for the fetched target, with its compiler (a cross compiler for a
# foreign architecture); the results stay in DIR.
portsel_target_make() {
	local src=$1 b rc=0

	shift
	# Debian's headers name ARCH and the compiler's version themselves
	if portsel_target_cross; then
		set -- CROSS_COMPILE="$(portsel_target_gnu_type)-" "$@"
	fi
	if [ -z "$T_CHROOT" ]; then
		make -C "$T_KDIR" M="$src" "$@"
		return
	fi
	b=/build/$(basename "$src").$$
	rm -rf "${T_CHROOT:?}$b"
	mkdir -p "$T_CHROOT$b"
	cp -a "$src/." "$T_CHROOT$b/"
	portsel_chroot_argv
	"${T_CHROOT_ARGV[@]}" make -C "$T_KDIR" M="$b" "$@" || rc=$?
	cp -a "$T_CHROOT$b/." "$src/"
	rm -rf "${T_CHROOT:?}$b"
	return $rc
}

# portsel_target_use NAME: the row NAME with its kernel fetched (as
# portsel_target_fetch) and the test VM set to boot it: PORTSEL_VM_KERNEL,
# PORTSEL_VM_MODDIR and PORTSEL_VM_ARCH. What vmtest, compare and bench do
# for --target.
portsel_target_use() {
	if ! portsel_target "$1" || ! portsel_target_fetch; then
		return 1
	fi
	PORTSEL_VM_KERNEL=$T_VMLINUZ
	PORTSEL_VM_MODDIR=$T_MODDIR
	PORTSEL_VM_ARCH=$T_ARCH
	portsel_say "target $T_NAME: kernel $T_ABI${T_CHROOT:+ (modules built in $T_CHROOT)}"
}

# portsel_target_build DIR [MAKE ARGS]: portsel's sources (those dkms
# gets) copied into DIR and built there for the fetched target (T_KDIR,
# with T_CHROOT's compiler when set): DIR/portsel.ko; ./portsel.ko is
# left alone. The build's output goes to DIR.log, its tail to stderr
# when it fails.
portsel_target_build() {
	local dir=$1

	shift
	if ! "$PORTSEL_ROOT/scripts/dkms-source.sh" "$dir" >/dev/null; then
		portsel_say "cannot copy the sources into $dir"
		return 1
	fi
	if ! portsel_target_make "$dir" "$@" modules >"$dir.log" 2>&1; then
		tail -n 20 "$dir.log" >&2
		portsel_say "portsel does not build against $T_KDIR"
		return 1
	fi
}

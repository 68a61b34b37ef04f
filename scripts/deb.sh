#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build portsel-dkms_<version>_all.deb in a scratch copy of the
# tree and leave it in OUTDIR. The tree itself is not written to.

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/deb.sh [--help] [OUTDIR]

Copies what the package is made of (Kbuild, Makefile, dkms.conf,
module/*.[ch], module/Kbuild.core, README.md, packaging/) to a scratch directory, adds
packaging/debian as debian/ with a changelog for the version of
module/version.h, runs dpkg-buildpackage there and copies the .deb to
OUTDIR (default: results/). The package version is that version.
Honours DEBFULLNAME/DEBEMAIL for the changelog entry.
USAGE
}

case "${1:-}" in
-h|--help) usage; exit 0 ;;
-*) echo "deb.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "${1:-$root/results}"
outdir=$(cd "${1:-$root/results}" && pwd)
cd "$root"
version=$(scripts/version.sh)

for cmd in dpkg-buildpackage dh dh_dkms; do
	if ! command -v "$cmd" >/dev/null; then
		echo "deb: $cmd missing; run scripts/deps.sh" >&2
		exit 1
	fi
done
if [ ! -f README.md ]; then
	echo "deb: README.md missing: the package ships it as its documentation" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/portsel-$version

echo "deb: portsel-dkms $version, building in $work"
mkdir -p "$src/module" "$src/scripts"
cp Kbuild Makefile dkms.conf README.md "$src/"
cp module/*.[ch] module/Kbuild.core "$src/module/"
cp scripts/version.sh scripts/dkms-source.sh "$src/scripts/"
cp -r packaging "$src/"
cp -r packaging/debian "$src/debian"

# The changelog entry is made from the version, dated by the last commit
# so that a rebuild of the same commit gives the same package.
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
who=${DEBFULLNAME:-$(sed -n 's/^Maintainer: \(.*\) <.*$/\1/p' packaging/debian/control)}
mail=${DEBEMAIL:-$(sed -n 's/^Maintainer: .*<\(.*\)>$/\1/p' packaging/debian/control)}
cat >"$src/debian/changelog" <<CHANGELOG
portsel ($version) unstable; urgency=medium

  * portsel $version.

 -- $who <$mail>  $(date -u -R -d "@$when")
CHANGELOG

log=$work/build.log
if ! (cd "$src" && dpkg-buildpackage --build=all --no-sign) >"$log" 2>&1; then
	cat "$log"
	echo "deb: dpkg-buildpackage FAILED"
	exit 1
fi

deb=portsel-dkms_${version}_all.deb
cp "$work/$deb" "$outdir/"
# with the .changes (and the .buildinfo it lists), lintian checks all three
cp "$work/portsel_${version}_all.changes" "$work/portsel_${version}_all.buildinfo" \
	"$outdir/"
echo "deb: $outdir/$deb"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make shellcheck: shellcheck -x on every shell script under scripts/ and
# on .ci/run. One test per script; ends with "N passed, N failed".

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/shellcheck.sh [--help] [SCRIPT...]

Runs shellcheck -x (following sourced files) on SCRIPTs, by default on
.ci/run and on every shell script under scripts/: *.sh files and any file
whose first line names sh, bash, dash or ash. Run from the top of the
tree, where the scripts' "# shellcheck source=" paths start.
USAGE
}

cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/host.sh
. scripts/lib/host.sh
PORTSEL_SAY_PREFIX=shellcheck
portsel_operands_only usage "$@"

is_shell() {
	case "$1" in
	*.sh) return 0 ;;
	esac
	head -n 1 "$1" | grep -qE '^#!.*[/ ](ba|da|a)?sh( |$)'
}

if [ $# -gt 0 ]; then
	files=("$@")
else
	files=()
	while IFS= read -r f; do
		is_shell "$f" && files+=("$f")
	done < <(find scripts .ci/run -type f | sort)
fi

echo "shellcheck: $(shellcheck --version | sed -n 's/^version: //p') on ${#files[@]} scripts"
for f in "${files[@]}"; do
	if out=$(shellcheck -x "$f" 2>&1); then
		portsel_pass "$f"
	else
		echo "$out"
		portsel_fail "$f"
	fi
done
portsel_tally

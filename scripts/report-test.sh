#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make report-test: the unit tests of scripts/report.py (python's
# unittest, fixtures in scripts/tests/fixtures/). One test per test
# method; ends with "N passed, N failed" (a tier of make check).

set -euo pipefail

usage() {
	cat <<USAGE
Usage: scripts/report-test.sh [--help]

Runs scripts/tests/test_*.py with python3 -m unittest: the analysis of
make compare and make bench against small fixtures whose expected
tables and csv the old awk programs wrote.
USAGE
}

# shellcheck source=scripts/lib/host.sh
. "$(dirname "$0")/lib/host.sh"
PORTSEL_SAY_PREFIX=report-test
portsel_help_only usage "$@"

cd "$PORTSEL_ROOT"
rc=0
# -v: one "name ... ok|FAIL|ERROR" line per test, the count comes from them
log=$(PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -v \
	-s scripts/tests -p 'test_*.py' 2>&1) || rc=$?
echo "$log"
PORTSEL_PASS=$(grep -c ' \.\.\. ok$' <<<"$log" || true)
PORTSEL_FAIL=$(grep -cE ' \.\.\. (FAIL|ERROR)$' <<<"$log" || true)
# a run that failed without a failing test (an import error) counts one
if [ "$rc" -ne 0 ] && [ "$PORTSEL_FAIL" -eq 0 ]; then
	PORTSEL_FAIL=1
fi
portsel_tally

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make compare: build portsel.ko, boot Debian's kernel in the test VM, run
# the same workloads under every policy (scripts/guest/compare.sh), then
# print a comparison table and write compare.md, compare.csv and
# compare.png. The VM only measures; every figure is computed here from
# its raw records.

set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
PORTSEL_SAY_PREFIX=compare

usage() {
	cat <<USAGE
Usage: scripts/compare.sh [--quick | --smoke] [--range N] [--out DIR]
                          [--keep] [--timeout SECS] [--raw FILE] [--help]

Builds portsel.ko, boots the kernel it was built for in qemu (TCG) and,
for each policy of net.portsel.available_policies (kernel first, as the
baseline), runs the same workloads in one boot:
  1. parity and spread: 2,000 connects to one destination, then 2,000
     over 200 destinations (all held)
  2. reuse distance: connect/close (SO_LINGER 0) to one destination,
     100,000 rounds on the default range 32768-60999
  3. fill: connect to one destination until EADDRNOTAVAIL on the range's
     first N ports, timing each connect()
  4. bind(0) under load: 100 bind(0)s while 25/50/75 % of that range, and
     all that connect() could take, is held
and 3-4 again for even-first with reserve_odd=1. Prints a table; writes
DIR/compare.md, DIR/compare.csv and DIR/compare.png (gnuplot).
Installs what is missing first (scripts/deps.sh).

  --range N       ports of the fill range (multiple of 4, 16..28232;
                  default 4000)
  --quick         30,000 reuse rounds instead of 100,000 (about 3 min)
  --smoke         tiny sizes, results in a temporary directory, then
                  checks the outputs; ends with "N passed, N failed"
                  (a tier of make check)
  --out DIR       where the three files go (default results/)
  --keep          keep the work directory (VM console, raw records)
  --raw FILE      no VM: tables and picture from the raw records of an
                  earlier run (raw.csv of a --keep work directory)
  --timeout SECS  wall-clock limit for the VM (default 1500; smoke 480)

Times are measured under qemu TCG: emulated, so compare ratios.
USAGE
}

die() {
	portsel_say "$*"
	exit 2
}

mode=full
range=
out=
keep=0
timeout=
raw=
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--quick) mode=quick; shift ;;
	--smoke) mode=smoke; shift ;;
	--keep) keep=1; shift ;;
	--range|--out|--timeout|--raw)
		[ $# -ge 2 ] || die "$1 wants a value (try --help)"
		case $1 in
		--range) range=$2 ;;
		--out) out=$2 ;;
		--timeout) timeout=$2 ;;
		--raw) raw=$2 ;;
		esac
		shift 2 ;;
	*) die "unknown argument '$1' (try --help)" ;;
	esac
done

# Sizes: fill range, connects to one destination, spread over dsts,
# reuse rounds, bind(0) tries per checkpoint.
case $mode in
full) sizes=(4000 2000 2000 200 100000 100) ;;
quick) sizes=(4000 2000 2000 200 30000 100) ;;
smoke) sizes=(400 200 200 20 1000 10) ;;
esac
range=${range:-${sizes[0]}}
if ! [[ $range =~ ^[0-9]+$ ]] || [ "$range" -lt 16 ] ||
	[ "$range" -gt 28232 ] || [ $((range % 4)) -ne 0 ]; then
	die "--range: want a multiple of 4 from 16 to 28232, not '$range'"
fi
[ -z "$timeout" ] || [[ $timeout =~ ^[0-9]+$ ]] ||
	die "--timeout: want seconds, not '$timeout'"
if [ "$mode" = smoke ]; then
	timeout=${timeout:-480}
else
	timeout=${timeout:-1500}
fi

t_start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/portsel-compare.XXXXXX")
if [ "$mode" = smoke ]; then
	out=${out:-$work/out}
else
	out=${out:-$PORTSEL_ROOT/results}
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ "$keep" -eq 1 ]; then
		portsel_say "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

# --- build and measure -----------------------------------------------------

meta() {
	awk -F, -v k="$1" '$1 == "meta" && $2 == k { print $3 }' "$work/raw.csv"
}

# Build, boot, run the workloads: the raw records in $work/raw.csv.
measure() {
	portsel_say "building portsel.ko"
	if ! make -C "$PORTSEL_ROOT" module >"$work/build.log" 2>&1; then
		tail -n 30 "$work/build.log" >&2
		die "the module did not build"
	fi

	portsel_say "$mode run: fill range $range ports, ${sizes[1]} + ${sizes[2]}" \
		"connects over ${sizes[3]} destinations, ${sizes[4]} reuse rounds," \
		"${sizes[5]} bind(0)s per checkpoint"
	vm_ok=0
	portsel_vm_run --timeout "$timeout" \
		--arg "range=$range" --arg "one=${sizes[1]}" \
		--arg "spread=${sizes[2]}" --arg "dsts=${sizes[3]}" \
		--arg "reuse=${sizes[4]}" --arg "binds=${sizes[5]}" \
		--arg "mode=$mode" \
		"$work" "$PORTSEL_GUEST/compare.sh" || vm_ok=$?

	portsel_vm_result "$work" "$work/raw.csv"
	if [ "$vm_ok" -ne 0 ] || ! grep -qx 'end,ok' "$work/raw.csv"; then
		portsel_say "the VM run did not complete (${PORTSEL_VM_END:-no VM});" \
			"console tail:"
		portsel_vm_console_tail "$work" 40 >&2
		[ "$mode" != smoke ] || echo "0 passed, 1 failed"
		exit 1
	fi
}

"$PORTSEL_ROOT/scripts/deps.sh"
if [ -n "$raw" ]; then
	tr -d '\r' <"$raw" >"$work/raw.csv" || die "cannot read $raw"
	grep -qx 'end,ok' "$work/raw.csv" || die "$raw: not a complete run"
	# the sizes of that run
	mode=$(meta MODE)
	mode=${mode:-full}
	range=$(meta RANGE)
	sizes=("$range" "$(meta ONE)" "$(meta SPREAD)" "$(meta DSTS)" \
		"$(meta REUSE)" "$(meta BINDS)")
else
	measure
fi
grep '^warn,' "$work/raw.csv" | sed 's/^warn,/compare: warning: /' >&2 || true
klog=$(meta kernel_log)
[ "$klog" = clean ] || portsel_say "warning: the VM's kernel log: $klog"

# --- figures ---------------------------------------------------------------

# An in-place heap sort of A[1..n] for the awk programs below (mawk has
# no asort()); prepended to the programs that need it.
AWK_HSORT='
	function sift(A, i, n,   c, t) {
		while ((c = 2 * i) <= n) {
			if (c < n && A[c + 1] > A[c])
				c++
			if (A[i] >= A[c])
				return
			t = A[i]; A[i] = A[c]; A[c] = t
			i = c
		}
	}
	function hsort(A, n,   i, t) {
		for (i = int(n / 2); i >= 1; i--)
			sift(A, i, n)
		for (i = n; i > 1; i--) {
			t = A[1]; A[1] = A[i]; A[i] = t
			sift(A, 1, i - 1)
		}
	}
	'

# raw.csv -> compare.csv: one row per label, in the order the VM ran them.
# Percentiles are nearest-rank; an empty field was not measured.
analyze() {
	awk -F, "$AWK_HSORT"'
	function pct(A, n, q,   k) {
		k = int(q * n)
		if (k < q * n)
			k++
		return A[k < 1 ? 1 : k]
	}
	# lat[l, 1..n] -> percentile q of connects from..to, in µs
	function latq(l, from, to, q,   i, k) {
		split("", T)
		for (i = from; i <= to; i++)
			if ((l, i) in lat)
				T[++k] = lat[l, i]
		if (!k)
			return ""
		hsort(T, k)
		return sprintf("%.0f", pct(T, k, q) / 1000)
	}
	function f1(x) { return sprintf("%.1f", x) }
	# probes per connect between two portsel_stat snapshots
	function probes(l, a, b,   c) {
		if (a == "" || b == "" || b <= a)
			return ""
		c = sconn[l, b] - sconn[l, a]
		return c ? sprintf("%.1f", (sprobe[l, b] - sprobe[l, a]) / c) : ""
	}
	function label(l) {
		if (!(l in seen)) {
			seen[l] = 1
			order[++nl] = l
		}
	}
	$1 == "meta" { meta[$2] = $3; next }
	$1 == "port" {
		l = $2; label(l)
		if ($3 == "one") {
			n1[l]++
			ev1[l] += ($5 % 2 == 0)
			if (n1[l] > 1) {
				size = meta["DEF_HI"] - meta["DEF_LO"] + 1
				st = ($5 - prev1[l] + size) % size
				ns[l]++
				stride[l, ns[l]] = st
				ssum[l] += st
			}
			prev1[l] = $5
		} else {
			n2[l]++
			ev2[l] += ($5 % 2 == 0)
			if (!((l, $5) in used2)) {
				used2[l, $5] = 1
				dist2[l]++
			}
		}
		next
	}
	$1 == "sum" { label($2); sum[$2, $3] = $4; next }
	$1 == "lat" { label($2); lat[$2, $3] = $5; nlat[$2] = $3; next }
	$1 == "stat" {
		l = $2; label(l)
		sheld[l, $3] = $4
		sconn[l, $3] = $5
		sprobe[l, $3] = $7
		nstat[l] = $3 + 1
		next
	}
	$1 == "bind" {
		l = $2; label(l)
		bok[l, $3] = $5
		btries[l, $3] = $4
		bsum[l] += $5
		bodd[l] += $6
		next
	}
	END {
		r = meta["RANGE"]
		print "policy,even_pct_one,even_pct_spread,distinct_spread," \
			"stride_median,stride_mean,reuse_rounds,reuse_min," \
			"reuse_mean,reuse_median,reuse_count,fill_range," \
			"fill_connections,fill_connect_s,first_p50_us," \
			"first_p99_us,second_p50_us,second_p99_us," \
			"probes_first,probes_second,probes_failing,bind_ok_pct_25,bind_ok_pct_50," \
			"bind_ok_pct_75,bind_ok_pct_full,bind_full_held,bind_odd_pct"
		for (i = 1; i <= nl; i++) {
			l = order[i]
			row = l
			# workload 1
			if (n1[l]) {
				split("", T)
				for (k = 1; k <= ns[l]; k++)
					T[k] = stride[l, k]
				hsort(T, ns[l])
				row = row "," f1(100 * ev1[l] / n1[l]) "," \
					(n2[l] ? f1(100 * ev2[l] / n2[l]) : "") "," \
					dist2[l] "," (ns[l] ? pct(T, ns[l], 0.5) : "") "," \
					(ns[l] ? f1(ssum[l] / ns[l]) : "")
			} else {
				row = row ",,,,,"
			}
			# workload 2
			row = row "," sum[l, "reuse_connects"] "," \
				sum[l, "reuse_min"] "," sum[l, "reuse_mean"] "," \
				sum[l, "reuse_median"] "," sum[l, "reuse_reuses"]
			# workload 3: the halves split at the range middle, where
			# the preferred parity is full for kernel and even-first
			n = nlat[l]
			if (n) {
				t = sum[l, "fill_err_ns"]
				for (k = 1; k <= n; k++)
					t += lat[l, k]
				row = row "," r "," n "," sprintf("%.2f", t / 1e9) \
					"," latq(l, 1, r / 2, 0.5) \
					"," latq(l, 1, r / 2, 0.99) \
					"," latq(l, r / 2 + 1, n, 0.5) \
					"," latq(l, r / 2 + 1, n, 0.99)
			} else {
				row = row ",,,,,,,"
			}
			# portsel_stat: 0 before, then each half held, then the end
			half = last = ""
			for (k = 1; k < nstat[l] - 1; k++) {
				if (sheld[l, k] == r / 2 && half == "")
					half = k
				last = k
			}
			row = row "," probes(l, 0, half) "," probes(l, half, last) \
				"," (last != "" ? sprobe[l, nstat[l] - 1] - sprobe[l, last] : "")
			# workload 4: the checkpoints at quarters, and "full"
			full = sum[l, "bindfill_ok"]
			split(r / 4 " " r / 2 " " 3 * r / 4 " " full, cp, " ")
			for (k = 1; k <= 4; k++) {
				h = cp[k]
				row = row "," (h != "" && ((l, h) in bok) ? \
					sprintf("%.0f", 100 * bok[l, h] / btries[l, h]) : "")
			}
			row = row "," full "," \
				(bsum[l] ? sprintf("%.0f", 100 * bodd[l] / bsum[l]) : "")
			print row
		}
	}' "$work/raw.csv"
}

# compare.csv -> the table, as text (FORMAT text) or markdown (md).
table() {
	awk -F, -v fmt="$1" -v d="${sizes[3]}dst" '
	function v(x) { return x == "" ? "–" : x }
	function pc(x) { sub(/\.0$/, "", x); return x }
	function big(x) { return x != "" && x >= 100 ? sprintf("%.0f", x) : x }
	function pair(a, b) { return (a == "" && b == "") ? "–" : v(a) "/" v(b) }
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{
		n++
		cell[n, 1] = $c["policy"]
		cell[n, 2] = pair(pc($c["even_pct_one"]), pc($c["even_pct_spread"]))
		cell[n, 3] = v($c["distinct_spread"])
		cell[n, 4] = pair($c["stride_median"], big($c["stride_mean"]))
		if ($c["reuse_rounds"] == "")
			cell[n, 5] = "–"
		else if ($c["reuse_min"] == "")
			cell[n, 5] = ">" $c["reuse_rounds"]
		else
			cell[n, 5] = sprintf("%d/%.0f", $c["reuse_min"], $c["reuse_mean"])
		cell[n, 6] = v($c["fill_connections"])
		cell[n, 7] = v($c["fill_connect_s"])
		cell[n, 8] = pair($c["first_p50_us"], $c["first_p99_us"])
		cell[n, 9] = pair($c["second_p50_us"], $c["second_p99_us"])
		cell[n, 10] = $c["policy"] == "kernel" ? "n/a" : \
			pair($c["probes_first"], $c["probes_second"])
		cell[n, 11] = v($c["bind_ok_pct_25"]) "/" v($c["bind_ok_pct_50"]) "/" \
			v($c["bind_ok_pct_75"]) "/" v($c["bind_ok_pct_full"])
		cell[n, 12] = v($c["bind_odd_pct"])
	}
	END {
		nc = split("policy|even %|distinct ports|stride|reuse after|fill|" \
			"connect()|latency µs|latency µs|probes/connect|bind(0) ok %|bind(0)", h1, "|")
		split("|1dst/" d "|" d "|med/mean|min/mean conn.|conns|total s|" \
			"1st half p50/p99|2nd half p50/p99|1st/2nd half|25/50/75/full held|" \
			"odd %", h2, "|")
		split("policy|even % (1dst / " d ")|distinct ports (" d ")|" \
			"stride median / mean (ports)|reuse after min / mean (connects)|" \
			"fill connections|time in connect() (s)|" \
			"1st half p50 / p99 (µs)|2nd half p50 / p99 (µs)|" \
			"probes / connect 1st / 2nd half|bind(0) ok % at 25/50/75/full held|" \
			"bind(0) odd %", hm, "|")
		if (fmt == "md") {
			line = "|"
			sep = "|"
			for (j = 1; j <= nc; j++) {
				line = line " " hm[j] " |"
				sep = sep (j == 1 ? "---|" : "--:|")
			}
			print line
			print sep
			for (i = 1; i <= n; i++) {
				line = "|"
				for (j = 1; j <= nc; j++)
					line = line " " cell[i, j] " |"
				print line
			}
			exit
		}
		# text: pad by characters (µs and – are one wide, two bytes)
		for (j = 1; j <= nc; j++) {
			w[j] = cw(h1[j])
			if (cw(h2[j]) > w[j]) w[j] = cw(h2[j])
			for (i = 1; i <= n; i++)
				if (cw(cell[i, j]) > w[j]) w[j] = cw(cell[i, j])
		}
		row(h1); row(h2)
		for (i = 1; i <= n; i++) {
			for (j = 1; j <= nc; j++)
				r[j] = cell[i, j]
			row(r)
		}
	}
	function cw(s,   t) {
		t = s
		gsub(/µ|–/, "x", t)
		return length(t)
	}
	function row(a,   j, s) {
		s = ""
		for (j = 1; j <= nc; j++)
			s = s (j == 1 ? pad(a[j], w[j]) : "  " lpad(a[j], w[j]))
		sub(/ +$/, "", s)
		print s
	}
	function pad(s, n) { return s sprintf("%" (n - cw(s)) "s", "") }
	function lpad(s, n) { return sprintf("%" (n - cw(s)) "s", "") s }
	' "$out/compare.csv"
}

analyze >"$out/compare.csv"
fill_lo=$(meta FILL_LO)
fill_hi=$(meta FILL_HI)
kernel=$(meta kernel)
cpus=$(meta cpus)
title="Debian $kernel under qemu TCG ($cpus vCPUs);"
title="$title fill range $fill_lo-$fill_hi ($range ports); module $(meta module)"
guide1="even: share of even ports. stride: forward step between consecutive ports to one destination. reuse after: connects until a port comes back to it (>N: not within N). halves: of the fill (kernel, even-first: before/after the even ports are full)."
guide2="probes: ports portsel tried per connect, from portsel_stat (n/a: the stock loop is not instrumented). bind(0) ok %: ${sizes[5]} tries with 25/50/75 % of the range held, and all connect() could take (full). –: not measured. TCG times are emulated: compare ratios."
table text >"$work/table.txt"

case $mode in
full) cmd="make compare" ;;
quick) cmd="make compare ARGS=--quick" ;;
smoke) cmd="scripts/compare.sh --smoke" ;;
esac
[ "$range" = "${sizes[0]}" ] || cmd="$cmd (--range $range)"
{
	echo "# portsel: policies compared"
	echo
	echo "$title. Produced by \`$cmd\` ($mode: ${sizes[1]} + ${sizes[2]}" \
		"connects over ${sizes[3]} destinations, ${sizes[4]} reuse rounds," \
		"${sizes[5]} bind(0) tries per checkpoint)."
	echo
	table md
	echo
	echo "$guide1"
	echo
	echo "$guide2"
	echo
	echo "![latency during the fill, ports handed out](compare.png)"
} >"$out/compare.md"

# --- the picture -----------------------------------------------------------

# Per label: lat-N.dat (held, µs, each connect), latm-N.dat (the median of
# every 1 % of the range), hist-N.dat (workload 1's ports in 512-port bins).
awk -F, -v dir="$work" -v range="$range" "$AWK_HSORT"'
	function id(l) {
		if (!(l in num)) {
			num[l] = ++nl
			name[nl] = l
		}
		return num[l]
	}
	$1 == "meta" { meta[$2] = $3 }
	$1 == "lat" {
		i = id($2)
		if (i != cur) {
			cur = i
			k = 0
		}
		print $3, $5 / 1000 >(dir "/lat-" i ".dat")
		b = int(range / 100)
		if (b < 1)
			b = 1
		T[++k] = $5 / 1000
		if (k == b) {
			hsort(T, k)
			print $3 - (b - 1) / 2, T[int((k + 1) / 2)] >(dir "/latm-" i ".dat")
			k = 0
		}
	}
	$1 == "port" {
		i = id($2)
		h[i, int(($5 - meta["DEF_LO"]) / 512)]++
		np[i]++
		ev[i] += ($5 % 2 == 0)
	}
	END {
		nb = int((meta["DEF_HI"] - meta["DEF_LO"]) / 512)
		for (i = 1; i <= nl; i++) {
			if (np[i])
				for (j = 0; j <= nb; j++)
					print meta["DEF_LO"] + 512 * j + 256, h[i, j] + 0 \
						>(dir "/hist-" i ".dat")
			printf "%d,%s,%d,%.0f\n", i, name[i], np[i], \
				np[i] ? 100 * ev[i] / np[i] : 0 >(dir "/labels.csv")
		}
	}' "$work/raw.csv"

color() {
	case $1 in
	kernel) echo "#222222" ;;
	even-first) echo "#d62728" ;;
	"even-first reserve_odd=1") echo "#ff7f0e" ;;
	sequential) echo "#1f77b4" ;;
	sequential-even) echo "#17becf" ;;
	random) echo "#2ca02c" ;;
	random-pick) echo "#8c564b" ;;
	random-inc) echo "#e377c2" ;;
	*) echo "#9467bd" ;;
	esac
}

{
	cat <<GP
set encoding utf8
set terminal pngcairo noenhanced size 1600,650 font "DejaVu Sans,11"
set output "$out/compare.png"
set multiplot layout 1,2 title "portsel make compare — $title" font ",12"
set title "Fill of $range ports to one destination: per-connect latency"
set xlabel "connections held"
set ylabel "connect() latency (µs, log scale; line: median per 1 %)"
set logscale y
set format y "%.0f"
set grid ytics mytics xtics lc rgb "#dddddd"
set key top left opaque box
GP
	plots=()
	while IFS=, read -r i l _ _; do
		[ -s "$work/lat-$i.dat" ] || continue
		c=$(color "$l")
		plots+=("'$work/lat-$i.dat' with dots lc rgb '$c' notitle")
		[ -s "$work/latm-$i.dat" ] &&
			plots+=("'$work/latm-$i.dat' with lines lw 2 lc rgb '$c' title '$l'")
	done <"$work/labels.csv"
	(IFS=,; echo "plot ${plots[*]}")
	cat <<GP
unset logscale y
set title "Workload 1: ports handed out (${sizes[1]} to one destination + ${sizes[2]} over ${sizes[3]})"
set xlabel "source port (512-port bins over $(meta DEF_LO)-$(meta DEF_HI))"
set ylabel "connections"
set xrange [$(meta DEF_LO):$(($(meta DEF_HI) + 1))]
set key top right opaque box
set offsets 0, 0, graph 0.3, 0
GP
	plots=()
	while IFS=, read -r i l n ev; do
		[ -s "$work/hist-$i.dat" ] || continue
		plots+=("'$work/hist-$i.dat' with histeps lw 2 lc rgb '$(color "$l")' title '$l ($ev % even)'")
	done <"$work/labels.csv"
	(IFS=,; echo "plot ${plots[*]}")
	echo "unset multiplot"
} >"$work/compare.gp"
if ! gnuplot "$work/compare.gp" 2>"$work/gnuplot.log"; then
	cat "$work/gnuplot.log" >&2
	die "gnuplot failed"
fi

# --- the report ------------------------------------------------------------

echo
echo "portsel: $title"
echo
cat "$work/table.txt"
echo
echo "$guide1"
echo "$guide2"
echo
portsel_say "wrote $out/compare.md, compare.csv, compare.png" \
	"($(($(date +%s) - t_start))s in all)"

[ "$mode" = smoke ] || exit 0

# --- smoke: the outputs exist and hold real rows ---------------------------

pass=0
fail=0
check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok $what"
	else
		fail=$((fail + 1))
		echo "not ok $what"
	fi
}
# col POLICY COLUMN: a field of compare.csv
col() {
	awk -F, -v p="$1" -v k="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == p { print $c[k] }' "$out/compare.csv"
}
is() { [ "$1" = "$2" ]; }
nonempty() { [ -n "$1" ]; }
png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
	[ "$(stat -c %s "$1")" -gt 20000 ]; }

check "VM kernel log clean" is "$(meta kernel_log)" clean
check "compare.png is a PNG with content" png "$out/compare.png"
for p in $(meta policies); do
	check "$p: row in the table" grep -q "^$p " "$work/table.txt"
	check "$p: row in compare.md" grep -q "^| $p |" "$out/compare.md"
	check "$p: workload 1 measured" nonempty "$(col "$p" even_pct_one)"
	check "$p: workload 2 measured" is "$(col "$p" reuse_rounds)" "${sizes[4]}"
	check "$p: fill took the whole range" is "$(col "$p" fill_connections)" "$range"
	check "$p: fill latency measured" nonempty "$(col "$p" second_p99_us)"
	check "$p: bind(0) measured" nonempty "$(col "$p" bind_ok_pct_25)"
done
check "kernel: even ports only to one destination" is "$(col kernel even_pct_one)" 100.0
check "kernel: no probe count" is "$(col kernel probes_first)" ""
check "even-first: even ports only" is "$(col even-first even_pct_one)" 100.0
check "even-first: probes counted" nonempty "$(col even-first probes_second)"
check "sequential: one probe per connect" \
	is "$(col sequential probes_first)/$(col sequential probes_second)" 1.0/1.0
check "sequential: stride 1" is "$(col sequential stride_median)" 1
check "reserve_odd=1: connect stops at the even half" \
	is "$(col "even-first reserve_odd=1" fill_connections)" $((range / 2))
check "reserve_odd=1: bind(0) succeeds when connect() is full" \
	is "$(col "even-first reserve_odd=1" bind_ok_pct_full)" 100
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

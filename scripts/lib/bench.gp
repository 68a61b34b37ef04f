# SPDX-License-Identifier: GPL-2.0
#
# results/bench.png from the data files scripts/report.py bench writes
# (bench-plot-*.dat, "?" where nothing was measured). Run by bench.sh:
#   gnuplot -e "dir='DIR'; out='FILE'; unit='...'; made_on='...'; has_probe=1; ..." bench.gp
# Each panel shows medians as bars with the min..max of the runs as an
# error bar; a panel whose part was not measured says so.

if (!exists("dir")) dir = "results"
if (!exists("out")) out = dir . "/bench.png"
if (!exists("unit")) unit = ""
if (!exists("made_on")) made_on = ""
if (!exists("has_probe")) has_probe = 0
if (!exists("has_ftrace")) has_ftrace = 0
if (!exists("has_p1")) has_p1 = 0
if (!exists("has_p2")) has_p2 = 0
if (!exists("has_sockmany")) has_sockmany = 0
if (!exists("sockmany_ops")) sockmany_ops = 20000

set terminal pngcairo size 1400,1000 font "sans,10"
set output out
set datafile missing "?"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key below
set xtics nomirror rotate by -20
set ytics nomirror
# room above the tallest bar for its error bar and value
set offsets 0, 0, graph 0.12, 0
# a panel with nothing to show: an empty frame that says so
nothing = "unset logscale y; unset xtics; unset ytics; set yrange [0:1]; set xrange [0:1]; set label 1 'not measured' at graph 0.5, 0.5 center; plot 2 notitle; unset label 1; set autoscale x; set yrange [*:*]; set xtics nomirror rotate by -20; set ytics nomirror"

set multiplot layout 2,2 title "portsel make bench" . (made_on eq "" ? "" : " on " . made_on) . ": medians, min..max of the runs" . (unit eq "" ? "" : "\n" . unit)

# (a) the cost of one busy port
set title "cost of one busy port tried (ns), lower is better"
set ylabel "ns per port"
set yrange [0:*]
if (has_probe && has_ftrace) {
	plot dir . "/bench-plot-probe.dat" using 2:3:4:xtic(1) title "kernel (its own loop)" lc rgb "#777777", \
	     "" using 5:6:7 title "even-first (portsel, now)" lc rgb "#1f77b4", \
	     "" using 8:9:10 title "even-first, through ftrace" lc rgb "#aec7e8"
} else { if (has_probe) {
	plot dir . "/bench-plot-probe.dat" using 2:3:4:xtic(1) title "kernel (its own loop)" lc rgb "#777777", \
	     "" using 5:6:7 title "even-first (portsel, now)" lc rgb "#1f77b4"
} else {
	@nothing
} }

# (b) connect() at low occupancy
set title "connect() + close, one destination, low occupancy (P1): us per connect()"
set ylabel "us"
set yrange [0:*]
set key off
if (has_p1) {
	plot dir . "/bench-plot-p1.dat" using 2:3:4:xtic(1) notitle lc rgb "#2ca02c", \
	     "" using 0:2:(sprintf("%.1f", $2)) with labels offset 0,1 notitle
} else {
	@nothing
}

# (c) connect() as one destination fills
set title "connect() while one destination fills (P2): p50, log scale"
set ylabel "us"
set logscale y
set yrange [*:*]
set key below
if (has_p2) {
	plot dir . "/bench-plot-p2.dat" using 2:3:4:xtic(1) title "4,000 ports: before the preferred parity is full" lc rgb "#bcbd22", \
	     "" using 5:6:7 title "4,000 ports: after" lc rgb "#ff7f0e", \
	     "" using 8:9:10 title "28,232 ports: after" lc rgb "#d62728"
} else {
	@nothing
}
unset logscale y

# (d) a real client
set title sprintf("stress-ng --sockmany, %d connections held, default range: seconds, log scale", sockmany_ops)
set ylabel "s"
set logscale y
set key off
if (has_sockmany) {
	plot dir . "/bench-plot-sockmany.dat" using 2:3:4:xtic(1) notitle lc rgb "#9467bd", \
	     "" using 0:2:(sprintf("%.2f", $2)) with labels offset 0,1 notitle
} else {
	@nothing
}
unset multiplot

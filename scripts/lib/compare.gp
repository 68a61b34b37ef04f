# SPDX-License-Identifier: GPL-2.0
#
# compare.png from the data files scripts/report.py compare writes into
# DIR: lat-I.dat (every connect of the fill), latm-I.dat (its median per
# 1 % of the range) and hist-I.dat (workload 1's ports), I being a
# label's place in NAMES. Run by scripts/compare.sh with the settings
# report.py prints (gnuplot -e "dir=...; out=...; names=...; ...").
# Lists are words: lat_ids, hist_ids, hash_ids (which labels have the
# data), names, hist_titles and colours (one per label, quoted where
# needed), hash_tics (the hash panel's x labels). hash-I.dat: x, max/mean
# load of workload 1's one-destination tuples, of its many-destination
# ones. blk-I.dat (blk_ids): rank, times handed out in workload 5's
# blk_rounds rounds on blk_lo-blk_hi with blk_res reserved, most first.

set encoding utf8
set terminal pngcairo noenhanced size 1600,1950 font "DejaVu Sans,11"
set output out
set multiplot layout 3,2 title "portsel make compare — " . title font ",12"

set title sprintf("Fill of %d ports to one destination: per-connect latency", range)
set xlabel "connections held"
set ylabel sprintf("connect() latency (%s, log scale; line: median per 1 %%)", time_unit)
set logscale y
set format y "%.0f"
set grid ytics mytics xtics lc rgb "#dddddd"
set key top left opaque box
lat(i) = sprintf("%s/lat-%d.dat", dir, i)
latm(i) = sprintf("%s/latm-%d.dat", dir, i)
id(list, k) = int(word(list, k))
plot for [k = 1:words(lat_ids)] lat(id(lat_ids, k)) with dots \
	lc rgb word(colours, id(lat_ids, k)) notitle, \
     for [k = 1:words(lat_ids)] latm(id(lat_ids, k)) with lines lw 2 \
	lc rgb word(colours, id(lat_ids, k)) title word(names, id(lat_ids, k))

unset logscale y
set title sprintf("Workload 1: ports handed out (%d to one destination + %d over %d)", one, spread, dsts)
set xlabel sprintf("source port (512-port bins over %d-%d)", def_lo, def_hi)
set ylabel "connections"
set xrange [def_lo:def_hi + 1]
set key top right opaque box
set offsets 0, 0, graph 0.3, 0
plot for [k = 1:words(hist_ids)] sprintf("%s/hist-%d.dat", dir, id(hist_ids, k)) \
	with histeps lw 2 lc rgb word(colours, id(hist_ids, k)) \
	title word(hist_titles, id(hist_ids, k))

unset offsets
set title sprintf("bind(0) under connect() load on the %d-port fill range: median time", range)
set xlabel "% of the range held by connect() (last point: all it could take)"
set ylabel sprintf("bind(0) time (%s, log scale; dashed: SO_REUSEADDR)", time_unit)
set xrange [0:105]
set logscale y
set key top left opaque box
if (words(bind_ids) > 0) {
	plot for [k = 1:words(bind_ids)] sprintf("%s/bind-%d.dat", dir, id(bind_ids, k)) \
		using 1:2 with linespoints lw 2 pt 7 \
		lc rgb word(colours, id(bind_ids, k)) title word(names, id(bind_ids, k)), \
	     for [k = 1:words(bind_ids)] sprintf("%s/bind-%d.dat", dir, id(bind_ids, k)) \
		using 1:3 with linespoints lw 1 dt 2 pt 6 \
		lc rgb word(colours, id(bind_ids, k)) notitle
} else {
	unset logscale y
	set yrange [0:1]
	set label 1 "no timed bind(0)s in these records" at graph 0.5, 0.5 center
	plot -1 notitle
	unset label 1
	set yrange [*:*]
}
unset logscale y

set title sprintf("Hash spread of workload 1's tuples (line: to one destination, dashed: over %d)", dsts)
set xlabel "hash and buckets N (RSS: Toeplitz, 128-entry table; CRC: CRC-32 of the 5-tuple; port mod: source port)"
set ylabel "max / mean bucket load (1 = even, 2 = half the buckets idle)"
set format y "%.1f"
set xrange [0.5:words(hash_tics) + 0.5]
set yrange [0.9:*]
set xtics 1 rotate by -30
set for [k = 1:words(hash_tics)] xtics add (word(hash_tics, k) k)
set key top left opaque box
set yrange [0.9:*]
if (words(hash_ids) > 0) {
	plot for [k = 1:words(hash_ids)] sprintf("%s/hash-%d.dat", dir, id(hash_ids, k)) \
		using 1:2 with linespoints lw 2 pt 7 \
		lc rgb word(colours, id(hash_ids, k)) title word(names, id(hash_ids, k)), \
	     for [k = 1:words(hash_ids)] sprintf("%s/hash-%d.dat", dir, id(hash_ids, k)) \
		using 1:3 with linespoints lw 1 dt 2 pt 6 \
		lc rgb word(colours, id(hash_ids, k)) notitle
}

set title sprintf("Beside a reserved block: %d connect/close rounds, a destination each, on %d-%d, %s reserved", blk_rounds, blk_lo, blk_hi, blk_res)
set xlabel "ports, most handed out first (log scale; rank 1 is the port after the block where it is favoured)"
set ylabel "times handed out (log scale)"
set logscale xy
set xrange [0.8:*]
set xtics autofreq norotate
set format x "%.0f"
set format y "%.0f"
set yrange [0.8:*]
set key top right opaque box
if (words(blk_ids) > 0) {
	plot for [k = 1:words(blk_ids)] sprintf("%s/blk-%d.dat", dir, id(blk_ids, k)) \
		using 1:2 with steps lw 2 \
		lc rgb word(colours, id(blk_ids, k)) title word(names, id(blk_ids, k))
}
unset multiplot

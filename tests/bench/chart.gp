# SPDX-License-Identifier: GPL-2.0
#
# make bench chart: one panel per job (and per network test), a bar per
# device at its median, the whisker from min to max of the repetitions.
# The y axes are logarithmic: the kernel's brd and null_blk run an order of
# magnitude above any vDPA device, and equal ratios show as equal steps.
# report.py calls it with:
#   datadir  folder of PANEL.dat files: "# title: ..." then
#            index "label" median min max colour
#   panels   the PANEL names, in order
#   rows, cols, out, cond (the conditions line)

set terminal png size (cols * 420), (rows * 360 + 40) font ",9" noenhanced
set output out

# Colours: vdused blues, qemu-storage-daemon oranges, kernel references
# greys/greens, network paths last.
set linetype 1 lc rgb "#1f5fa8"   # vdused-null
set linetype 2 lc rgb "#4f8fd0"   # vdused-ram
set linetype 3 lc rgb "#8fbbe8"   # vdused-file
set linetype 4 lc rgb "#d9731c"   # qsd-null
set linetype 5 lc rgb "#f0a868"   # qsd-file
set linetype 6 lc rgb "#4c9a4c"   # vdpa_sim_blk
set linetype 7 lc rgb "#7a7a7a"   # brd
set linetype 8 lc rgb "#b0b0b0"   # null_blk
set linetype 9 lc rgb "#7a7a7a"   # veth
set linetype 10 lc rgb "#1f5fa8"  # cable
set linetype 11 lc rgb "#8fbbe8"  # tap

set style fill solid 0.9 border rgb "#303030"
set boxwidth 0.7
set grid ytics lc rgb "#d0d0d0"
set xtics rotate by -35 nomirror
set ytics nomirror
set logscale y 10
set format y "%.0f"
set mytics 10
set key off
set bmargin 6

set multiplot layout rows, cols title cond . " (log scale)" font ",11"
do for [p in panels] {
	f = datadir . "/" . p . ".dat"
	set title system("sed -n 's/^# title: //p' '" . f . "'")
	plot f using 1:3:6:xtic(2) with boxes lc variable, \
	     f using 1:3:4:5 with yerrorbars lc rgb "#202020" pt 0
}
unset multiplot

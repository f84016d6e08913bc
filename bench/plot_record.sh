#!/bin/sh
# SPDX-License-Identifier: MIT
# Plots the VmPTE series of a recorded trace's replays (tools/record_compare.sh
# --series FILE: a column per strategy, the kernel's recorded figure first)
# as a PNG with gnuplot, in plot_churn.sh's colours.
#
#   bench/plot_record.sh SERIES.csv OUT.png [TITLE]
#
# Needs gnuplot (Debian: gnuplot-nox).
set -eu

if [ $# -lt 2 ]; then
	sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
csv=$1 png=$2 title=${3:-VmPTE at each checkpoint}
command -v gnuplot >/dev/null 2>&1 || {
	echo "plot_record.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2
	exit 1
}
# shellcheck source=bench/strategy_colours.sh
. "$(dirname "$0")/strategy_colours.sh"
plots=
col=2
# the kernel last and dashed, so that the strategy lines under it show
for name in $(head -1 "$csv" | tr ',' ' ' | cut -d' ' -f2-); do
	if [ "$name" = kernel ]; then
		kcol=$col
	else
		plots="$plots${plots:+, }\"$csv\" using 0:$col with lines lw 2 lc rgb \"$(colour "$name")\" title \"$name\""
	fi
	col=$((col + 1))
done
plots="$plots, \"$csv\" using 0:$kcol with points pt 6 ps 0.8 lc rgb \"#000000\" title \"kernel (recorded)\""
gnuplot <<GP
set terminal pngcairo size 900,500 font "sans,11"
set output "$png"
set datafile separator ","
set key autotitle columnhead bottom right
set title "$title"
set xlabel "checkpoint"
set ylabel "VmPTE (kB)"
set grid
plot $plots
GP

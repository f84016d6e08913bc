#!/bin/sh
# SPDX-License-Identifier: MIT
# Turns madvise_churn's CSV output into PNG plots with gnuplot.
#
#   madvise_churn --format csv > churn.csv
#   bench/plot_churn.sh churn.csv [OUTDIR] [TIMESERIES.csv]
#
# The CSV is madvise_churn --format csv: the rows, a "# histograms" section
# and a "# timeseries" section (or, with --timeseries FILE, the time series in
# that file: pass it as the third argument). Writes to OUTDIR (default: the
# CSV's directory):
#   WORKLOAD_throughput.png   ops/s per strategy, one bar per thread count
#   WORKLOAD_vmpte_tN.png     VmPTE over time per strategy, N threads
#   WORKLOAD_latency_tN.png   log2 histograms of fault and madvise latency, N threads
# Needs gnuplot (Debian: gnuplot-nox).
set -eu

if [ $# -lt 1 ] || [ "$1" = "--help" ]; then
	sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'
	[ $# -ge 1 ] && exit 0
	exit 2
fi
csv=$1
out=${2:-$(dirname "$csv")}
ts=${3:-}
command -v gnuplot >/dev/null 2>&1 || {
	echo "plot_churn.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2
	exit 1
}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Split the sections.
awk -v d="$tmp" '
	/^# histograms/ { sec = "hist"; next }
	/^# timeseries/ { sec = "ts"; next }
	/^$/ { next }
	/^strategy,/ { next }
	{ f = (sec == "") ? d "/rows.csv" : d "/" sec ".csv"; print > f }
' "$csv"
if [ -n "$ts" ]; then
	grep -v '^strategy,' "$ts" > "$tmp/ts.csv"
fi
[ -s "$tmp/rows.csv" ] || { echo "plot_churn.sh: no rows in $csv" >&2; exit 1; }
workload=$(head -1 "$tmp/rows.csv" | cut -d, -f2)
strategies=$(cut -d, -f1 "$tmp/rows.csv" | awk '!seen[$0]++' | tr '\n' ' ')
threads=$(cut -d, -f3 "$tmp/rows.csv" | sort -n | uniq | tr '\n' ' ')

# Throughput: a matrix, one line per strategy, one column per thread count.
awk -F, -v th="$threads" '
	BEGIN { n = split(th, T, " ") }
	{ v[$1 "," $3] = $4; if (!($1 in seen)) { seen[$1] = 1; order[++m] = $1 } }
	END {
		printf "strategy"; for (i = 1; i <= n; i++) printf " \"%s thr\"", T[i]; printf "\n"
		for (j = 1; j <= m; j++) {
			printf "%s", order[j]
			for (i = 1; i <= n; i++) {
				x = v[order[j] "," T[i]]; printf " %s", (x == "" ? "0" : x / 1e6)
			}
			printf "\n"
		}
	}' "$tmp/rows.csv" > "$tmp/tput.dat"
ncols=$(echo $threads | wc -w)
gnuplot <<EOF
set terminal pngcairo size 900,500 font "sans,11"
set output "$out/${workload}_throughput.png"
set title "madvise\\\_churn ($workload): throughput per strategy and thread count"
set ylabel "million library calls per second"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right autotitle columnheader
set grid ytics
set yrange [0:*]
plot for [i=2:$((ncols + 1))] "$tmp/tput.dat" using i:xtic(1)
EOF

for t in $threads; do
	# VmPTE over time, one line per strategy.
	if [ -s "$tmp/ts.csv" ]; then
		plots=""
		for s in $strategies; do
			awk -F, -v s="$s" -v t="$t" '$1 == s && $3 == t { print $4 / 1000, $5 }' \
				"$tmp/ts.csv" > "$tmp/ts_${s}_$t.dat"
			[ -s "$tmp/ts_${s}_$t.dat" ] || continue
			plots="$plots${plots:+, }\"$tmp/ts_${s}_$t.dat\" using 1:2 with lines lw 2 title \"$s\""
		done
		if [ -n "$plots" ]; then
			gnuplot <<EOF
set terminal pngcairo size 900,500 font "sans,11"
set output "$out/${workload}_vmpte_t$t.png"
set title "madvise\\\_churn ($workload, $t threads): VmPTE over time"
set xlabel "seconds since the start of the row"
set ylabel "VmPTE (kB)"
set yrange [0:*]
set grid
set key outside right
plot $plots
EOF
		fi
	fi
	# Latency distributions: share of calls per log2 bucket.
	if [ -s "$tmp/hist.csv" ]; then
		fp=""
		mp=""
		for s in $strategies; do
			for k in fault madvise; do
				awk -F, -v s="$s" -v t="$t" -v k="$k" '
					$1 == s && $3 == t && $4 == k { lo[++n] = $5; c[n] = $7; tot += $7 }
					END { for (i = 1; i <= n; i++) print (lo[i] > 0 ? lo[i] * 1.5 : 1), 100 * c[i] / tot }' \
					"$tmp/hist.csv" > "$tmp/h_${k}_${s}_$t.dat"
			done
			[ -s "$tmp/h_fault_${s}_$t.dat" ] &&
				fp="$fp${fp:+, }\"$tmp/h_fault_${s}_$t.dat\" using 1:2 with linespoints lw 2 title \"$s\""
			[ -s "$tmp/h_madvise_${s}_$t.dat" ] &&
				mp="$mp${mp:+, }\"$tmp/h_madvise_${s}_$t.dat\" using 1:2 with linespoints lw 2 title \"$s\""
		done
		gnuplot <<EOF
set terminal pngcairo size 1000,800 font "sans,11"
set output "$out/${workload}_latency_t$t.png"
set multiplot layout 2,1 title "madvise\\\_churn ($workload, $t threads): latency, log2 buckets"
set logscale x 10
set xtics ("10 ns" 10, "100 ns" 100, "1 us" 1e3, "10 us" 1e4, "100 us" 1e5, "1 ms" 1e6, "10 ms" 1e7, "100 ms" 1e8, "1 s" 1e9)
set xlabel "latency (centre of each log2 bucket)"
set ylabel "% of calls"
set grid
set key outside right
set title "page fault (ptsim\\\_touch of an unmapped page; kernel: first access)"
plot ${fp:-1/0 notitle}
set title "madvise call"
plot ${mp:-1/0 notitle}
unset multiplot
EOF
	fi
done
echo "plot_churn.sh: wrote $(ls "$out"/${workload}_*.png | tr '\n' ' ')"

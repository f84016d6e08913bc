#!/bin/sh
# SPDX-License-Identifier: MIT
# Turns madvise_churn's CSV output into PNG plots with gnuplot.
#
#   madvise_churn --format csv > churn.csv
#   bench/plot_churn.sh churn.csv [OUTDIR] [TIMESERIES.csv]
#
# The CSV is madvise_churn --format csv: tables after "# results",
# "# histograms" and "# timeseries" lines (or, with --timeseries FILE, the
# time series in that file: pass it as the third argument). Writes to OUTDIR
# (default: the CSV's directory):
#   WORKLOAD_throughput.png   ops/s per strategy, one bar per thread count
#   WORKLOAD_vmpte_tN.png     VmPTE over each row's run time, N threads (first run)
#   WORKLOAD_latency_tN.png   log2 histograms of fault and madvise latency, N threads
# Each strategy keeps its colour in every plot; an axis becomes logarithmic
# when its values span more than 20x, so that small lines do not vanish.
# Needs gnuplot (Debian: gnuplot-nox).
set -eu

if [ $# -lt 1 ] || [ "$1" = "--help" ]; then
	sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'
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

# Split the sections; each keeps its header line.
awk -v d="$tmp" '
	/^# / { sec = $2; next }
	/^$/ { next }
	sec != "" { print > (d "/" sec ".csv") }
' "$csv"
[ -n "$ts" ] && cp "$ts" "$tmp/timeseries.csv"
[ -s "$tmp/results.csv" ] || { echo "plot_churn.sh: no \"# results\" table in $csv" >&2; exit 1; }

# col FILE NAME: the 1-based index of column NAME in FILE's header.
col() {
	head -1 "$1" | tr ',' '\n' | awk -v n="$2" '$0 == n { print NR; exit }'
}
# shellcheck source=bench/strategy_colours.sh
. "$(dirname "$0")/strategy_colours.sh"
# logscale AXIS FILE COLUMN: "set logscale AXIS" when the positive values span > 20x.
logscale() {
	awk -v c="$3" -v a="$1" '$c + 0 > 0 { v = $c + 0; if (!n++ || v < lo) lo = v; if (v > hi) hi = v }
		END { if (n && hi / lo > 20) print "set logscale " a }' "$2"
}

r=$tmp/results.csv
c_s=$(col "$r" strategy)
c_w=$(col "$r" workload)
c_t=$(col "$r" threads)
c_ops=$(col "$r" ops_per_sec)
workload=$(sed -n 2p "$r" | cut -d, -f"$c_w")
strategies=$(sed 1d "$r" | cut -d, -f"$c_s" | awk '!seen[$0]++' | tr '\n' ' ')
threads=$(sed 1d "$r" | cut -d, -f"$c_t" | sort -n | uniq | tr '\n' ' ')

# Throughput: one cluster per strategy, one bar per thread count (Mops/s).
sed 1d "$r" | awk -F, -v cs="$c_s" -v ct="$c_t" -v co="$c_ops" -v th="$threads" '
	BEGIN { n = split(th, T, " ") }
	{ v[$cs "," $ct] = $co; if (!($cs in seen)) { seen[$cs] = 1; order[++m] = $cs } }
	END {
		printf "strategy"; for (i = 1; i <= n; i++) printf " \"%s thr\"", T[i]; printf "\n"
		for (j = 1; j <= m; j++) {
			printf "%s", order[j]
			for (i = 1; i <= n; i++) { x = v[order[j] "," T[i]]; printf " %s", (x == "" ? "NaN" : x / 1e6) }
			printf "\n"
		}
	}' > "$tmp/tput.dat"
ncols=$(echo $threads | wc -w)
tlog=$(sed 1d "$tmp/tput.dat" | awk '{ for (i = 2; i <= NF; i++) print $i }' > "$tmp/tv.dat"; logscale y "$tmp/tv.dat" 1)
gnuplot <<EOF2
set terminal pngcairo size 900,500 font "sans,11"
set output "$out/${workload}_throughput.png"
set title "madvise\\\_churn ($workload): throughput per strategy and thread count"
set ylabel "million library calls per second"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right autotitle columnheader
set grid ytics
${tlog:-set yrange [0:*]}
plot for [i=2:$((ncols + 1))] "$tmp/tput.dat" using i:xtic(1)
EOF2

for t in $threads; do
	# VmPTE over time, one line per strategy, first run of each.
	if [ -s "$tmp/timeseries.csv" ]; then
		f=$tmp/timeseries.csv
		cs=$(col "$f" strategy) ct=$(col "$f" threads) cr=$(col "$f" repeat)
		cm=$(col "$f" t_ms) cv=$(col "$f" vmpte_kb)
		plots=""
		: > "$tmp/vall.dat"
		for s in $strategies; do
			sed 1d "$f" | awk -F, -v s="$s" -v t="$t" -v cs="$cs" -v ct="$ct" -v cr="$cr" \
				-v cm="$cm" -v cv="$cv" '$cs == s && $ct == t && ($cr == 1 || cr == "") { x[++n] = $cm; y[n] = $cv; if ($cm > m) m = $cm }
				END { for (i = 1; i <= n; i++) print (m > 0 ? x[i] / m : 0), y[i] }' \
				> "$tmp/ts_${s}_$t.dat"
			[ -s "$tmp/ts_${s}_$t.dat" ] || continue
			cat "$tmp/ts_${s}_$t.dat" >> "$tmp/vall.dat"
			plots="$plots${plots:+, }\"$tmp/ts_${s}_$t.dat\" using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb \"$(colour "$s")\" title \"$s\""
		done
		vlog=$(logscale y "$tmp/vall.dat" 2)
		if [ -n "$plots" ]; then
			gnuplot <<EOF2
set terminal pngcairo size 900,500 font "sans,11"
set output "$out/${workload}_vmpte_t$t.png"
set title "madvise\\\_churn ($workload, $t threads): VmPTE over time"
set xlabel "share of the row's run time (rows run the same work with --host, not the same time)"
set ylabel "VmPTE (kB)${vlog:+, log scale}"
${vlog:-set yrange [0:*]}
set grid
set key outside right
plot $plots
EOF2
		fi
	fi
	# Latency distributions: share of calls per log2 bucket, all runs together.
	if [ -s "$tmp/histograms.csv" ]; then
		f=$tmp/histograms.csv
		cs=$(col "$f" strategy) ct=$(col "$f" threads) ck=$(col "$f" kind)
		cl=$(col "$f" lo_ns) cc=$(col "$f" count)
		fp=""
		mp=""
		for s in $strategies; do
			for k in fault madvise; do
				sed 1d "$f" | awk -F, -v s="$s" -v t="$t" -v k="$k" -v cs="$cs" -v ct="$ct" \
					-v ck="$ck" -v cl="$cl" -v cc="$cc" '
					$cs == s && $ct == t && $ck == k { if (!($cl in c)) lo[++n] = $cl; c[$cl] += $cc; tot += $cc }
					END { for (i = 1; i <= n; i++) print (lo[i] > 0 ? lo[i] * 1.5 : 1), 100 * c[lo[i]] / tot }' \
					> "$tmp/h_${k}_${s}_$t.dat"
			done
			lc="lc rgb \"$(colour "$s")\""
			[ -s "$tmp/h_fault_${s}_$t.dat" ] &&
				fp="$fp${fp:+, }\"$tmp/h_fault_${s}_$t.dat\" using 1:2 with linespoints lw 2 $lc title \"$s\""
			[ -s "$tmp/h_madvise_${s}_$t.dat" ] &&
				mp="$mp${mp:+, }\"$tmp/h_madvise_${s}_$t.dat\" using 1:2 with linespoints lw 2 $lc title \"$s\""
		done
		gnuplot <<EOF2
set terminal pngcairo size 1000,800 font "sans,11"
set output "$out/${workload}_latency_t$t.png"
set multiplot layout 2,1 title "madvise\\\_churn ($workload, $t threads): latency, log2 buckets"
set logscale x 10
set logscale y 10
set yrange [0.01:100]
set xtics ("10 ns" 10, "100 ns" 100, "1 us" 1e3, "10 us" 1e4, "100 us" 1e5, "1 ms" 1e6, "10 ms" 1e7, "100 ms" 1e8, "1 s" 1e9)
set xlabel "latency (centre of each log2 bucket)"
set ylabel "% of calls (log scale)"
set grid
set key outside right
set title "page fault (ptsim\\\_touch of an unmapped page; kernel: first access)"
plot ${fp:-1/0 notitle}
set title "madvise call"
plot ${mp:-1/0 notitle}
unset multiplot
EOF2
	fi
done
echo "plot_churn.sh: wrote $(ls "$out"/${workload}_*.png | tr '\n' ' ')"

#!/bin/sh
# record_compare.sh: replays a ptsim-record trace under every strategy and
# prints them side by side with the kernel's recorded figures, in
# madvise_churn's layout (a header, one aligned row per strategy, a legend),
# or as CSV. docs/record.md shows it on a redis-server recording.
#
#   record_compare.sh [--csv] [--series FILE] REPLAY TRACE
#
# Every strategy runs with --rss --no-zero-page (the recorder's touches are
# present pages: frames to the simulator) and --reclaim (each strategy's
# reclaim pass before each checkpoint, as a reclaim thread would run it:
# bitfield frees nothing without it). --series FILE writes the VmPTE of
# every checkpoint, one column per strategy, for plotting.
set -u

csv='' series=''
while [ $# -gt 0 ]; do
	case $1 in
	--csv) csv=1; shift ;;
	--series) series=${2:?--series needs a FILE}; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 2 ]; then
	echo "usage: $0 [--csv] [--series FILE] REPLAY TRACE" >&2
	exit 2
fi
replay=$1 trace=$2
# every strategy this ptsim-replay knows, but the broken-on-purpose one
strategies=$("$replay" --help | sed -n 's/^Strategies: //p' | tr -d ',' |
	tr ' ' '\n' | grep -v '^unsafe$' | tr '\n' ' ')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/record_compare.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

for s in $strategies; do
	t0=$(date +%s.%N)
	"$replay" --strategy "$s" --rss --no-zero-page --reclaim "$trace" >"$tmp/$s.out" 2>"$tmp/$s.err" ||
		{ echo "record_compare: $s failed: $(cat "$tmp/$s.err")" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >"$tmp/$s.time"
done

# One summary line per strategy, the kernel's first (from the recorded figures).
summarize() { # NAME ERA FILE FIELD-VMPTE FIELD-RSS TIME
	awk -v name="$1" -v era="$2" -v vk="$4" -v rk="$5" -v secs="$6" '
	function field(key,    i, kv) {
		for (i = 1; i <= NF; i++)
			if (index($i, key "=") == 1)
				return substr($i, length(key) + 2) + 0
		return -1
	}
	$1 == "checkpoint" {
		v = field(vk); r = field(rk); rec = field("recorded_vmpte_kb")
		n++; sum += v; end = v; rss = r
		if (v > peak) peak = v
		if (v == rec) match_n++
	}
	END { printf "%s %s %d %d %d %.1f %d %d %s\n", name, era, n, peak, end, n ? sum / n : 0, match_n, rss, secs }
	' "$3"
}
era_of() {
	case $1 in
	none | rcu | unsafe) echo 6.18 ;;
	*) echo 5.x ;;
	esac
}
summarize kernel - "$tmp/none.out" recorded_vmpte_kb recorded_rss_kb - >"$tmp/rows"
for s in $strategies; do
	summarize "$s" "$(era_of "$s")" "$tmp/$s.out" vmpte_kb rss_kb "$(cat "$tmp/$s.time")" >>"$tmp/rows"
done

if [ -n "$series" ]; then
	{
		printf "checkpoint,kernel"
		for s in $strategies; do printf ",%s" "$s"; done
		printf "\n"
		awk '{ sub(/.*recorded_vmpte_kb=/, ""); sub(/ .*/, ""); print }' "$tmp/none.out" >"$tmp/col.kernel"
		awk '{ print $2 }' "$tmp/none.out" >"$tmp/col.label"
		cols="$tmp/col.label $tmp/col.kernel"
		for s in $strategies; do
			awk '{ split($3, kv, "="); print kv[2] }' "$tmp/$s.out" >"$tmp/col.$s"
			cols="$cols $tmp/col.$s"
		done
		# shellcheck disable=SC2086 # the column files are one word each
		paste -d, $cols
	} >"$series"
fi

if [ -n "$csv" ]; then
	echo "strategy,era,checkpoints,vmpte_peak_kb,vmpte_end_kb,vmpte_mean_kb,end_x_kernel,mean_x_kernel,checkpoints_matching_kernel,rss_end_kb,replay_s"
	awk 'NR == 1 { kend = $5; kmean = $6 }
	{ printf "%s,%s,%d,%d,%d,%.1f,%.2f,%.2f,%d,%d,%s\n", $1, $2, $3, $4, $5, $6,
	  kend ? $5 / kend : 0, kmean ? $6 / kmean : 0, $7, $8, $9 == "-" ? "" : $9 }' "$tmp/rows"
	exit 0
fi

echo "record_compare: $(basename "$trace"): $(grep -c . "$trace") lines, $(awk '$1 ~ /^t[0-9]+$/ { s[$1] = 1 } END { print length(s) }' "$trace") thread(s), $(awk 'NR == 1 { print $3 }' "$tmp/rows") checkpoints; $("$replay" --probe)"
echo "every strategy: ptsim-replay --rss --no-zero-page --reclaim"
echo
awk 'BEGIN { printf "%-9s %4s %13s %12s %13s %10s %11s %8s %12s %10s\n", "strategy", "era",
	"VmPTE peak kB", "VmPTE end kB", "VmPTE mean kB", "end x kern", "mean x kern", "matching",
	"RSS end kB", "replay s" }
NR == 1 { kend = $5; kmean = $6 }
{ printf "%-9s %4s %13d %12d %13.1f %10.2f %11.2f %4d/%-3d %12d %10s\n", $1, $2, $4, $5, $6,
  kend ? $5 / kend : 0, kmean ? $6 / kmean : 0, $7, $3, $8, $9 }' "$tmp/rows"
echo "kernel: the figures ptsim-record read from /proc/self/status at each checkpoint, less its own region; matching: checkpoints whose VmPTE equals the kernel's; x kern: ratio to the kernel row; VmPTE mean over the checkpoints; replay s: wall time of the whole replay."

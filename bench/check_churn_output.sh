#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest (label bench): runs madvise_churn briefly in every output mode and
# checks that each output parses: every CSV table has as many fields on each
# line as in its header, JSON is valid (python3 -m json.tool) and every
# scalar field of a JSON result is a column of the results CSV. No timing
# figure is checked.
#
#   check_churn_output.sh PATH/TO/madvise_churn
set -eu

churn=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# The smallest run that still has every kind of row: the kernel, two
# strategies of two eras, two thread counts, two repeats.
common="--strategies none,rcu,atomic --threads 1,2 --region 64M --repeat 2"

# Each "# NAME" section of a CSV stream (or a whole file): same field count as its header.
check_csv() {
	awk -F, -v file="$1" '
		/^# / { sec = $2; hdr = 0; next }
		/^$/ { next }
		!hdr { n = NF; hdr = 1; rows[sec] = 0; next }
		NF != n { printf "%s: section %s line %d: %d fields, header has %d\n", file, sec, NR, NF, n; bad = 1 }
		{ rows[sec]++ }
		END { if (!hdr) { print file ": no table"; bad = 1 } exit bad }
	' "$1" || fail "CSV $1"
}

echo "table mode"
"$churn" $common --host --seconds 0.1 --hist >"$tmp/table.txt"
grep -q '^strategy  *era  *thr' "$tmp/table.txt" || fail "table header"
grep -q '^Medians of 2 run' "$tmp/table.txt" || fail "legend line"
grep -q '^Equal work, 2 thread' "$tmp/table.txt" || fail "equal-work line"
grep -q '^@fault_ns\[rcu, 2 threads\]' "$tmp/table.txt" || fail "--hist histograms"
"$churn" $common --seconds 0.1 >"$tmp/nohist.txt"
! grep -q '^@fault_ns' "$tmp/nohist.txt" || fail "histograms without --hist"

echo "csv mode, --csv-dir, --timeseries"
mkdir "$tmp/dir"
"$churn" $common --host --seconds 0.1 --format csv --csv-dir "$tmp/dir" \
	--timeseries "$tmp/ts.csv" >"$tmp/out.csv"
check_csv "$tmp/out.csv"
check_csv "$tmp/ts.csv"
for t in results spread runs histograms timeseries meta; do
	[ -s "$tmp/dir/$t.csv" ] || fail "--csv-dir wrote no $t.csv"
	check_csv "$tmp/dir/$t.csv"
done
# 2 thread counts x (kernel + 3 strategies): 8 results, 16 runs.
[ "$(($(wc -l <"$tmp/dir/results.csv") - 1))" = 8 ] || fail "results.csv: not 8 rows"
[ "$(($(wc -l <"$tmp/dir/runs.csv") - 1))" = 16 ] || fail "runs.csv: not 16 rows"
sed -n '/^# results/,/^$/p' "$tmp/out.csv" | sed '1d;/^$/d' | cmp -s - "$tmp/dir/results.csv" ||
	fail "results: stdout and --csv-dir differ for the same run"
grep -q '^git_commit,' "$tmp/dir/meta.csv" || fail "meta.csv: no git_commit"

echo "json mode"
"$churn" $common --iterations 100 --format json >"$tmp/out.json"
if command -v python3 >/dev/null 2>&1; then
	python3 -m json.tool "$tmp/out.json" >/dev/null || fail "JSON does not parse"
	"$churn" $common --iterations 100 --format csv --csv-dir "$tmp/dir" >/dev/null
	python3 - "$tmp/out.json" "$tmp/dir/results.csv" <<'PY' || fail "JSON fields missing from the CSV"
import csv, json, sys
doc = json.load(open(sys.argv[1]))
for key in ("version", "git_commit", "build_type", "nproc", "date_utc"):
    assert key in doc["meta"], key
cols = set(next(csv.reader(open(sys.argv[2]))))
res = doc["results"]
assert len(res) == 6 and len(doc["runs"]) == 12, (len(res), len(doc["runs"]))
missing = [k for k, v in res[0].items() if not isinstance(v, (list, dict)) and k not in cols]
missing += [k + "_vs_none" for k in res[0]["vs_none"] if k + "_vs_none" not in cols]
assert not missing, missing
PY
else
	echo "python3 not found: JSON syntax not checked"
	grep -q '"results": \[' "$tmp/out.json" || fail "JSON has no results"
fi
echo "all output modes parse"

#!/bin/sh
# madvise_churn --plugin: the plugin's rcu-ext must give the built-in rcu's
# figures exactly (same seed, fixed iterations: VmPTE is deterministic).
#   test_plugin_bench.sh MADVISE_CHURN PLUGIN.so
set -eu
out=$("$1" --plugin "$2" --strategies rcu,rcu-ext --threads 1 --iterations 400 \
	--region 64M --format csv 2>/dev/null | sed -n '1,/^$/p')
echo "$out"
echo "$out" | awk -F, '
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
$1 == "rcu" || $1 == "rcu-ext" {
	for (k in want) if (k in col) v[$1, k] = $(col[k])
	rows[$1] = 1
}
BEGIN { want["vmpte_peak_kb"]; want["vmpte_end_kb"]; want["pte_tables_freed"] }
END {
	if (!("rcu" in rows) || !("rcu-ext" in rows)) { print "FAIL: a row is missing"; exit 1 }
	n = 0
	for (k in want) {
		if (!(k in col)) continue
		n++
		if (v["rcu", k] != v["rcu-ext", k]) {
			printf "FAIL: %s: rcu %s, rcu-ext %s\n", k, v["rcu", k], v["rcu-ext", k]
			bad = 1
		} else
			printf "%s: rcu %s = rcu-ext %s\n", k, v["rcu", k], v["rcu-ext", k]
	}
	if (n == 0) { print "FAIL: no figure to compare in the CSV header"; exit 1 }
	exit bad
}'

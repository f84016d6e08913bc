#!/bin/sh
# madvise_churn --plugin: each plugin strategy must give its built-in
# model's figures exactly (same seed, a fixed number of iterations, one
# thread: VmPTE, tables freed and atomics per fault are deterministic).
#   test_plugin_bench.sh MADVISE_CHURN PLUGIN.so BUILTIN=PLUGIN_STRATEGY...
set -eu
churn=$1
plugin=$2
shift 2
list=
for pair in "$@"; do list="$list${list:+,}${pair%%=*},${pair#*=}"; done
out=$("$churn" --plugin "$plugin" --strategies "$list" --threads 1 --iterations 400 \
	--region 64M --format csv 2>/dev/null | sed -n '/^# results/,/^$/p' | grep -v '^#')
echo "$out"
echo "$out" | awk -F, -v pairs="$*" '
BEGIN {
	split("vmpte_peak_kb vmpte_end_kb pte_tables_freed refcount_atomics_per_fault tlb_flushes pmd_lock_acquisitions", want, " ")
	npairs = split(pairs, p, " ")
}
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
NF > 1 { rows[$1] = 1; for (k in want) if (want[k] in col) v[$1, want[k]] = $(col[want[k]]) }
END {
	n = 0
	for (j = 1; j <= npairs; j++) {
		split(p[j], ab, "=")
		if (!(ab[1] in rows) || !(ab[2] in rows)) { print "FAIL: no row for " p[j]; bad = 1; continue }
		for (k in want) {
			f = want[k]
			if (!(f in col)) continue
			n++
			if (v[ab[1], f] != v[ab[2], f]) {
				printf "FAIL: %s: %s %s, %s %s\n", f, ab[1], v[ab[1], f], ab[2], v[ab[2], f]
				bad = 1
			} else
				printf "%s: %s %s = %s %s\n", f, ab[1], v[ab[1], f], ab[2], v[ab[2], f]
		}
	}
	if (n == 0) { print "FAIL: no figure to compare in the CSV header"; exit 1 }
	exit bad
}'

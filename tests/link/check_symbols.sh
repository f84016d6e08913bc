#!/usr/bin/env bash
# What libptsim's two products show a linker and a loader:
#   libptsim.a  defines no global symbol outside the ptsim_* API (the kernel
#               names of the internals, and an embedded jemalloc's malloc,
#               are local);
#   libptsim.so exports only ptsim_*, needs no jemalloc, and has no static
#               TLS (DF_STATIC_TLS would make dlopen fail once the surplus
#               static TLS is used up).
# Usage: check_symbols.sh LIBPTSIM_A LIBPTSIM_SO
set -uo pipefail # no -e: every check runs and reports
a=$1 so=$2
fails=0
check() { # check OK WHAT
	if [ "$1" = 0 ]; then echo "ok   $2"; else
		echo "FAIL $2"
		fails=1
	fi
}

others=$(nm -g --defined-only "$a" | awk 'NF == 3 && $3 !~ /^ptsim_/ {print $3}')
[ -z "$others" ]
check $? "libptsim.a: every global symbol is ptsim_* ($(nm -g --defined-only "$a" | awk 'NF == 3' | wc -l) of them)"
[ -z "$others" ] || echo "$others" | head -20
nm -g --defined-only "$a" | awk 'NF == 3 {print $3}' | grep -E '^(malloc|free|calloc|realloc|mallocx|find_vma|down_write|handle_mm_fault)$' >/dev/null
check $((!$?)) "libptsim.a: no global malloc, free, find_vma, down_write, handle_mm_fault"
nm "$a" | grep -E ' [tT] (find_vma|handle_mm_fault)$' >/dev/null
check $? "libptsim.a: find_vma and handle_mm_fault are there, local"

others=$(nm -D --defined-only "$so" | awk 'NF == 3 && $3 !~ /^ptsim_/ {print $3}')
[ -z "$others" ]
check $? "libptsim.so: exports only ptsim_*"
readelf -d "$so" | grep -E 'NEEDED.*jemalloc' >/dev/null
check $((!$?)) "libptsim.so: does not need libjemalloc"
readelf -d "$so" | grep -E '\(FLAGS\).*STATIC_TLS' >/dev/null
check $((!$?)) "libptsim.so: no STATIC_TLS flag"
readelf -d "$so" | grep -E 'FLAGS_1.*NODELETE' >/dev/null
check $? "libptsim.so: NODELETE (dlclose leaves it mapped)"
exit $fails

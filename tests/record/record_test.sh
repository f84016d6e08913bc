#!/bin/sh
# Records tests/record/record_prog with ptsim-record and replays what it
# wrote, the main trace and the forked child's, with --verify: the
# simulator must reach the kernel's VmPTE at every checkpoint. The strategy
# is the one that models this kernel (rcu with PT_RECLAIM behaviour, none
# without); the simulator runs without the zero page, as every present page
# the recorder saw is a frame to it.
#
#   record_test.sh PTSIM-RECORD PTSIM-REPLAY RECORD-PROG
#
# Skips (77) where /proc/self/pagemap cannot be read or there is no VmPTE.
set -u

if [ $# -ne 3 ]; then
	echo "usage: $0 PTSIM-RECORD PTSIM-REPLAY RECORD-PROG" >&2
	exit 2
fi
record=$1 replay=$2 prog=$3

if ! od -An -N8 -tx8 /proc/self/pagemap >/dev/null 2>&1; then
	echo "SKIP: /proc/self/pagemap is not readable here"
	exit 77
fi
probe=$("$replay" --probe) || {
	echo "SKIP: '$replay --probe' failed"
	exit 77
}
case " $probe " in
*" vmpte=yes "*) ;;
*)
	echo "SKIP: no VmPTE in /proc/self/status: $probe"
	exit 77
	;;
esac
case " $probe " in
*" pt_reclaim=yes "*) strategy=rcu ;;
*) strategy=none ;;
esac

dir=$(mktemp -d "${TMPDIR:-/tmp}/ptsim-record-test.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
"$record" -i 10 -o "$dir/prog.trace" -- "$prog" || {
	echo "FAIL: '$prog' under ptsim-record exited with status $?"
	exit 1
}
if ! grep -q "^# the C library's and the loader's own memory calls: trapped" "$dir/prog.trace"; then
	echo "SKIP: the recorder could not trap the C library's own calls here, so the exact"
	echo "VmPTE cannot be demanded: $(grep "^# the C library's" "$dir/prog.trace")"
	exit 77
fi
fail=0
check() { # what, condition result
	if [ "$2" -ne 0 ]; then
		echo "FAIL: $1"
		fail=1
	fi
}
checkpoints=$(grep -c ' checkpoint ' "$dir/prog.trace")
threads=$(awk '$1 ~ /^t[0-9]+$/ { seen[$1] = 1 } END { print length(seen) }' "$dir/prog.trace")
children=0
for f in "$dir"/prog.trace.*; do
	[ -f "$f" ] && children=$((children + 1))
done
echo "main trace: $(wc -l <"$dir/prog.trace") lines, $checkpoints checkpoints, $threads threads; $children child trace(s)"
[ "$checkpoints" -ge 3 ]; check "fewer than 3 checkpoints" $?
[ "$threads" -ge 3 ]; check "fewer than 3 threads recorded (main and two workers)" $?
[ "$children" -eq 1 ]; check "no trace of the forked child" $?
grep -q '^t[12] mmap ' "$dir/prog.trace"; check "no mmap by a worker thread" $?
grep -q '^# mremap ' "$dir/prog.trace"; check "no mremap" $?
for t in "$dir"/prog.trace*; do
	echo "== $replay --strategy $strategy --no-zero-page --verify --rss $(basename "$t")"
	"$replay" --strategy "$strategy" --no-zero-page --verify --rss "$t"
	check "the replay of $(basename "$t") differs from the recorded VmPTE (exit $?)" $?
done
exit $fail

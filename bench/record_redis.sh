#!/bin/sh
# record_redis.sh: the proof of ptsim-record on a program nobody here wrote.
# Runs Debian's redis-server (linked with jemalloc) under ptsim-record while
# redis-benchmark fills it, FLUSHALL and MEMORY PURGE empty it (jemalloc
# gives the pages back with madvise) and a second benchmark refills part of
# it; then replays the trace under rcu with --verify (the kernel's VmPTE at
# every checkpoint) and under every strategy (tools/record_compare.sh).
# A BGSAVE in the middle forks redis: the child's trace (redis.trace.PID)
# is replayed with --verify too.
# With --overhead it also measures redis-benchmark's requests per second
# with and without the recorder (docs/record.md).
#
#   bench/record_redis.sh BUILD-DIR OUT-DIR [--overhead]
#
# Needs: apt-get install redis-server redis-tools. Not run by ctest.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD-DIR OUT-DIR [--overhead]" >&2
	exit 2
fi
build=$1 out=$2 overhead=${3:-}
record=$build/tools/record/ptsim-record
replay=$build/tools/ptsim-replay
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-6399}
keys=${KEYS:-300000}
mkdir -p "$out"
for cmd in redis-server redis-benchmark redis-cli; do
	command -v $cmd >/dev/null || { echo "record_redis: $cmd not found (apt-get install redis-server redis-tools)"; exit 77; }
done

start_redis() { # [RECORDER-ARGS...]: starts redis-server, under the recorder if given any
	if [ $# -gt 0 ]; then
		"$record" "$@" -- redis-server --port "$port" --save "" --appendonly no \
			--dir "$out" --logfile "$out/redis.log" &
	else
		redis-server --port "$port" --save "" --appendonly no --dir "$out" \
			--logfile "$out/redis.log" &
	fi
	for _ in $(seq 50); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "record_redis: redis-server did not start" >&2
	exit 1
}

stop_redis() {
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
	wait
}

# The workload: fill, empty, purge, refill part. Prints the benchmark lines.
workload() {
	redis-benchmark -p "$port" -q -n "$keys" -r "$keys" -d 1024 -P 16 -t set
	redis-benchmark -p "$port" -q -n "$keys" -r "$keys" -P 16 -t get,lpush,lpop
	redis-cli -p "$port" bgsave >/dev/null
	while redis-cli -p "$port" info persistence | grep -q 'rdb_bgsave_in_progress:1'; do
		sleep 0.1
	done
	rm -f "$out/dump.rdb"
	redis-cli -p "$port" flushall >/dev/null
	sleep 1 # let the frees finish before asking jemalloc to purge
	redis-cli -p "$port" memory purge >/dev/null
	sleep 0.3
	redis-benchmark -p "$port" -q -n $((keys / 4)) -r $((keys / 4)) -d 256 -P 16 -t set,sadd
	sleep 0.3
}

echo "== recording redis-server ($(redis-server --version | cut -d' ' -f3)) into $out/redis.trace"
start_redis -o "$out/redis.trace" -i 100
workload | tr '\r' '\n' | grep 'requests per second' | tee "$out/bench_recorded.txt"
stop_redis
echo "trace: $(wc -l <"$out/redis.trace") lines, $(grep -c ' checkpoint ' "$out/redis.trace") checkpoints"

echo "== replay under rcu with --verify"
"$replay" --strategy rcu --no-zero-page --rss --verify "$out/redis.trace" >"$out/replay_rcu.txt"
rc=$?
tail -3 "$out/replay_rcu.txt"
[ $rc -eq 0 ] && echo "every checkpoint: the replay's VmPTE equals the kernel's" ||
	echo "the replay differs from the kernel (exit $rc)"
for child in "$out"/redis.trace.*; do
	[ -f "$child" ] || continue
	echo "== the BGSAVE child: $(basename "$child"), $(grep -c ' checkpoint ' "$child") checkpoints (its parent's included)"
	"$replay" --strategy rcu --verify "$child" >"$child.replay" || rc=1
	tail -2 "$child.replay"
done

echo "== every strategy"
sh "$here/../tools/record_compare.sh" --series "$out/series.csv" "$replay" "$out/redis.trace" |
	tee "$out/compare.txt"
sh "$here/../tools/record_compare.sh" --csv "$replay" "$out/redis.trace" >"$out/compare.csv"
if command -v gnuplot >/dev/null 2>&1; then
	sh "$here/plot_record.sh" "$out/series.csv" "$out/vmpte.png" \
		"redis-server $(redis-server --version | cut -d' ' -f3 | cut -d= -f2) recorded, replayed under every strategy" &&
		echo "plot: $out/vmpte.png"
fi

if [ "$overhead" = --overhead ]; then
	runs=${RUNS:-5}
	echo "== overhead: the same workload, $runs times each way, alternating"
	: >"$out/overhead.txt"
	for _ in $(seq "$runs"); do
		start_redis
		workload | tr '\r' '\n' | grep 'requests per second' |
			awk -v m=plain '{ print m, NR "-" $1, $2 }' >>"$out/overhead.txt"
		stop_redis
		start_redis -o "$out/overhead.trace" -i 100
		workload | tr '\r' '\n' | grep 'requests per second' |
			awk -v m=recorded '{ print m, NR "-" $1, $2 }' >>"$out/overhead.txt"
		stop_redis
		grep '^# recorder:' "$out/overhead.trace"
	done
	# median requests/s per phase, without and with the recorder
	printf "%-10s %14s %14s %8s\n" phase "plain req/s" "recorded req/s" ratio
	for ph in $(awk '{ print $2 }' "$out/overhead.txt" | sort -u); do
		p=$(awk -v ph="$ph" '$1 == "plain" && $2 == ph { print $3 }' "$out/overhead.txt" |
			sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		r=$(awk -v ph="$ph" '$1 == "recorded" && $2 == ph { print $3 }' "$out/overhead.txt" |
			sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		echo "$ph $p $r" | awk '{ printf "%-10s %14.0f %14.0f %8.3f\n", $1, $2, $3, $3 / $2 }'
	done
fi
exit $rc

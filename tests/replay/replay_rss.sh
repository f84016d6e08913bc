#!/bin/sh
# Runs a trace both in the simulator and on the host with --rss, and
# compares them: VmPTE exactly, RSS within 1 MiB (a real process's RSS moves
# by a few hundred kB on its own: stdio, the loader, stack pages). On a host
# that maps no zero page on read faults the simulator runs with
# --no-zero-page, so that both take a page per read fault.
#
#   replay_rss.sh REPLAY TRACE [SIM-ARGS...]
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 REPLAY TRACE [SIM-ARGS...]" >&2
	exit 2
fi
replay=$1 trace=$2
shift 2
here=$(dirname "$0")
probe=$("$here/host_supported.sh" "$replay") || {
	echo "$probe"
	exit 77
}
case " $probe " in
*" zero_page=yes "*) ;;
*" zero_page=no "*) set -- "$@" --no-zero-page ;;
*)
	echo "SKIP: cannot tell whether read faults map the zero page here: $probe"
	exit 77
	;;
esac

sim=${TMPDIR:-/tmp}/ptsim-replay.$$.sim
host=${TMPDIR:-/tmp}/ptsim-replay.$$.host
trap 'rm -f "$sim" "$host"' EXIT
"$replay" --rss "$@" "$trace" >"$sim" || {
	echo "FAIL: '$replay --rss $* $trace' exited with status $?" >&2
	exit 1
}
"$replay" --rss --host "$trace" >"$host" || {
	echo "FAIL: '$replay --rss --host $trace' exited with status $?" >&2
	exit 1
}
if [ "$(wc -l <"$sim")" -ne "$(wc -l <"$host")" ]; then
	echo "FAIL: the simulator and the host printed different numbers of lines"
	diff -u "$host" "$sim"
	exit 1
fi
# Line by line: same words, same VmPTE figures, RSS within 1024 kB.
paste -d '\n' "$sim" "$host" | awk -v slack=1024 '
function field(line, key,    n, i, kv) {
	n = split(line, kv, " ")
	for (i = 1; i <= n; i++)
		if (index(kv[i], key "=") == 1)
			return substr(kv[i], length(key) + 2)
	return ""
}
NR % 2 == 1 { sim = $0; sim1 = $1; sim2 = $2; next }
{
	ok = $1 == sim1
	if ($1 == "check")
		ok = ok && $2 == sim2 && field(sim, "vmpte_kb") == field($0, "vmpte_kb")
	else
		ok = ok && field(sim, "child_vmpte_kb") == field($0, "child_vmpte_kb")
	d = field(sim, "rss_kb") - field($0, "rss_kb")
	if (!ok || d < -slack || d > slack) {
		printf "mismatch (rss slack %d kB):\n  sim:  %s\n  host: %s\n", slack, sim, $0
		bad = 1
	}
}
END { exit bad }'

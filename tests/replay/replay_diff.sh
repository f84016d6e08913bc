#!/bin/sh
# Runs ptsim-replay on a trace and diffs its output against an expected file.
#
#   replay_diff.sh [--host] REPLAY TRACE EXPECTED [REPLAY-ARGS...]
#
# Prints a unified diff and fails on any difference. With --host the trace
# runs on this machine's kernel: the .expected files were taken on Linux
# 6.18 with CONFIG_PT_RECLAIM=y, so a kernel without it (or without VmPTE)
# cannot reproduce them and the test is skipped (exit 77). On a host that
# maps no zero page on read faults, NAME.nozp.expected replaces
# NAME.expected where the two differ (and the simulator is held to it with
# --no-zero-page); a host whose zero page behaviour cannot be told skips.
set -u

host=
if [ "${1:-}" = --host ]; then
	host=1
	shift
fi
if [ $# -lt 3 ]; then
	echo "usage: $0 [--host] REPLAY TRACE EXPECTED [REPLAY-ARGS...]" >&2
	exit 2
fi
replay=$1 trace=$2 expected=$3
shift 3

here=$(dirname "$0")
if [ -n "$host" ]; then
	probe=$("$here/host_supported.sh" "$replay") || {
		echo "$probe"
		exit 77
	}
	case " $probe " in
	*" zero_page=yes "*) ;;
	*" zero_page=no "*)
		nozp=${expected%.expected}.nozp.expected
		if [ -f "$nozp" ]; then
			echo "this host maps no zero page on read faults: comparing with $nozp"
			expected=$nozp
		fi
		;;
	*)
		echo "SKIP: cannot tell whether read faults map the zero page here: $probe"
		exit 77
		;;
	esac
	set -- --host "$@"
fi

out=${TMPDIR:-/tmp}/ptsim-replay.$$.out
trap 'rm -f "$out"' EXIT
"$replay" "$@" "$trace" >"$out"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: '$replay $* $trace' exited with status $rc" >&2
	exit 1
fi
if ! diff -u "$expected" "$out"; then
	echo "FAIL: output of '$replay $* $trace' differs from $expected" >&2
	exit 1
fi
exit 0

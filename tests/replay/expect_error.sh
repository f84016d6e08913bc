#!/bin/sh
# Runs a command that must fail: checks its exit status and that its stderr
# contains each given text (fixed strings, not patterns).
#
#   expect_error.sh STATUS TEXT... -- COMMAND [ARGS...]
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 STATUS TEXT... -- COMMAND [ARGS...]" >&2
	exit 2
fi
want_status=$1
shift
err=${TMPDIR:-/tmp}/ptsim-replay.$$.err
texts=${TMPDIR:-/tmp}/ptsim-replay.$$.texts
trap 'rm -f "$err" "$texts"' EXIT
: >"$texts"
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	printf '%s\n' "$1" >>"$texts"
	shift
done
if [ $# -lt 2 ]; then
	echo "usage: $0 STATUS TEXT... -- COMMAND [ARGS...]" >&2
	exit 2
fi
shift

"$@" </dev/null >/dev/null 2>"$err"
status=$?
fail=0
if [ "$status" -ne "$want_status" ]; then
	echo "FAIL: '$*' exited with status $status, expected $want_status"
	fail=1
fi
while IFS= read -r text; do
	if ! grep -qF -- "$text" "$err"; then
		echo "FAIL: stderr lacks '$text'"
		fail=1
	fi
done <"$texts"
if [ $fail -ne 0 ]; then
	echo "--- stderr was:"
	cat "$err"
fi
exit $fail

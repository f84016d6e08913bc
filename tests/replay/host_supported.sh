#!/bin/sh
# host_supported.sh REPLAY: exits 0 when this machine's kernel can reproduce
# the .expected files (VmPTE in /proc, and MADV_DONTNEED frees an empty PTE
# table as CONFIG_PT_RECLAIM=y kernels do), else 1 after saying why on
# stdout. What the kernel does is found by trying (ptsim-replay --probe),
# not read from its version or configuration: hosts of one version differ.
# On success it prints the probe line, for the caller to read further.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 REPLAY" >&2
	exit 2
fi
probe=$("$1" --probe) || {
	echo "SKIP: '$1 --probe' failed"
	exit 1
}
case " $probe " in
*" vmpte=yes "*) ;;
*)
	echo "SKIP: /proc/self/status has no VmPTE (not Linux, or /proc not mounted): $probe"
	exit 1
	;;
esac
case " $probe " in
*" pt_reclaim=yes "*) ;;
*)
	echo "SKIP: MADV_DONTNEED does not free empty PTE tables here (no CONFIG_PT_RECLAIM=y); the .expected files need it: $probe"
	exit 1
	;;
esac
echo "$probe"
exit 0

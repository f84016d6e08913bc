#!/bin/sh
# Exits 0 when this machine's kernel can reproduce the .expected files
# (Linux with VmPTE in /proc and CONFIG_PT_RECLAIM=y), else 1 after saying
# why on stdout.
set -u

if ! grep -q '^VmPTE:' /proc/self/status 2>/dev/null; then
	echo "SKIP: /proc/self/status has no VmPTE (not Linux, or /proc not mounted)"
	exit 1
fi
if [ ! -r /proc/config.gz ]; then
	echo "SKIP: /proc/config.gz is absent: cannot tell whether CONFIG_PT_RECLAIM=y"
	exit 1
fi
if ! command -v gzip >/dev/null 2>&1; then
	echo "SKIP: gzip is not installed: cannot read /proc/config.gz"
	exit 1
fi
if ! gzip -dc /proc/config.gz | grep -qx 'CONFIG_PT_RECLAIM=y'; then
	echo "SKIP: this kernel lacks CONFIG_PT_RECLAIM=y; the .expected files need it"
	exit 1
fi
exit 0

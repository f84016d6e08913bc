// SPDX-License-Identifier: MIT
/*
 * A shared library with libptsim.a inside it (a plugin, a language binding
 * built from the archive), loaded by test_dlopen_static.c with dlopen().
 */
#include "workload.h"

__attribute__((visibility("default"))) int link_plugin_run(char *msg, size_t msglen)
{
	return link_workload(PTSIM_STRATEGY_RCU, msg, msglen);
}

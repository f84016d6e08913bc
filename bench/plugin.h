/* SPDX-License-Identifier: MIT */
/*
 * Strategy plugins for the benchmarks (`--plugin FILE.so`, repeatable):
 * each file is dlopen()ed and its PTSIM_STRATEGY_PLUGIN_INIT run before the
 * other options are read, so its strategies can be named in --strategies
 * and are part of "all". docs/strategy-api.md.
 */
#ifndef PTSIM_BENCH_PLUGIN_H
#define PTSIM_BENCH_PLUGIN_H

#include <ptsim/strategy.h>

/* Strategy ids a benchmark may select: the built-in ones and every registered one. */
#define BENCH_MAX_STRATEGIES (PTSIM_STRATEGY_COUNT + PTSIM_STRATEGY_MAX)

/* Loads one plugin: strategies it registered, or exits with status 2. */
int bench_load_plugin(const char *prog, const char *path);
/* Loads every `--plugin FILE` / `--plugin=FILE` in argv, before getopt sees them. */
void bench_load_plugins(const char *prog, int argc, char **argv);

#endif

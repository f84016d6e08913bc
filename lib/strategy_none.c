// SPDX-License-Identifier: MIT
/*
 * none: the era-6.18 baseline, Linux 6.18 without CONFIG_PT_RECLAIM (and
 * every kernel up to 6.13). PTE tables are never freed while the mapping
 * lives; only munmap and exit (free_pgtables) take them. Every hook is the
 * default.
 */
#include "strategy.h"

const struct pt_strategy strategy_none = {
        .name = "none",
        .id = PTSIM_STRATEGY_NONE,
        .era = &era_6_18,
        .cow_pte = true,
};

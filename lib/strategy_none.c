// SPDX-License-Identifier: MIT
/*
 * none: Linux up to 6.13. PTE tables are never freed while the mapping
 * lives; only munmap and exit (free_pgtables) take them, under the mmap
 * lock held for write. Every hook is the default.
 */
#include "strategy.h"

const struct pt_strategy strategy_none = {
        .name = "none",
        .id = PTSIM_STRATEGY_NONE,
};

// SPDX-License-Identifier: MIT
/*
 * none-5.x: the baseline of era 5.x, the kernels (5.15-5.19) the 2021 and
 * 2022 series were written against. PTE tables go only with munmap and exit;
 * the difference from `none` is the era's locking (era.h): faults and
 * madvise under the mmap read lock, no per-VMA locks, no RCU around
 * pte_offset_map_lock().
 */
#include "strategy.h"

const struct pt_strategy strategy_none_5x = {
        .name = "none-5.x",
        .id = PTSIM_STRATEGY_NONE_5X,
        .era = &era_5_x,
        .cow_pte = true,
};

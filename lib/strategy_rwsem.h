/* SPDX-License-Identifier: MIT */
/* The rwsem strategy's lock, for tests that watch it (tests/stress/mutant_rwsem.c). */
#ifndef PTSIM_STRATEGY_RWSEM_H
#define PTSIM_STRATEGY_RWSEM_H

#include "lock.h"

struct ptsim_mm;

/* The page-table rwsem of an mm of the rwsem strategy. */
struct rwsem *rwsem_strategy_sem(struct ptsim_mm *mm);

#endif

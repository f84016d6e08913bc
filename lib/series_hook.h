/* SPDX-License-Identifier: MIT */
/*
 * Test-only pause points inside the 2021/2022 series' strategies (atomic,
 * percpu, bitfield), so that tests/stress/mutant_series.c can open each
 * race window its mutant leaves unguarded in every run instead of by
 * chance. NULL (the default) costs one predictable branch. Not part of the
 * public API: the test links libptsim statically and sets it directly.
 */
#ifndef PTSIM_SERIES_HOOK_H
#define PTSIM_SERIES_HOOK_H

#include "internal.h"

struct ptsim_mm;

enum series_hook_point {
	/* atomic: a visitor has its table (tryget done, in its RCU section),
	 * before the PTL. */
	SERIES_HOOK_VISITOR_GOT = 1,
	/* percpu: a getter saw percpu mode, before it adds to its counter. */
	SERIES_HOOK_PCPU_SAW_PERCPU,
	/* percpu: the switch to atomic mode set the mode; arg 1: it will now
	 * wait for a grace period, 0: it folds at once (the mutant). */
	SERIES_HOOK_PCPU_SWITCH,
	/* bitfield: track_pte_set() under the PTL, before the counter moves. */
	SERIES_HOOK_BF_PTES_SET,
	/* bitfield reclaimer: about to take the mmap lock for one PMD; arg 1:
	 * for write, 0: for read (the mutant). */
	SERIES_HOOK_BF_PMD_LOCKING,
	/* bitfield reclaimer: cleared a PMD (and flushed), PMD lock dropped,
	 * the table not yet freed. */
	SERIES_HOOK_BF_UNLINKED,
};

extern void (*series_test_hook)(int point, struct ptsim_mm *mm, uintptr_t arg);

static inline void series_hook(int point, struct ptsim_mm *mm, uintptr_t arg)
{
	void (*fn)(int, struct ptsim_mm *, uintptr_t) =
	        __atomic_load_n(&series_test_hook, __ATOMIC_ACQUIRE);

	if (unlikely(fn))
		fn(point, mm, arg);
}

#endif

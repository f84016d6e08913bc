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
	/* A visitor has its table (tryget done), before the PTL. */
	SERIES_HOOK_VISITOR_GOT = 1,
	/* percpu: a getter saw percpu mode, before it adds to its slot. */
	SERIES_HOOK_PCPU_SAW_PERCPU,
	/* bitfield reclaimer: about to take the mmap lock for one PMD;
	 * arg is 1 for the write lock, 0 for the read lock. */
	SERIES_HOOK_BF_PMD_LOCKING,
	/* bitfield reclaimer: freed one table. */
	SERIES_HOOK_BF_FREED,
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

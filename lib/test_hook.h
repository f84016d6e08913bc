/* SPDX-License-Identifier: MIT */
/*
 * Test hooks: named points in the shared paths where a test may run code of
 * its own, to open a race window deterministically (make another thread act
 * between two steps) instead of waiting for the scheduler to do it. Only in
 * checked builds (PTSIM_CHECKED); elsewhere they compile to nothing. The
 * hook runs on the thread at the point, with that point's locks held.
 */
#ifndef PTSIM_TEST_HOOK_H
#define PTSIM_TEST_HOOK_H

#include "internal.h"

struct ptsim_mm;

enum test_hook_point {
	/* pte_offset_map_lock(): the PMD was read, the PTL not yet taken; no
	 * lock of the table held (the RCU read section is, in era 6.18 and
	 * on a COW link in era 5.x). */
	TEST_HOOK_PTE_MAP_SNAPSHOT,
	/* zap_pte_range(): the PTL was dropped mid-table (the gather batch
	 * filled) and the zap will take it again for the rest. */
	TEST_HOOK_ZAP_PTL_DROPPED,
	/* flush_tlb_range(): about to wait for a thread inside an irqs-off
	 * section (addr: 0). */
	TEST_HOOK_TLB_IRQS_OFF_WAIT,
	/* A strategy is about to take the lock that excludes walkers before
	 * it frees tables (rwsem: the page-table rwsem for write); no lock of
	 * the tables held. */
	TEST_HOOK_PT_FREE_LOCK,
	TEST_HOOK_COUNT,
};

typedef void (*test_hook_fn)(enum test_hook_point point, struct ptsim_mm *mm, uint64_t addr,
                             void *arg);

#ifdef PTSIM_CHECKED
struct test_hook {
	test_hook_fn fn;
	void *arg;
};
extern struct test_hook test_hooks[TEST_HOOK_COUNT];

/* Install (fn) or remove (NULL) the hook at point; not while it may run. */
void test_hook_set(enum test_hook_point point, test_hook_fn fn, void *arg);

static inline void test_hook(enum test_hook_point point, struct ptsim_mm *mm, uint64_t addr)
{
	test_hook_fn fn = __atomic_load_n(&test_hooks[point].fn, __ATOMIC_ACQUIRE);

	if (unlikely(fn))
		fn(point, mm, addr, test_hooks[point].arg);
}
#else
static inline void test_hook(enum test_hook_point point, struct ptsim_mm *mm, uint64_t addr)
{
	(void)point;
	(void)mm;
	(void)addr;
}
#endif

#endif

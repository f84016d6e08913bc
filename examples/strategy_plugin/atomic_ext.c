// SPDX-License-Identifier: MIT
/*
 * atomic-ext: the 2021 pte_refcount series (era 5.x) written against the
 * public strategy API only, the way libptsim's built-in `atomic` models it.
 * It shows the visitor hooks: every non-none entry and every visitor holds
 * a reference on the table (its private word); the last put frees it.
 *
 *  - pte_tryget: inc-not-zero inside the walker's RCU section; a linked
 *    table at 0 (new, or emptied and not yet freed) is revived under the
 *    PMD lock, unless it was unlinked meanwhile (then: "no table here");
 *  - ptes_set: the new entries' references, under the PTL;
 *  - ptes_cleared: remembered per thread and dropped with the zapper's
 *    own reference in one atomic sub at pte_put (pte_put_many());
 *  - pte_put: the last reference frees the table: PMD lock, re-check that
 *    the PMD still maps it and that nobody revived it, clear, flush the
 *    TLB (still under the PMD lock), free by RCU.
 */
#include <ptsim/strategy.h>

#include <stdio.h>

#include "plugin.h"

static _Thread_local struct {
	struct ptsim_pt *pt;
	uint64_t n;
} zap_pending;

/* pte_ref_init() seen from the visitor, under the PMD lock. */
static int pte_revive(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	int ok;

	ptsim_pmd_lock(mm, pt);
	ok = ptsim_pmd_maps(mm, pt);
	if (ok) {
		__atomic_add_fetch(ptsim_pt_private(pt), 1, __ATOMIC_ACQUIRE);
		ptsim_count_atomics(mm, 1);
	}
	ptsim_pmd_unlock(mm, pt);
	return ok;
}

/* pte_try_get() */
static int atomic_ext_tryget(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	uint64_t *ref = ptsim_pt_private(pt);
	uint64_t c = __atomic_load_n(ref, __ATOMIC_RELAXED), rmw = 0;

	while (c) {
		rmw++;
		if (__atomic_compare_exchange_n(ref, &c, c + 1, 0, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED)) {
			ptsim_count_atomics(mm, rmw);
			return 1;
		}
	}
	if (rmw)
		ptsim_count_atomics(mm, rmw);
	return pte_revive(mm, pt);
}

/* free_pte_table(): nobody revived it and the PMD still maps it. */
static void free_if_dead(struct ptsim_mm *mm, struct ptsim_pt *pt, int zap)
{
	int unlinked = 0;

	ptsim_pmd_lock(mm, pt);
	if (__atomic_load_n(ptsim_pt_private(pt), __ATOMIC_ACQUIRE) == 0)
		unlinked = ptsim_pmd_clear(mm, pt) == 0;
	if (unlinked)
		ptsim_pt_flush_tlb(mm, pt); /* under the PMD lock, as the series did */
	ptsim_pmd_unlock(mm, pt);
	if (unlinked)
		ptsim_pt_free(mm, pt, zap ? PTSIM_PT_FREED_ZAP : PTSIM_PT_FREED_WALKER);
}

/* pte_put_many() */
static void atomic_ext_put(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	uint64_t n = 1;
	int zap = 0;

	if (zap_pending.pt == pt) {
		n += zap_pending.n;
		zap_pending.pt = NULL;
		zap_pending.n = 0;
		zap = 1;
	}
	/* Someone else may free pt once our reference is gone: keep it valid. */
	ptsim_strategy_rcu_read_lock();
	ptsim_count_atomics(mm, 1);
	if (__atomic_sub_fetch(ptsim_pt_private(pt), n, __ATOMIC_ACQ_REL) == 0)
		free_if_dead(mm, pt, zap);
	ptsim_strategy_rcu_read_unlock();
}

/* pte_get_many(), under the PTL, by a visitor holding a reference. */
static void atomic_ext_ptes_set(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned n,
                                unsigned nzero)
{
	(void)nzero;
	__atomic_add_fetch(ptsim_pt_private(pt), n, __ATOMIC_RELAXED);
	ptsim_count_atomics(mm, 1);
}

static void atomic_ext_ptes_cleared(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned n,
                                    unsigned nzero)
{
	(void)nzero;
	if (zap_pending.pt && zap_pending.pt != pt) {
		/* Not expected (every clear is followed by its table's put); our
		 * visitor reference still protects the other table. */
		__atomic_sub_fetch(ptsim_pt_private(zap_pending.pt), zap_pending.n,
		                   __ATOMIC_RELEASE);
		ptsim_count_atomics(mm, 1);
		zap_pending.n = 0;
	}
	zap_pending.pt = pt;
	zap_pending.n += n;
}

static int atomic_ext_check(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned nonnone,
                            unsigned nzero, char *msg, size_t len)
{
	uint64_t c = __atomic_load_n(ptsim_pt_private(pt), __ATOMIC_RELAXED);

	(void)mm;
	(void)nzero;
	if (c == nonnone)
		return 0;
	snprintf(msg, len, "atomic-ext: pte_refcount %llu but %u non-none entries",
	         (unsigned long long)c, nonnone);
	return 1;
}

const struct ptsim_strategy_ops atomic_ext_ops = {
        .api_version = PTSIM_STRATEGY_API_VERSION,
        .size = sizeof(struct ptsim_strategy_ops),
        .name = "atomic-ext",
        .era = "5.x",
        .ptes_set = atomic_ext_ptes_set,
        .ptes_cleared = atomic_ext_ptes_cleared,
        .pte_tryget = atomic_ext_tryget,
        .pte_put = atomic_ext_put,
        .check_table = atomic_ext_check,
};

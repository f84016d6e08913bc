// SPDX-License-Identifier: MIT
/*
 * atomic: the 2021 pte_refcount series (v1-v3, Documentation/vm/pte_ref.rst).
 * Every PTE table carries an atomic reference count (ptdesc.pt_ref) held by
 * every non-none entry and by every visitor (pte_offset_map_lock() user).
 * Visitors take their reference with inc-not-zero inside the RCU read
 * section (pte_try_get()); whoever drops the last reference frees the table
 * on whatever path it is on (pte_put()): PMD lock, re-check that the PMD
 * still maps the table and that nobody revived it, clear the PMD, then
 * unaccount and free after an RCU grace period (pt_unlinked_free()).
 *
 * A new table: __pt_alloc() links it with count 0 (no entries, no
 * visitors). The series gives the installer its reference when it populates
 * the PMD; the shared allocator here does not tell its caller whether it
 * installed, so instead a visitor that finds a zero count on a table that
 * is still linked "revives" it under the PMD lock (pte_revive()). The
 * freer checks the count under the same PMD lock before clearing the PMD,
 * so a revived table is never freed, and a table the freer cleared can no
 * longer be revived (its PMD no longer points at it). A visitor that loses
 * that race sees "no table" and the fault path allocates a new one.
 *
 * Zap: zap_pte_range() clears entries under the PTL while holding its own
 * visitor reference, so the count cannot reach zero there; like the
 * series' pte_put_many() after the PTL is dropped, the entries' references
 * are dropped together with the zapper's own reference in one atomic sub
 * (this thread remembers them between ptes_cleared() and pte_put()).
 *
 * Every atomic RMW on a count is counted in refcount_atomics: a fault costs
 * three (try_get, the new entry's get, put), the "two atomics on every PTE
 * map" Jason Gunthorpe objected to, plus the put.
 */
#include "strategy.h"

#include <stdio.h>

#include "pgalloc.h"

/* References of entries this thread cleared under the PTL, dropped at pte_put(). */
static _Thread_local struct {
	struct ptdesc *pte;
	uint64_t n;
} zap_pending;

static inline void count_rmw(struct ptsim_mm *mm, uint64_t n)
{
	stat_inc(&mm_ts(mm)->refcount_atomics, n);
}

static inline bool pmd_maps(pte_t pmdval, const struct ptdesc *pte)
{
	return !pte_none(pmdval) && entry_table(pmdval) == ptdesc_table(pte);
}

/* pte_ref_init() seen from the visitor: a linked table at count 0 gets our
 * reference under the PMD lock, unless it was unlinked meanwhile. */
static bool pte_revive(struct ptsim_mm *mm, struct ptdesc *pte)
{
	struct ptsim_lock_stats *st;
	pte_t *pmdp = pte->parent;
	spinlock_t *pml = pmd_lockptr(mm, pmdp, &st);
	bool ok = false;

	spin_lock(pml, st);
	if (pmd_maps(pt_entry_read(pmdp), pte)) {
		__atomic_add_fetch(&pte->pt_ref, 1, __ATOMIC_ACQUIRE);
		count_rmw(mm, 1);
		ok = true;
	}
	spin_unlock(pml);
	return ok;
}

/* pte_try_get(): inside the RCU read section; inc-not-zero. */
static bool atomic_pte_tryget(struct ptsim_mm *mm, struct ptdesc *pte)
{
	uint64_t c = __atomic_load_n(&pte->pt_ref, __ATOMIC_RELAXED);
	uint64_t rmw = 0;

	while (c) {
		rmw++;
		if (__atomic_compare_exchange_n(&pte->pt_ref, &c, c + 1, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED)) {
			count_rmw(mm, rmw);
			return true;
		}
	}
	if (rmw)
		count_rmw(mm, rmw);
	return pte_revive(mm, pte);
}

/* The last reference is gone and nobody revived the table (v3 13/15). */
static bool atomic_dead(struct ptdesc *pte)
{
	return __atomic_load_n(&pte->pt_ref, __ATOMIC_ACQUIRE) == 0;
}

/* pte_put_many(): drop n references; the last one frees the table. */
static void pte_put_many(struct ptsim_mm *mm, struct ptdesc *pte, uint64_t n, bool zap)
{
	uint64_t c;

	ptsim_rcu_read_lock();
	c = __atomic_sub_fetch(&pte->pt_ref, n, __ATOMIC_ACQ_REL);
	count_rmw(mm, 1);
	if (c == 0)
		pte_table_free_if_dead(mm, pte, atomic_dead, zap);
	ptsim_rcu_read_unlock();
}

static void atomic_pte_put(struct ptsim_mm *mm, struct ptdesc *pte)
{
	uint64_t n = 1;
	bool zap = false;

	if (zap_pending.pte == pte) {
		n += zap_pending.n;
		zap_pending.pte = NULL;
		zap_pending.n = 0;
		zap = true;
	}
	pte_put_many(mm, pte, n, zap);
}

/* pte_get_many(): under the PTL, by a visitor holding a reference. */
static void atomic_ptes_set(struct ptdesc *pte, unsigned n, unsigned nzero)
{
	(void)nzero;
	__atomic_add_fetch(&pte->pt_ref, n, __ATOMIC_RELAXED);
	count_rmw(pte->mm, 1);
}

/* zap_pte_range(): remember the cleared entries' references for the put. */
static void atomic_ptes_cleared(struct ptdesc *pte, unsigned n, unsigned nzero)
{
	(void)nzero;
	if (zap_pending.pte && zap_pending.pte != pte) {
		/* Not expected: every clear is followed by the put of its table.
		 * The visitor's reference still protects the table. */
		__atomic_sub_fetch(&zap_pending.pte->pt_ref, zap_pending.n, __ATOMIC_RELEASE);
		count_rmw(zap_pending.pte->mm, 1);
		zap_pending.n = 0;
	}
	zap_pending.pte = pte;
	zap_pending.n += n;
}

static int atomic_check_pte_table(struct ptdesc *pte, unsigned nonnone, unsigned nzero, char *msg,
                                  size_t len)
{
	uint64_t c = __atomic_load_n(&pte->pt_ref, __ATOMIC_RELAXED);

	(void)nzero;
	if (c == nonnone)
		return 0;
	snprintf(msg, len, "atomic: PTE table %p pte_refcount %llu but %u non-none entries",
	         (void *)ptdesc_table(pte), (unsigned long long)c, nonnone);
	return -1;
}

const struct pt_strategy strategy_atomic = {
        .name = "atomic",
        .id = PTSIM_STRATEGY_ATOMIC,
        .era = &era_5_x,
        .ptes_set = atomic_ptes_set,
        .ptes_cleared = atomic_ptes_cleared,
        .pte_tryget = atomic_pte_tryget,
        .pte_put = atomic_pte_put,
        .check_pte_table = atomic_check_pte_table,
};

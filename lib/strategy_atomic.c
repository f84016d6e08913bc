// SPDX-License-Identifier: MIT
/*
 * atomic: the 2021 pte_refcount series, v3 ("[PATCH v3 00/15]",
 * Documentation/vm/pte_ref.rst). Every PTE table carries an atomic
 * reference count (ptdesc.pt_ref) held by every non-none entry and by every
 * visitor (pte_offset_map_lock() user). Era 5.x.
 *
 * Life of a table, as v3:
 *  - pmd_install() links it with count 1: the installer's reference
 *    (pte_ref_init(table, pmd, 1)), which becomes the installer's visitor
 *    reference for its very next map of that PMD (this thread remembers it
 *    until then; both callers, the fault and fork, map the PMD they just
 *    populated at once).
 *  - Other visitors take theirs with inc-not-zero inside the RCU read
 *    section (pte_try_get()). Zero is final: a table whose count reached
 *    zero is being freed, tryget fails, and the visitor waits on the PMD
 *    lock for the freer to clear the PMD, then behaves as if the PMD were
 *    none (the fault path allocates a new table). Nothing ever raises a
 *    zero count again, so the freer needs no re-check of the count.
 *  - Whoever drops the last reference frees the table (pte_put()): PMD
 *    lock, check that the PMD still maps the table, clear it, flush the TLB
 *    for the range, unlock, free after an RCU grace period (v3 13/15).
 *  So a table's life takes the PMD lock twice, install and free (the
 *    count of pmd_lock acquisitions shows it; an earlier model that revived
 *    zero counts took it three times).
 *
 * Zap: zap_pte_range() clears entries under the PTL while holding its own
 * visitor reference, so the count cannot reach zero there; as v3 09/15's
 * pte_put_many() after the PTL is dropped, the entries' references go with
 * the zapper's own in one atomic sub (this thread remembers them between
 * ptes_cleared() and pte_put()).
 *
 * Every atomic RMW on a count is counted in refcount_atomics: a fault on an
 * existing table costs three (try_get, the new entry's get, put), the "two
 * atomics on every PTE map" Jason Gunthorpe objected to, plus the put.
 *
 * Mutant PTSIM_MUTANT_ATOMIC_NO_TRYGET: visitors (the installer included)
 * take no reference and drop none, so the count is only the entries; a
 * table can then be freed while a visitor is between its PMD read and its
 * PTL.
 */
#include "strategy.h"

#include <stdio.h>

#include "pgalloc.h"
#include "series_hook.h"

/* This thread's bookkeeping between hooks of one visit. */
static _Thread_local struct {
	struct ptdesc *zap_pte; /* entries cleared under the PTL, dropped at pte_put() */
	uint64_t zap_n;
	struct ptdesc *installed; /* pmd_install()'s reference, not yet used by a visit */
} me;

static inline void count_rmw(struct ptsim_mm *mm, uint64_t n)
{
	stat_inc(&mm_ts(mm)->refcount_atomics, n);
}

static inline bool no_tryget(struct ptsim_mm *mm)
{
	return READ_ONCE(mm->mutant) == PTSIM_MUTANT_ATOMIC_NO_TRYGET;
}

/* Zero is final: nobody raises it again. */
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

/* pmd_install() + pte_ref_init(table, pmd, 1): PMD lock held. */
static void atomic_pmd_install(struct ptsim_mm *mm, struct ptdesc *pte)
{
	if (no_tryget(mm))
		return;
	/* Plain store: the PMD's release store publishes it. */
	__atomic_store_n(&pte->pt_ref, 1, __ATOMIC_RELAXED);
	if (me.installed) /* not expected: an install with no visit after it */
		pte_put_many(mm, me.installed, 1, false);
	me.installed = pte;
}

/* A zero count seen by a visitor: the freer holds or wants the PMD lock;
 * wait for it there, so that the caller's retry finds the PMD cleared
 * instead of spinning on the dying table. */
static void wait_for_freer(struct ptsim_mm *mm, struct ptdesc *pte)
{
	struct ptsim_lock_stats *st;
	spinlock_t *pml = pmd_lockptr(mm, pte->parent, &st);

	spin_lock(pml, st);
	spin_unlock(pml);
}

/* pte_try_get(): inside the RCU read section; inc-not-zero. */
static bool atomic_pte_tryget(struct ptsim_mm *mm, struct ptdesc *pte)
{
	uint64_t c, rmw = 0;

	if (no_tryget(mm)) {
		series_hook(SERIES_HOOK_VISITOR_GOT, mm, (uintptr_t)pte);
		return true;
	}
	if (me.installed == pte) {
		me.installed = NULL; /* the installer's reference is ours */
		series_hook(SERIES_HOOK_VISITOR_GOT, mm, (uintptr_t)pte);
		return true;
	}
	c = __atomic_load_n(&pte->pt_ref, __ATOMIC_RELAXED);
	while (c) {
		rmw++;
		if (__atomic_compare_exchange_n(&pte->pt_ref, &c, c + 1, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED)) {
			count_rmw(mm, rmw);
			series_hook(SERIES_HOOK_VISITOR_GOT, mm, (uintptr_t)pte);
			return true;
		}
	}
	if (rmw)
		count_rmw(mm, rmw);
	wait_for_freer(mm, pte);
	return false;
}

static void atomic_pte_put(struct ptsim_mm *mm, struct ptdesc *pte)
{
	uint64_t n = no_tryget(mm) ? 0 : 1;
	bool zap = false;

	if (me.zap_pte == pte) {
		n += me.zap_n;
		me.zap_pte = NULL;
		me.zap_n = 0;
		zap = true;
	}
	if (n)
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
	if (me.zap_pte && me.zap_pte != pte) {
		/* Not expected: every clear is followed by the put of its table.
		 * The visitor's reference still protects the table. */
		__atomic_sub_fetch(&me.zap_pte->pt_ref, me.zap_n, __ATOMIC_RELEASE);
		count_rmw(me.zap_pte->mm, 1);
		me.zap_n = 0;
	}
	me.zap_pte = pte;
	me.zap_n += n;
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
        .mutants = 1u << PTSIM_MUTANT_ATOMIC_NO_TRYGET,
        .pmd_install = atomic_pmd_install,
        .ptes_set = atomic_ptes_set,
        .ptes_cleared = atomic_ptes_cleared,
        .pte_tryget = atomic_pte_tryget,
        .pte_put = atomic_pte_put,
        .check_pte_table = atomic_check_pte_table,
};

// SPDX-License-Identifier: MIT
/*
 * rcu: upstream PT_RECLAIM (Linux 6.14+, mm/pt_reclaim.c). MADV_DONTNEED
 * that zapped a whole PTE table, keeping no entry, unlinks it: the fast
 * path clears the PMD while still holding the PTL (trylock of the PMD lock,
 * against the canonical PMD -> PTE order), the slow path takes the PMD lock
 * then the PTL and rescans all 512 entries. The table is freed after an RCU
 * grace period; walkers map tables inside an RCU read section and re-check
 * the PMD after taking the PTL.
 */
#include "strategy.h"

#include "pgalloc.h"

/* reclaim_pt_is_enabled(): only a DONTNEED covering the whole table. */
static bool reclaim_pt_is_enabled(const struct zap_pte_state *z)
{
	return z->reclaim_pt && !z->any_skipped && z->end - z->start >= PMD_SIZE;
}

/*
 * try_get_and_clear_pmd(): the PTL is held and was held for the whole
 * table. The mutant PTSIM_MUTANT_RCU_FEB2025 is the fast path as first
 * merged (6.14-rc, fixed 2025-02-11): taken even when the gather batch made
 * the zap drop the PTL mid-table, so entries refilled meanwhile in the part
 * already zapped are freed with the table.
 */
static void rcu_zap_pte_locked(struct zap_pte_state *z)
{
	struct ptsim_lock_stats *st;
	spinlock_t *pml;

	if (!reclaim_pt_is_enabled(z))
		return;
	if (!z->ptl_held_throughout && READ_ONCE(z->mm->mutant) != PTSIM_MUTANT_RCU_FEB2025)
		return;
	pml = pmd_lockptr(z->mm, z->pmdp, &st);
	if (!spin_trylock(pml))
		return; /* the slow path will take the locks in order */
	stat_inc(&st->acquisitions, 1);
	z->pmdval = pt_entry_read(z->pmdp);
	set_pte(z->pmdp, 0);
	spin_unlock(pml);
	z->detached = true;
}

/* free_pte(): unaccount and hand the table to the RCU-deferred free. */
static void free_pte(struct ptsim_mm *mm, struct ptdesc *pte)
{
	stat_inc(&mm_ts(mm)->freed_zap, 1);
	pt_unlinked_free(mm, pte);
}

/* try_to_free_pte(): PMD lock, then the PTL nested; rescan; clear the PMD. */
static void try_to_free_pte(struct ptsim_mm *mm, pte_t *pmdp)
{
	struct ptsim_lock_stats *st;
	spinlock_t *pml = pmd_lockptr(mm, pmdp, &st);
	struct ptdesc *pte = NULL;
	pte_t pmdval;

	spin_lock(pml, st);
	pmdval = pt_entry_read(pmdp);
	if (!pte_none(pmdval)) {
		struct ptdesc *d = ptdesc_of(entry_table(pmdval));

		/* Every unlinker holds the PMD lock, so the table can't go now. */
		spin_lock(&d->ptl, &mm_ts(mm)->ptl);
		if (pt_table_empty(entry_table(pmdval))) {
			set_pte(pmdp, 0);
			pte = d;
		}
		spin_unlock(&d->ptl);
	}
	spin_unlock(pml);
	if (pte)
		free_pte(mm, pte);
}

static void rcu_zap_pte_done(struct zap_pte_state *z)
{
	if (!reclaim_pt_is_enabled(z))
		return;
	if (z->detached)
		free_pte(z->mm, z->pte);
	else
		try_to_free_pte(z->mm, z->pmdp);
}

const struct pt_strategy strategy_rcu = {
        .name = "rcu",
        .id = PTSIM_STRATEGY_RCU,
        .era = &era_6_18,
        .cow_pte = true,
        .mutants = 1u << PTSIM_MUTANT_RCU_NO_PMD_RECHECK | 1u << PTSIM_MUTANT_RCU_FEB2025,
        .zap_pte_locked = rcu_zap_pte_locked,
        .zap_pte_done = rcu_zap_pte_done,
};

// SPDX-License-Identifier: MIT
/*
 * rcu-ext: upstream PT_RECLAIM (Linux 6.14+, mm/pt_reclaim.c) written
 * against the public strategy API only, as a researcher's scheme would be.
 * It must behave exactly as the built-in `rcu`: an MADV_DONTNEED that
 * zapped a whole PTE table and kept no entry unlinks the table, and the
 * table is freed after an RCU grace period.
 *
 *  - fast path (zap_locked, PTL held for the whole table): trylock the PMD
 *    lock (PMD -> PTE is the lock order, so only a trylock is allowed here)
 *    and clear the PMD entry;
 *  - slow path (zap_done, no lock held): PMD lock, then the PTL nested,
 *    rescan the table, clear the PMD entry if it is still empty.
 */
#include <ptsim/strategy.h>

#include "plugin.h"

/* reclaim_pt_is_enabled(): only a DONTNEED covering the whole table. */
static int reclaim_pt_is_enabled(const struct ptsim_zap *z)
{
	unsigned f = ptsim_zap_flags(z);

	return (f & PTSIM_ZAP_RECLAIM) && (f & PTSIM_ZAP_WHOLE) && !(f & PTSIM_ZAP_SKIPPED);
}

/* try_get_and_clear_pmd() */
static void rcu_ext_zap_locked(struct ptsim_zap *z)
{
	struct ptsim_mm *mm = ptsim_zap_mm(z);
	struct ptsim_pt *pt = ptsim_zap_pt(z);

	if (!reclaim_pt_is_enabled(z) || !ptsim_pmd_trylock(mm, pt))
		return;
	if (ptsim_pmd_clear(mm, pt) == 0)
		ptsim_zap_set_detached(z);
	ptsim_pmd_unlock(mm, pt);
}

/* try_to_free_pte(): the table may have changed since the PTL was dropped. */
static void try_to_free_pte(struct ptsim_zap *z)
{
	struct ptsim_mm *mm = ptsim_zap_mm(z);
	struct ptsim_pt *pt = ptsim_zap_pmd_lock(z);
	unsigned nonnone;
	int unlinked = 0;

	if (pt) {
		/* Every unlinker holds the PMD lock, so pt cannot go meanwhile. */
		ptsim_pt_lock(mm, pt);
		ptsim_pt_count(pt, &nonnone, NULL);
		if (nonnone == 0)
			unlinked = ptsim_pmd_clear(mm, pt) == 0;
		ptsim_pt_unlock(mm, pt);
	}
	ptsim_zap_pmd_unlock(z);
	if (unlinked)
		ptsim_pt_free(mm, pt, PTSIM_PT_FREED_ZAP);
}

static void rcu_ext_zap_done(struct ptsim_zap *z)
{
	if (!reclaim_pt_is_enabled(z))
		return;
	if (ptsim_zap_flags(z) & PTSIM_ZAP_DETACHED)
		ptsim_pt_free(ptsim_zap_mm(z), ptsim_zap_pt(z), PTSIM_PT_FREED_ZAP);
	else
		try_to_free_pte(z);
}

const struct ptsim_strategy_ops rcu_ext_ops = {
        .api_version = PTSIM_STRATEGY_API_VERSION,
        .size = sizeof(struct ptsim_strategy_ops),
        .name = "rcu-ext",
        .era = "6.18",
        .zap_locked = rcu_ext_zap_locked,
        .zap_done = rcu_ext_zap_done,
};

/* SPDX-License-Identifier: MIT */
/* Finding, allocating, mapping and freeing tables level by level. */
#ifndef PTSIM_PGALLOC_H
#define PTSIM_PGALLOC_H

#include "mm.h"

/* pmd_lockptr() / pud_lockptr(): the lock that guards entries of `table`. */
static inline spinlock_t *pt_entry_lockptr(struct ptsim_mm *mm, pte_t *table, int level,
                                           struct ptsim_lock_stats **st)
{
	struct mm_thread_stats *ts = mm_ts(mm);

	if (level == PT_LEVEL_PMD) {
		*st = &ts->pmd_lock;
		return &ptdesc_of(table)->ptl;
	}
	*st = &ts->page_table_lock;
	return &mm->page_table_lock;
}

/* pmd_lockptr(): the PMD lock guarding the PMD entry *pmdp. */
static inline spinlock_t *pmd_lockptr(struct ptsim_mm *mm, pte_t *pmdp,
                                      struct ptsim_lock_stats **st)
{
	return pt_entry_lockptr(mm, (pte_t *)((uintptr_t)pmdp & PAGE_MASK), PT_LEVEL_PMD, st);
}

/* __pte_alloc() / __pmd_alloc() / __pud_alloc(): fill the none entry *p (in a
 * table of level child_level-1) with a new table, unless someone beat us. */
int __pt_alloc(struct ptsim_mm *mm, pte_t *p, int child_level);

/*
 * Walks from the PGD to the entry at `level` for addr (level PT_LEVEL_PMD
 * gives the PMD entry). With alloc, missing tables are allocated on the way
 * (NULL on -ENOMEM); without, NULL when a table is missing. Callers hold
 * the mmap lock, which keeps upper tables (freed only under it for write)
 * in place.
 */
pte_t *pt_walk(struct ptsim_mm *mm, uint64_t addr, int level, bool alloc);

/* pte_offset_map_lock(): map and lock the PTE table behind *pmdp, the way
 * the mm's era did (era.h: RCU and the PMD re-check in 6.18, neither in
 * 5.x). NULL (nothing held) when there is no table. */
pte_t *pte_offset_map_lock(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, struct ptdesc **ptdp);
/* After pte_offset_map_lock() returned NULL: true when the table is still
 * there but the strategy could not allocate its reference state, so a
 * caller that would retry must fail with -ENOMEM instead. */
static inline bool pte_map_enomem(void)
{
	return ptsim_current.pte_map_enomem;
}
/* pte_unmap_unlock() */
void pte_unmap_unlock(struct ptsim_mm *mm, struct ptdesc *pte);

/*
 * walk_pmd_range(): calls fn for every present PMD entry covering part of
 * [addr, end), with the sub-range it covers; the skeleton of every
 * range operation (zap, mprotect, MADV_FREE). Upper tables are stable
 * under the mmap lock, which callers hold.
 */
typedef void (*pmd_range_fn)(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, uint64_t end,
                             void *priv);
void walk_pmd_range(struct ptsim_mm *mm, uint64_t addr, uint64_t end, pmd_range_fn fn, void *priv);

/*
 * free_pte_table() of the refcounting schemes: under the PMD lock, clear
 * the PMD if it still maps `pte` and dead(pte) still holds (nobody revived
 * it) and flush the TLB under the PMD lock, as the series did, then account
 * the table to the path (freed_zap or freed_walker) and free it by RCU. The caller is in an RCU
 * read section, which keeps the descriptor valid while it looks. Returns true if it freed the
 * table.
 */
bool pte_table_free_if_dead(struct ptsim_mm *mm, struct ptdesc *pte,
                            bool (*dead)(struct ptdesc *pte), bool zap);

/* Unlink accounting and the free, shared by every path that removes a table
 * of any level whose parent entry the caller has already cleared. With an
 * mmu_gather open on this thread the free waits for its flush (zap.h);
 * without one, the caller has flushed (or its era needs no flush). */
void pt_unlinked_free(struct ptsim_mm *mm, struct ptdesc *d);
/* The strategy's free of an unlinked, unaccounted table, once no TLB can
 * hold it (after the flush): free_table or pt_free_rcu(). */
void pt_free_table(struct ptsim_mm *mm, struct ptdesc *d);

#endif

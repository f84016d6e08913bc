/* SPDX-License-Identifier: MIT */
/*
 * A strategy is a table of operations plugged into the shared fault, zap
 * and walk mechanisms. A NULL hook means "nothing to do": the shared paths
 * call hooks, never test which strategy they run. A new strategy is a new
 * file and one line in strategy.c.
 */
#ifndef PTSIM_STRATEGY_H
#define PTSIM_STRATEGY_H

#include "era.h"
#include "mm.h"

/* What zap_pte_range() tells the strategy about one PTE table it zapped. */
struct zap_pte_state {
	struct ptsim_mm *mm;
	pte_t *pmdp;              /* the PMD entry mapping the table */
	struct ptdesc *pte;       /* the table that was zapped */
	uint64_t start, end;      /* range zapped in this table */
	bool reclaim_pt;          /* the caller allows freeing the table (MADV_DONTNEED) */
	bool ptl_held_throughout; /* the PTL was never dropped mid-range */
	bool any_skipped;         /* some entry was deliberately kept */
	bool detached;            /* set by the strategy: the PMD was cleared under the PTL */
	pte_t pmdval;             /* the PMD value the strategy cleared */
};

struct pt_strategy {
	const char *name;
	enum ptsim_strategy id;
	const struct pt_era *era; /* the kernel it was written for (era.h) */
	uint32_t mutants;         /* bit n: accepts PTSIM_OPT_MUTANT value n */
	bool cow_pte;             /* accepts PTSIM_OPT_COW_PTE (and its mutant) */

	/* A PTE table was just allocated (constructor). */
	void (*pte_table_ctor)(struct ptdesc *pte);
	/* pmd_install(): this thread links `pte` at pte->parent, PMD lock held,
	 * before the PMD entry is written. */
	void (*pmd_install)(struct ptsim_mm *mm, struct ptdesc *pte);
	/* Under the PTL: `n` none entries became non-none, `nzero` of them the zero page. */
	void (*ptes_set)(struct ptdesc *pte, unsigned n, unsigned nzero);
	/* Under the PTL: `n` non-none entries were cleared, `nzero` of them the zero page. */
	void (*ptes_cleared)(struct ptdesc *pte, unsigned n, unsigned nzero);
	/* Under the PTL: an entry changed from the zero page to a frame (COW). */
	void (*pte_zero_replaced)(struct ptdesc *pte);

	/*
	 * Visitors (pte_offset_map_lock() users: faults, zaps, locked walkers,
	 * mprotect, fork): pte_tryget() runs inside the RCU read section before
	 * the PTL is taken; false means "no table here" (it is being freed)
	 * and the caller behaves as if the PMD were none. pte_put() runs after
	 * the PTL and the RCU section are dropped, and may free the table.
	 */
	bool (*pte_tryget)(struct ptsim_mm *mm, struct ptdesc *pte);
	void (*pte_put)(struct ptsim_mm *mm, struct ptdesc *pte);

	/* zap_pte_range(), PTL held, the whole range zapped: may detach the table
	 * (only if z->ptl_held_throughout: else others may have refilled it). */
	void (*zap_pte_locked)(struct zap_pte_state *z);
	/* zap_pte_range(), PTL dropped and the TLB flushed: may free the table. */
	void (*zap_pte_done)(struct zap_pte_state *z);

	/* madvise_free_pte_range() is done with the table behind *pmdp (PTL dropped). */
	void (*madv_free_pte_done)(struct ptsim_mm *mm, pte_t *pmdp);

	/* The reclaim pass (ptsim_reclaim): bytes of tables unlinked. */
	int64_t (*reclaim)(struct ptsim_mm *mm);
	/* What reclaim could free now, in bytes. */
	uint64_t (*reclaimable_bytes)(struct ptsim_mm *mm);

	/* The mm was created (strategy_data is still NULL) / is being freed. */
	int (*mm_init)(struct ptsim_mm *mm);
	void (*mm_destroy)(struct ptsim_mm *mm);

	/*
	 * A walk of the mm's page tables begins / ends: a whole fault
	 * (handle_mm_fault(), the upper levels included), a zap
	 * (unmap_page_range()), mprotect, MADV_FREE/COLD/PAGEOUT, a locked walk
	 * (ptsim_walk_page_range(), ptsim_get_pte()), fork's copy (on the
	 * parent and on the child). Runs under the mmap lock or a VMA lock,
	 * with no spinlock held; walks of one mm never nest on a thread.
	 * NULL: the mmap lock alone keeps the upper tables in place (no
	 * strategy but rwsem frees them while others hold it for read).
	 */
	void (*walk_begin)(struct ptsim_mm *mm);
	void (*walk_end)(struct ptsim_mm *mm);
	/* free_pgtables() (munmap, exit) begins / ends unlinking the tables of
	 * detached VMAs: mmap lock held, outside any walk of mm. */
	void (*free_begin)(struct ptsim_mm *mm);
	void (*free_end)(struct ptsim_mm *mm);
	/*
	 * MADV_DONTNEED zapped [start, end) of one VMA: the zap's walk has
	 * ended, its mmu_gather is still open, the mmap (or VMA) lock held.
	 * May unlink empty tables of any level (free_empty_pgtables()): they
	 * join the gather and are freed after its TLB flush.
	 */
	void (*dontneed_done)(struct ptsim_mm *mm, uint64_t start, uint64_t end);

	/* Frees an unlinked table; NULL means pt_free_rcu(). */
	void (*free_table)(struct ptdesc *d);
	/* Invariant check of one linked PTE table's reference state; 0 = fine. */
	int (*check_pte_table)(struct ptdesc *pte, unsigned nonnone, unsigned nzero, char *msg,
	                       size_t len);
};

const struct pt_strategy *strategy_get(enum ptsim_strategy s);

/* The walk_begin/walk_end and free_begin/free_end hooks, for the shared paths. */
static inline void pt_walk_begin(struct ptsim_mm *mm)
{
	if (mm->ops->walk_begin)
		mm->ops->walk_begin(mm);
}
static inline void pt_walk_end(struct ptsim_mm *mm)
{
	if (mm->ops->walk_end)
		mm->ops->walk_end(mm);
}
static inline void pt_free_begin(struct ptsim_mm *mm)
{
	if (mm->ops->free_begin)
		mm->ops->free_begin(mm);
}
static inline void pt_free_end(struct ptsim_mm *mm)
{
	if (mm->ops->free_end)
		mm->ops->free_end(mm);
}

extern const struct pt_strategy strategy_none;
extern const struct pt_strategy strategy_none_5x;
extern const struct pt_strategy strategy_rcu;
extern const struct pt_strategy strategy_unsafe;
extern const struct pt_strategy strategy_atomic;
extern const struct pt_strategy strategy_percpu;
extern const struct pt_strategy strategy_bitfield;
extern const struct pt_strategy strategy_rwsem;

#endif

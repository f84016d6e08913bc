/* SPDX-License-Identifier: MIT */
/* Zapping entries (MADV_DONTNEED, munmap, exit) and freeing page tables. */
#ifndef PTSIM_ZAP_H
#define PTSIM_ZAP_H

#include "mm.h"

/*
 * struct mmu_gather: what one unmap, DONTNEED or mprotect call cleared, so
 * that it ends in one TLB flush (tlb.h), and the page tables it unlinked,
 * which are freed only after that flush. While a gather is open on a
 * thread, every table that thread unlinks from the gather's mm
 * (pt_unlinked_free()) joins it. Frames are put at once, at zap time: a
 * frame has no contents a stale translation could read, and GUP-fast
 * re-checks the entry after pinning.
 */
struct mmu_gather {
	struct ptsim_mm *mm;
	bool need_flush;          /* entries were cleared or tables unlinked */
	struct ptdesc *tables;    /* unlinked and accounted, freed after the flush */
	struct mmu_gather *outer; /* the gather this thread had open before */
};

/* tlb_gather_mmu(): open a gather on this thread. */
void tlb_gather_mmu(struct mmu_gather *tlb, struct ptsim_mm *mm);
/* tlb_flush_pte_range() / __tlb_adjust_range(): entries were cleared or changed. */
static inline void tlb_flush_pte_range(struct mmu_gather *tlb)
{
	tlb->need_flush = true;
}
/* tlb_flush_mmu(): flush if anything was gathered, then free the tables. */
void tlb_flush_mmu(struct mmu_gather *tlb);
/* tlb_finish_mmu(): the last tlb_flush_mmu(); closes the gather. */
void tlb_finish_mmu(struct mmu_gather *tlb);
/* tlb_remove_table(): queue an unlinked table of mm on this thread's open
 * gather; false if there is none (the caller frees it itself). */
bool tlb_remove_table(struct ptsim_mm *mm, struct ptdesc *d);

/* zap_details: only what the model needs. */
struct zap_details {
	bool reclaim_pt; /* MADV_DONTNEED: the strategy may free emptied PTE tables */
};

/* unmap_page_range(): clear every entry of [start, end) within one VMA. */
void unmap_page_range(struct mmu_gather *tlb, uint64_t start, uint64_t end,
                      const struct zap_details *details);

/*
 * free_pgtables(): after the detached VMAs on list (detached_next, in
 * address order) were unmapped and zapped,
 * free the tables they no longer share with a neighbour; floor is the end
 * of the VMA below them (0 if none), ceiling the start of the one above
 * (0 if none, meaning the top of the address space).
 */
void free_pgtables(struct ptsim_mm *mm, const struct vm_area *list, uint64_t floor,
                   uint64_t ceiling);

/*
 * Unlinks every PTE, PMD and PUD table whose span meets [start, end) and
 * that has no entry left, children before parents, and hands each to
 * pt_unlinked_free() (the open mmu_gather frees it after its flush). PTE
 * tables count as freed by a zap. No lock is taken: the caller excludes
 * every walker of mm that could use or fill these tables (rwsem: the
 * page-table rwsem held for write); lockless walkers (GUP-fast, the MMU)
 * are kept off by the flush that precedes the free.
 */
void free_empty_pgtables(struct ptsim_mm *mm, uint64_t start, uint64_t end);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * COW PTE tables (Chih-En Lin's RFC "Introduce Copy-On-Write to Page
 * Table", 2022-2023, after On-Demand-Fork, EuroSys 2021): at fork, an
 * anonymous PTE table wholly covered by one VMA is shared with the child
 * instead of copied. Both PMD entries lose _PAGE_RW, which marks the link
 * as COW; the table's descriptor counts the PMD entries linking it
 * (ptdesc.cow_ref). Frames are accounted as a plain fork does (one
 * reference and one RSS page per mm mapping them); pgtables_bytes is
 * charged to one owner only (ptdesc.mm), or to nobody once the owner left.
 * Nobody changes a shared table's entries: every path that would, breaks
 * COW first (copy, or reuse when the count is one) or drops its link.
 *
 * Mode 2 (deferred accounting, as On-Demand-Fork and RFC v1/v2): fork
 * links the table without touching its entries or frames (ptdesc
 * .cow_deferred). Its frames then hold one reference for all links
 * together, and its pages count in the RSS of the owner only (ptdesc.mm,
 * as RFC v2 charged them; nobody's once the owner left). A break by copy
 * takes a reference per present frame for the copy and write-protects the
 * entries, as copy_present_pte() would at fork; the copier's RSS grows
 * unless it was the owner. A reuse (last link) takes nothing; it adds the
 * pages to its RSS unless it was the owner. A dropped link puts no frame;
 * the owner's RSS gives its pages back.
 */
#ifndef PTSIM_COW_PTE_H
#define PTSIM_COW_PTE_H

#include "mm.h"

/* !pmd_write() on a table entry: this mm's link to the table is COW. */
static inline bool pmd_cow(pte_t pmdval)
{
	return (pmdval & _PAGE_PRESENT) && !(pmdval & _PAGE_RW);
}

/* The PTSIM_MUTANT_COW_NO_BREAK mutant: zaps and frees ignore COW links. */
static inline bool cow_pte_mutant(struct ptsim_mm *mm)
{
	return READ_ONCE(mm->mutant) == PTSIM_MUTANT_COW_NO_BREAK;
}

/*
 * copy_cow_pte_range(): fork shares the table behind *src_pmdp with dst,
 * both mmap locks held for write. 1: it cannot be shared (a frame is
 * pinned and mapped only here), the caller copies it; 0: shared. deferred:
 * PTSIM_OPT_COW_PTE 2 (a table already shared keeps the mode it has).
 */
int cow_pte_share(struct ptsim_mm *dst, struct ptsim_mm *src, pte_t *dst_pmdp, pte_t *src_pmdp,
                  bool deferred);

/*
 * handle_cow_pte_fault() / break_cow_pte(): make mm's link at *pmdp
 * private, reusing the table if no other mm links it, else copying it.
 * Nothing to do if the link is not COW (any more). -ENOMEM if a copy fails.
 */
int cow_pte_break(struct ptsim_mm *mm, pte_t *pmdp);
/* cow_pte_break() for paths that cannot fail (zap, mprotect): retries. */
void cow_pte_break_nofail(struct ptsim_mm *mm, pte_t *pmdp);
/* Before a walker changes entries of the table at *pmdp (mprotect,
 * MADV_FREE/COLD/PAGEOUT): make mm's link private if it is a COW one. */
static inline void cow_pte_break_before_change(struct ptsim_mm *mm, pte_t *pmdp)
{
	if (unlikely(pmd_cow(pt_entry_read(pmdp))))
		cow_pte_break_nofail(mm, pmdp);
}

/*
 * zap_cow_pte(): a zap of the whole table, or a free of it, on a COW link:
 * true if mm's link was dropped (PMD cleared, mm's frame references and
 * RSS given back, the table left to the others); false if the link is
 * private now (reused) or was not COW, and the caller goes on as usual.
 */
bool cow_pte_unshare(struct ptsim_mm *mm, pte_t *pmdp);

/* Shared tables (cow_ref > 1) and tables charged to no mm, all mms. */
void cow_pte_global_stats(uint64_t *shared, uint64_t *unowned);

#endif

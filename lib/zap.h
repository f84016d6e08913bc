/* SPDX-License-Identifier: MIT */
/* Zapping entries (MADV_DONTNEED, munmap, exit) and freeing page tables. */
#ifndef PTSIM_ZAP_H
#define PTSIM_ZAP_H

#include "mm.h"

/* zap_details: only what the model needs. */
struct zap_details {
	bool reclaim_pt; /* MADV_DONTNEED: the strategy may free emptied PTE tables */
};

/* unmap_page_range(): clear every entry of [start, end) within one VMA. */
void unmap_page_range(struct ptsim_mm *mm, uint64_t start, uint64_t end,
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

#endif

/* SPDX-License-Identifier: MIT */
/* The fault path and the simulated hardware access. */
#ifndef PTSIM_FAULT_H
#define PTSIM_FAULT_H

#include "mm.h"

/* May `access` be made to a VMA with this protection? */
static inline bool vma_permits(const struct vm_area *v, bool write)
{
	return write ? (v->prot & PTSIM_PROT_WRITE) : (v->prot != PTSIM_PROT_NONE);
}

/* handle_mm_fault() for one page; mmap lock held for read (or write). */
int handle_mm_fault(struct ptsim_mm *mm, struct vm_area *vma, uint64_t addr, bool write);
/*
 * The MMU's page walk: no locks, the entry's own bits decide. Sets A (and
 * D) on a hit and returns true; false means the access faults.
 */
bool hw_access(struct ptsim_mm *mm, uint64_t addr, bool write);
/* anon_vma_prepare() */
void anon_vma_prepare(struct ptsim_mm *mm, struct vm_area *vma);

#endif

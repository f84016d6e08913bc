/* SPDX-License-Identifier: MIT */
/*
 * Entry encoding and level geometry of the x86-64 page table. The number of
 * levels is a parameter (PT_LEVELS): 5-level paging is a later goal, so no
 * code outside this file may assume "4".
 */
#ifndef PTSIM_PGTABLE_H
#define PTSIM_PGTABLE_H

#include "internal.h"

#define PT_LEVELS      4
#define PTRS_PER_TABLE PTSIM_PTRS_PER_TABLE
#define PT_ENTRY_BITS  9

/* Level numbers from the root: 0 = PGD ... PT_LEVELS-1 = PTE. */
#define PT_LEVEL_PGD 0
#define PT_LEVEL_PTE (PT_LEVELS - 1)
#define PT_LEVEL_PMD (PT_LEVELS - 2)
#define PT_LEVEL_PUD (PT_LEVELS - 3)

typedef uint64_t pte_t; /* an entry of any level */

#define _PAGE_PRESENT  PTSIM_PTE_PRESENT
#define _PAGE_RW       PTSIM_PTE_RW
#define _PAGE_USER     PTSIM_PTE_USER
#define _PAGE_ACCESSED PTSIM_PTE_ACCESSED
#define _PAGE_DIRTY    PTSIM_PTE_DIRTY
#define _PAGE_PSE      PTSIM_PTE_PSE
#define _PAGE_PROTNONE PTSIM_PTE_PROTNONE
#define _PAGE_SPECIAL  PTSIM_PTE_SPECIAL
#define _PAGE_NX       PTSIM_PTE_NX
#define _PAGE_PFN_MASK PTSIM_PTE_PFN_MASK
/* What an upper-level entry pointing at a table carries (_PAGE_TABLE). */
#define _PAGE_TABLE (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
/* A and D may be set by hardware on a non-present entry (the KNL erratum). */
#define _PAGE_KNL_ERRATUM_MASK (_PAGE_DIRTY | _PAGE_ACCESSED)

static inline unsigned level_shift(int level)
{
	return PAGE_SHIFT + PT_ENTRY_BITS * (PT_LEVELS - 1 - level);
}

/* Bytes of address space one entry at `level` maps. */
static inline uint64_t level_entry_span(int level)
{
	return 1ULL << level_shift(level);
}

static inline unsigned pt_index(uint64_t addr, int level)
{
	return (addr >> level_shift(level)) & (PTRS_PER_TABLE - 1);
}

/* End of the entry at `level` containing addr, clamped to end (pXd_addr_end). */
static inline uint64_t pt_addr_end(uint64_t addr, uint64_t end, int level)
{
	uint64_t span = level_entry_span(level);
	uint64_t boundary = (addr + span) & ~(span - 1);
	return (boundary - 1 < end - 1) ? boundary : end;
}

static inline bool pte_none(pte_t e)
{
	return !(e & ~_PAGE_KNL_ERRATUM_MASK);
}

/* pte_present(): PROTNONE entries are present to the kernel, not to the MMU. */
static inline bool pte_present(pte_t e)
{
	return e & (_PAGE_PRESENT | _PAGE_PROTNONE);
}

static inline uint64_t pte_pfn(pte_t e)
{
	return (e & _PAGE_PFN_MASK) >> PAGE_SHIFT;
}

/* A table's "physical" address is its address in this process. */
static inline pte_t *entry_table(pte_t e)
{
	return (pte_t *)(uintptr_t)(e & _PAGE_PFN_MASK);
}

static inline pte_t mk_table_entry(pte_t *table)
{
	return ((uint64_t)(uintptr_t)table & _PAGE_PFN_MASK) | _PAGE_TABLE;
}

static inline pte_t ptep_get(pte_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void set_pte(pte_t *p, pte_t e)
{
	__atomic_store_n(p, e, __ATOMIC_RELAXED);
}

/* pmd_populate(): publish a zeroed table; readers must see its contents. */
static inline void pt_populate(pte_t *p, pte_t *table)
{
	__atomic_store_n(p, mk_table_entry(table), __ATOMIC_RELEASE);
}

/* Reading an upper entry to follow it: pairs with pt_populate(). */
static inline pte_t pt_entry_read(pte_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* No entry of the 512 in use (the caller keeps the table from being filled
 * meanwhile, or re-checks): a table of any level that may be freed. */
static inline bool pt_table_empty(pte_t *table)
{
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++)
		if (!pte_none(ptep_get(&table[i])))
			return false;
	return true;
}

/* The protection bits an anonymous PTE carries for the VMA's prot. */
static inline pte_t prot_pte_bits(int prot)
{
	pte_t e = _PAGE_USER;
	if (!(prot & PTSIM_PROT_EXEC))
		e |= _PAGE_NX;
	if (prot == PTSIM_PROT_NONE)
		return e | _PAGE_PROTNONE;
	return e | _PAGE_PRESENT;
}

#endif

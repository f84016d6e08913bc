/* SPDX-License-Identifier: MIT */
/*
 * Page-table pages and their descriptors (the kernel's struct ptdesc).
 *
 * Tables are carved from 2 MiB slabs aligned to their size. The first 8
 * pages of a slab hold the slab header and the descriptors of the other
 * 504 pages, each descriptor at the index of its page, so a table's
 * descriptor is found from its address with a mask and a shift (the
 * vmemmap idea): O(1), no hash, 8/512 = 1.6% of the memory. Large slabs
 * keep the allocator's own per-extent metadata small per table.
 */
#ifndef PTSIM_PTDESC_H
#define PTSIM_PTDESC_H

#include "lock.h"
#include "pgtable.h"
#include "rcu.h"

#define PT_SLAB_PAGES      512
#define PT_SLAB_SIZE       (PT_SLAB_PAGES * PAGE_SIZE)
#define PT_SLAB_DESC_PAGES (PT_SLAB_PAGES * 64 / PAGE_SIZE) /* pages of descriptors */

enum ptdesc_state {
	PTD_FREE = 0,  /* on a slab's free list */
	PTD_ALLOCATED, /* allocated, not yet linked into a parent entry */
	PTD_LINKED,    /* reachable from the mm's PGD */
	PTD_UNLINKED,  /* cleared from its parent, waiting for the grace period */
	PTD_POISONED,  /* freed, poisoned and quarantined (checked mode) */
};

struct ptsim_mm;

struct ptdesc {
	uint8_t level;
	uint8_t state;
	uint8_t strategy;     /* of the owning mm, kept for use-after-free reports */
	uint8_t cow_deferred; /* COW PTE mode 2: see cow_pte.h; under the PTL */
	spinlock_t ptl;       /* split PTL for PTE tables, the PMD lock for PMD tables */
	uint64_t pt_ref;      /* the strategy's reference state (refcount, bitfield, ...) */
	pte_t *parent;        /* the entry that points here (pmd for a PTE table) */
	struct ptsim_mm *mm;
	struct rcu_head_ptsim rcu; /* RCU-deferred free; also the free-list link */
	/* COW PTE tables (cow_pte.h): the PMD entries that link this table,
	 * 1 unless shared at fork. Under the PTL. For a shared table, mm and
	 * parent name the owner (the mm charged for it), mm NULL when none. */
	uint32_t cow_ref;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct ptdesc) == 64, "one cache line per descriptor");

static inline struct ptdesc *ptdesc_of(const void *table)
{
	uintptr_t a = (uintptr_t)table;
	uintptr_t base = a & ~((uintptr_t)PT_SLAB_SIZE - 1);

	return (struct ptdesc *)base + ((a - base) >> PAGE_SHIFT);
}

static inline pte_t *ptdesc_table(const struct ptdesc *d)
{
	uintptr_t a = (uintptr_t)d;
	uintptr_t base = a & ~((uintptr_t)PT_SLAB_SIZE - 1);

	return (pte_t *)(base + ((a - base) / sizeof(struct ptdesc)) * PAGE_SIZE);
}

/* pagetable_alloc() + the level's constructor: a zeroed table, PTD_ALLOCATED. */
struct ptdesc *pt_alloc(struct ptsim_mm *mm, int level);
/* pagetable_free(): straight back to the slab. Only when no reader can hold it. */
void pt_free_now(struct ptdesc *d);
/* The strategy-independent last step: poison and quarantine the table in
 * checked mode, so late readers are caught; else pt_free_now(). */
void pt_free_final(struct ptdesc *d);
/* tlb_remove_table(): free after an RCU grace period (the caller has unlinked
 * and accounted it). The descriptor, and its lock, live until then too. */
void pt_free_rcu(struct ptdesc *d);

void pt_alloc_stats(uint64_t *tables_in_use, uint64_t *slabs, uint64_t *pending);

#endif

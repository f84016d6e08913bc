// SPDX-License-Identifier: MIT
/*
 * rwsem: the page-table rwsem Jason Gunthorpe proposed in reply to the 2021
 * pte_refcount series (v3 thread, 2021-11-10): split the mmap lock's two
 * jobs and give the page table a per-mm rwsem of its own, "two atomic per
 * page table walk operation" instead of two per PTE map, and "freeing all
 * the page table levels, not just PTEs". Never implemented in the kernel;
 * this is one reading of the proposal, with the choices it left open made
 * here:
 *
 *  - Era 5.x, the kernels it was raised against (5.15): faults and madvise
 *    under the mmap read lock, pte_offset_map_lock() without RCU and
 *    without the PMD re-check, GUP-fast and the MMU protected by interrupts
 *    being off against the TLB-flush IPI.
 *  - Walkers (faults, zaps that do not free, mprotect, MADV_FREE/COLD,
 *    locked walks, fork's copy) hold the rwsem for read for their whole
 *    walk (the walk_begin/walk_end hooks): one CAS to take it, one atomic
 *    sub to drop it, whatever the number of PTEs. They take PTLs as usual
 *    inside it: the rwsem excludes freeing, not each other.
 *  - Freeing takes it for write. MADV_DONTNEED zaps under the read side
 *    like any walker, then (dontneed_done) drops to nothing, takes the
 *    write side and unlinks every table of the range's PTE, PMD and PUD
 *    levels that is left with no entry (free_empty_pgtables()): emptiness
 *    is re-read under the write lock, since faults may refill the range
 *    between the two; no PMD lock and no PTL, as no walker can be inside.
 *    munmap and exit hold it for write around free_pgtables(), which may
 *    otherwise meet a DONTNEED freeing the same upper tables.
 *  - A table is freed at once after the mmu_gather's TLB flush: the write
 *    side kept every locked walker out, and the flush waited for every
 *    irqs-off section (GUP-fast, the MMU) that might still hold it.
 *
 * Counted: the rwsem's acquisitions, contention and wait (pt_rwsem, and
 * pt_rwsem_write for the writers alone), and two refcount_atomics per
 * acquisition (the CAS that takes it and the atomic that drops it; retries
 * under contention are not counted), so that "atomics per fault" compares
 * with the refcounting series.
 *
 * Mutant PTSIM_MUTANT_RWSEM_READ_FREE: the freeing side takes the rwsem
 * for read, so a walker between its PMD read and its PTL sees its tables
 * freed under it.
 */
#include "strategy_rwsem.h"

#include "memalloc.h"
#include "pgalloc.h"
#include "strategy.h"
#include "test_hook.h"
#include "zap.h"

struct rwsem_mm {
	struct rwsem pt_rwsem; /* the page table's own rwsem */
};

static inline struct rwsem *pt_rwsem(struct ptsim_mm *mm)
{
	return &((struct rwsem_mm *)mm->strategy_data)->pt_rwsem;
}

struct rwsem *rwsem_strategy_sem(struct ptsim_mm *mm)
{
	return pt_rwsem(mm);
}

static int rwsem_mm_init(struct ptsim_mm *mm)
{
	mm->strategy_data = ptsim_alloc(sizeof(struct rwsem_mm));
	return mm->strategy_data ? 0 : -ENOMEM;
}

static void rwsem_mm_destroy(struct ptsim_mm *mm)
{
	ptsim_free(mm->strategy_data);
	mm->strategy_data = NULL;
}

/* The read side, around a walk. */
static void rwsem_walk_begin(struct ptsim_mm *mm)
{
	struct mm_thread_stats *ts = mm_ts(mm);

	down_read(pt_rwsem(mm), &ts->pt_rwsem_read);
	stat_inc(&ts->refcount_atomics, 2); /* this CAS and the up_read() */
}

static void rwsem_walk_end(struct ptsim_mm *mm)
{
	up_read(pt_rwsem(mm));
}

/* The write side, around freeing; the mutant takes the read side. */
static void pt_rwsem_free_lock(struct ptsim_mm *mm)
{
	struct mm_thread_stats *ts = mm_ts(mm);

	test_hook(TEST_HOOK_PT_FREE_LOCK, mm, 0);
	if (READ_ONCE(mm->mutant) == PTSIM_MUTANT_RWSEM_READ_FREE)
		down_read(pt_rwsem(mm), &ts->pt_rwsem_read);
	else
		down_write(pt_rwsem(mm), &ts->pt_rwsem_write);
	stat_inc(&ts->refcount_atomics, 2);
}

static void pt_rwsem_free_unlock(struct ptsim_mm *mm)
{
	if (READ_ONCE(mm->mutant) == PTSIM_MUTANT_RWSEM_READ_FREE)
		up_read(pt_rwsem(mm));
	else
		up_write(pt_rwsem(mm));
}

/* MADV_DONTNEED is done zapping: free what it left empty, at every level. */
static void rwsem_dontneed_done(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	pt_rwsem_free_lock(mm);
	free_empty_pgtables(mm, start, end);
	pt_rwsem_free_unlock(mm);
}

/* After the flush: no locked walker (write side) and no irqs-off section
 * (the flush waited) can hold the table, so no grace period. */
static void rwsem_free_table(struct ptdesc *d)
{
	pt_free_final(d);
}

const struct pt_strategy strategy_rwsem = {
        .name = "rwsem",
        .id = PTSIM_STRATEGY_RWSEM,
        .era = &era_5_x,
        .mutants = 1u << PTSIM_MUTANT_RWSEM_READ_FREE,
        .mm_init = rwsem_mm_init,
        .mm_destroy = rwsem_mm_destroy,
        .walk_begin = rwsem_walk_begin,
        .walk_end = rwsem_walk_end,
        .free_begin = pt_rwsem_free_lock,
        .free_end = pt_rwsem_free_unlock,
        .dontneed_done = rwsem_dontneed_done,
        .free_table = rwsem_free_table,
};

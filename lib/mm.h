/* SPDX-License-Identifier: MIT */
/* struct ptsim_mm (the kernel's mm_struct) and its counters. */
#ifndef PTSIM_MM_H
#define PTSIM_MM_H

#include "lock.h"
#include "pgtable.h"
#include "ptdesc.h"
#include "thread.h"
#include "uaf.h"
#include "vma.h"

/* ptsim_mm.magic: a live handle, or one ptsim_mm_destroy() was called on. */
#define MM_MAGIC_LIVE 0x6d6d7470u /* "ptmm" */
#define MM_MAGIC_DEAD 0x64616564u /* "dead" */

struct pt_strategy;
struct pt_era;

/*
 * Counters one thread keeps for one mm: written only by that thread, summed
 * by readers, so the fault path pays no shared atomic for bookkeeping (the
 * kernel's per-CPU RSS and event counters).
 */
struct mm_thread_stats {
	struct mm_thread_stats *next;
	uint64_t owner; /* ptsim_thread.tid of the only writer */
	uint64_t faults_read, faults_write, faults_cow, access_hits;
	uint64_t rss, zero_ptes; /* deltas; wrap-around sums are exact */
	uint64_t pte_tables_allocated;
	uint64_t freed_zap, freed_unmap, freed_reclaim, freed_walker;
	uint64_t refcount_atomics;
	uint64_t vma_lock_fallbacks; /* per-VMA lock attempts that fell back to the mmap lock */
	uint64_t tlb_flushes, tlb_flush_ns, tlb_irqs_off_wait_ns;
	uint64_t gp_waits, gp_wait_ns; /* synchronous grace periods (percpu) */
	uint64_t irqs_off_seq;         /* odd while the owner is in an irqs-off section (tlb.c) */
	uint64_t cow_pte_shared, cow_pte_copied, cow_pte_reused, cow_pte_dropped; /* cow_pte.c */
	uint64_t cow_pte_adopted, cow_pte_disowned;
	struct ptsim_lock_stats mmap_lock, ptl, pmd_lock, page_table_lock, vma_lock;
	struct ptsim_lock_stats pt_rwsem_read, pt_rwsem_write; /* rwsem's page-table rwsem */
	uint64_t freed_pmd, freed_pud; /* upper-level tables freed, every path */
} __attribute__((aligned(64)));

struct ptsim_mm {
	struct rwsem mmap_lock;
	spinlock_t page_table_lock; /* PGD and PUD entries (pud_lock) */
	pte_t *pgd;
	const struct pt_strategy *ops;
	const struct pt_era *era; /* ops->era: the locking protocol of its kernel */
	enum ptsim_strategy strategy;
	uint64_t id; /* never reused: keys the threads' stats caches */
	struct vma_tree vmas;
	uint64_t mm_lock_seq; /* advances at mmap write unlock/downgrade (vma_lock.h) */
	uint64_t mmap_base;
	uint64_t next_anon_vma;
	unsigned gather_batch; /* pages zapped before mmu_gather forces a flush */
	bool shares_frames;    /* forked: frame refcounts include other mms' mappings */
	bool has_pinned;       /* MMF_HAS_PINNED: GUP pinned a frame through this mm */

	/* ptsim_mm_set_option() tunables (see the public header) */
	uint64_t tlb_flush_ns; /* PTSIM_OPT_TLB_FLUSH_NS */
	unsigned mutant;       /* PTSIM_OPT_MUTANT: one protection removed */
	unsigned nr_cpu_ids;   /* PTSIM_OPT_NR_CPU_IDS: percpu side-block sizing */
	bool gp_expedited;     /* PTSIM_OPT_GP_EXPEDITED */
	bool no_zero_page;     /* PTSIM_OPT_NO_ZERO_PAGE: mm_forbids_zeropage() */
	uint8_t cow_pte;       /* PTSIM_OPT_COW_PTE: 0, 1 or 2 (deferred), cow_pte.h */
	bool ever_mapped;      /* a mapping was made: PTSIM_OPT_MUTANT is fixed */

	/* VmPTE and table counts: atomics, they move at table granularity only */
	int64_t pgtables_bytes;
	int64_t nr_tables[PT_LEVELS];
	int64_t tables_pending_free;
	int64_t pt_side_bytes; /* per-table blocks outside VmPTE (percpu_ref) */

	int users; /* mm_users: the mm is alive */
	int count; /* mm_count: the struct is alive (pending RCU frees hold it) */

	spinlock_t stats_lock;
	struct mm_thread_stats *stats_list;
	struct ptsim_lock_stats stats_lock_stats;

	uint64_t reclaim_passes, reclaim_write_lock_ns; /* under the mmap write lock */
	void *strategy_data;

	struct ptsim_mm *global_prev, *global_next; /* the list global reclaim visits */

	/* mm->map_count and mm->total_vm: the VMA figures, kept where the
	 * layout changes (under the mmap write lock) so that the statistics
	 * read them without the mmap lock. */
	int64_t map_count, total_vm;

	uint32_t magic; /* MM_MAGIC_*: stale handles are caught in checked mode */
};

/* After a change of the VMA layout, under the mmap write lock. */
static inline void mm_vmas_changed(struct ptsim_mm *mm, int64_t total_vm_delta)
{
	WRITE_ONCE(mm->map_count, (int64_t)mm->vmas.nr);
	atomic_add(&mm->total_vm, total_vm_delta);
}

/* The calling thread's counters for mm. mm_enter() must have succeeded. */
struct mm_thread_stats *mm_thread_stats_slow(struct ptsim_mm *mm);
static inline struct mm_thread_stats *mm_ts(struct ptsim_mm *mm)
{
	struct ptsim_thread *t = &ptsim_current;

	for (unsigned i = 0; i < ARRAY_SIZE(t->stats_cache); i++)
		if (t->stats_cache[i].mm == mm && t->stats_cache[i].gen == mm->id)
			return t->stats_cache[i].stats;
	return mm_thread_stats_slow(mm);
}

/* RCU registration and this thread's counters, for an mm known to be alive. */
static inline int __mm_enter(struct ptsim_mm *mm)
{
	ptsim_thread_enter();
	return mm_ts(mm) ? 0 : -ENOMEM;
}

/* In checked mode: reports (at level PTSIM_UAF_LEVEL_MM) and returns true
 * when mm is not a live handle: destroyed, or never one. */
bool mm_handle_bad(struct ptsim_mm *mm, const char *op);

/* Every public entry point taking an mm: -EINVAL for a stale handle
 * (checked mode), then __mm_enter(). */
static inline int mm_enter_op(struct ptsim_mm *mm, const char *op)
{
	if (unlikely(uaf_checked()) && mm_handle_bad(mm, op))
		return -EINVAL;
	return __mm_enter(mm);
}
#define mm_enter(mm) mm_enter_op((mm), __func__)

static inline void mmap_read_lock(struct ptsim_mm *mm)
{
	down_read(&mm->mmap_lock, &mm_ts(mm)->mmap_lock);
}
static inline void mmap_read_unlock(struct ptsim_mm *mm)
{
	up_read(&mm->mmap_lock);
}
static inline void mmap_write_lock(struct ptsim_mm *mm)
{
	down_write(&mm->mmap_lock, &mm_ts(mm)->mmap_lock);
}
/* vma_end_write_all(): publish the layout first, then unlock every VMA. */
static inline void vma_end_write_all(struct ptsim_mm *mm)
{
	vma_tree_write_done(&mm->vmas);
	__atomic_store_n(&mm->mm_lock_seq, mm->mm_lock_seq + 1, __ATOMIC_RELEASE);
}
static inline void mmap_write_unlock(struct ptsim_mm *mm)
{
	vma_end_write_all(mm);
	up_write(&mm->mmap_lock);
}
/* mmap_write_downgrade(): keep the lock for read, let other readers in. */
static inline void mmap_write_downgrade(struct ptsim_mm *mm)
{
	vma_end_write_all(mm);
	downgrade_write(&mm->mmap_lock);
}
/* mmap_read_trylock(): never waits (vmf_anon_prepare() under a VMA lock). */
static inline bool mmap_read_trylock(struct ptsim_mm *mm)
{
	return down_read_trylock(&mm->mmap_lock, &mm_ts(mm)->mmap_lock);
}

/* mm_inc_nr_ptes() and friends: VmPTE counts PUD, PMD and PTE tables, not the PGD. */
static inline void mm_account_table(struct ptsim_mm *mm, int level, int delta)
{
	atomic_add(&mm->nr_tables[level], delta);
	if (level != PT_LEVEL_PGD)
		atomic_add(&mm->pgtables_bytes, (int64_t)delta * (int64_t)PAGE_SIZE);
}

void mm_pending_free_start(struct ptsim_mm *mm);
void mm_pending_free_done(struct ptsim_mm *mm);
void mmgrab(struct ptsim_mm *mm);
void mmdrop(struct ptsim_mm *mm);
bool mmget_not_zero(struct ptsim_mm *mm);
void mmput(struct ptsim_mm *mm);

/* The global per-lock-kind sums, live mms and gone ones: mmap lock, PTL,
 * PMD lock, page_table_lock, VMA lock, page-table rwsem (in that order). */
#define MM_LOCK_KINDS 6
void mm_global_lock_stats(struct ptsim_lock_stats out[MM_LOCK_KINDS], uint64_t *live);

/* exit_mmap(): everything unmapped and freed, the PGD included. */
void exit_mmap(struct ptsim_mm *mm);
struct ptsim_mm *mm_alloc(enum ptsim_strategy s);

#endif

// SPDX-License-Identifier: MIT
/*
 * bitfield: the 2022 RFC "Try to free empty and zero user PTE page table
 * pages" (seed 000). Each PTE table keeps one non-atomic counter, updated
 * only under its PTL (track_pte_set() / track_pte_clear()): bits 0-9 count
 * the mapped (non-none) entries, bits 10-19 those mapping the shared zero
 * page. Walkers take no reference. Nothing is freed on the fault or zap
 * paths: a reclaim pass (the RFC's /proc/sys/vm/free_ptes) takes the mmap
 * lock for write, which excludes every locked walker, and under the PMD
 * lock frees every table that is empty (mapped == 0) or maps only the zero
 * page (zero == 512; those entries are cleared first). The RFC frees right
 * after the TLB flush; GUP-fast here is an RCU reader, so the table goes
 * through pt_unlinked_free() and an RCU grace period (DESIGN.md §1).
 *
 * reclaimable_pt_bytes: the per-mm total of tables that are empty or
 * all-zero-page (the cover letter's idea; not in the RFC's patches), kept
 * by the hooks: bit 20 of the counter says the table is counted in it, and
 * a hook that moves the table into or out of that state adjusts the per-mm
 * atomic and re-keys the mm in the global reclaim order (reclaim_tree.h,
 * the cover letter's rbtree; global reclaim visits the mm with the most
 * reclaimable bytes first). A table freshly linked by __pt_alloc() is not
 * counted until its first entry comes and goes (the allocator has no hook
 * once the table is linked); a fork child table into which nothing was
 * copied is therefore freed by reclaim without having been counted.
 */
#include "strategy.h"

#include <stdio.h>

#include "memalloc.h"
#include "pgalloc.h"
#include "tlb.h"
#include "reclaim_tree.h"

#define BF_MAPPED_SHIFT 0
#define BF_ZERO_SHIFT   10
#define BF_FIELD_MASK   0x3ffULL
#define BF_COUNTED      (1ULL << 20)

/* Per mm, in mm->strategy_data. */
struct bf_mm {
	int64_t reclaimable; /* bytes */
	struct reclaim_node node;
};

static inline struct bf_mm *bf_mm(struct ptsim_mm *mm)
{
	return mm->strategy_data;
}

static int bf_mm_init(struct ptsim_mm *mm)
{
	mm->strategy_data = ptsim_alloc(sizeof(struct bf_mm));
	return mm->strategy_data ? 0 : -ENOMEM;
}

static void bf_mm_destroy(struct ptsim_mm *mm)
{
	reclaim_tree_remove(&bf_mm(mm)->node);
	ptsim_free(mm->strategy_data);
	mm->strategy_data = NULL;
}

/* The table entered (+) or left (-) the empty-or-all-zero state. */
static void bf_account(struct ptsim_mm *mm, int64_t delta)
{
	struct bf_mm *b = bf_mm(mm);

	__atomic_add_fetch(&b->reclaimable, delta, __ATOMIC_RELAXED);
	reclaim_tree_rekey(&b->node, mm, &b->reclaimable);
}

static inline unsigned bf_mapped(uint64_t v)
{
	return (unsigned)((v >> BF_MAPPED_SHIFT) & BF_FIELD_MASK);
}

static inline unsigned bf_zero(uint64_t v)
{
	return (unsigned)((v >> BF_ZERO_SHIFT) & BF_FIELD_MASK);
}

static inline bool bf_reclaimable(uint64_t v)
{
	return bf_mapped(v) == 0 || bf_zero(v) == PTRS_PER_TABLE;
}

/* Under the PTL: store the new counts and move the table in or out of the
 * mm's reclaimable bytes. Only the per-mm total is atomic. */
static void bf_update(struct ptdesc *pte, uint64_t v)
{
	bool counted = v & BF_COUNTED, want = bf_reclaimable(v);

	if (counted != want) {
		v ^= BF_COUNTED;
		bf_account(pte->mm, want ? (int64_t)PAGE_SIZE : -(int64_t)PAGE_SIZE);
	}
	/* Plain under the PTL in the RFC; relaxed atomics so that the lockless
	 * reclaimable_bytes() reader and the checker are well defined here. */
	__atomic_store_n(&pte->pt_ref, v, __ATOMIC_RELAXED);
}

static inline uint64_t bf_read(struct ptdesc *pte)
{
	return __atomic_load_n(&pte->pt_ref, __ATOMIC_RELAXED);
}

/* track_pte_set(): none -> !none. */
static void bf_ptes_set(struct ptdesc *pte, unsigned n, unsigned nzero)
{
	uint64_t v = bf_read(pte);

	v += (uint64_t)n << BF_MAPPED_SHIFT;
	v += (uint64_t)nzero << BF_ZERO_SHIFT;
	bf_update(pte, v);
}

/* track_pte_clear(): !none -> none. */
static void bf_ptes_cleared(struct ptdesc *pte, unsigned n, unsigned nzero)
{
	uint64_t v = bf_read(pte);

	v -= (uint64_t)n << BF_MAPPED_SHIFT;
	v -= (uint64_t)nzero << BF_ZERO_SHIFT;
	bf_update(pte, v);
}

/* track_pte_set(): zero pfn -> another pfn. */
static void bf_pte_zero_replaced(struct ptdesc *pte)
{
	bf_update(pte, bf_read(pte) - (1ULL << BF_ZERO_SHIFT));
}

/* Unlinked by any path (munmap, exit, reclaim): leave the mm's total. */
static void bf_free_table(struct ptdesc *d)
{
	if (d->level == PT_LEVEL_PTE && (bf_read(d) & BF_COUNTED))
		bf_account(d->mm, -(int64_t)PAGE_SIZE);
	pt_free_rcu(d);
}

struct bf_reclaim {
	uint64_t freed;
};

/* The RFC's free_pte_table() step for one PMD, mmap lock held for write. */
static void bf_reclaim_pmd(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, uint64_t end,
                           void *priv)
{
	struct bf_reclaim *r = priv;
	struct ptsim_lock_stats *st;
	spinlock_t *pml = pmd_lockptr(mm, pmdp, &st);
	struct ptdesc *pte = NULL;
	pte_t pmdval;

	(void)addr;
	(void)end;
	spin_lock(pml, st);
	pmdval = pt_entry_read(pmdp);
	if (!pte_none(pmdval) && (pmdval & _PAGE_PRESENT)) {
		struct ptdesc *d = ptdesc_of(entry_table(pmdval));
		uint64_t v;

		spin_lock(&d->ptl, &mm_ts(mm)->ptl);
		v = bf_read(d);
		if (bf_mapped(v) == 0) {
			pte = d;
		} else if (bf_zero(v) == PTRS_PER_TABLE) {
			pte_t *table = entry_table(pmdval);

			/* Every entry maps the zero page: drop them, no frame to put. */
			for (unsigned i = 0; i < PTRS_PER_TABLE; i++)
				set_pte(&table[i], 0);
			stat_inc(&mm_ts(mm)->zero_ptes, -(uint64_t)PTRS_PER_TABLE);
			pte = d;
		}
		if (pte) {
			set_pte(pmdp, 0); /* pmd_clear() */
			flush_tlb_range(mm, 0, TASK_SIZE);
		}
		spin_unlock(&d->ptl);
	}
	spin_unlock(pml);
	if (!pte)
		return;
	stat_inc(&mm_ts(mm)->freed_reclaim, 1);
	pt_unlinked_free(mm, pte);
	r->freed++;
}

/* The free_ptes sysctl handler: one pass over the whole mm. */
static int64_t bf_reclaim(struct ptsim_mm *mm)
{
	struct bf_reclaim r = {0};
	uint64_t t0;

	mmap_write_lock(mm);
	t0 = ptsim_now_ns();
	walk_pmd_range(mm, 0, TASK_SIZE, bf_reclaim_pmd, &r);
	__atomic_add_fetch(&mm->reclaim_write_lock_ns, ptsim_now_ns() - t0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mm->reclaim_passes, 1, __ATOMIC_RELAXED);
	mmap_write_unlock(mm);
	return (int64_t)(r.freed * PAGE_SIZE);
}

static uint64_t bf_reclaimable_bytes(struct ptsim_mm *mm)
{
	int64_t v = __atomic_load_n(&bf_mm(mm)->reclaimable, __ATOMIC_RELAXED);

	return v > 0 ? (uint64_t)v : 0;
}

static int bf_check_pte_table(struct ptdesc *pte, unsigned nonnone, unsigned nzero, char *msg,
                              size_t len)
{
	uint64_t v = bf_read(pte);
	bool touched = v != 0;

	if (bf_mapped(v) == nonnone && bf_zero(v) == nzero &&
	    (!touched || !!(v & BF_COUNTED) == bf_reclaimable(v)) && !(v >> 21))
		return 0;
	snprintf(msg, len,
	         "bitfield: PTE table %p counter %#llx (mapped %u zero %u) but %u non-none, "
	         "%u zero-page entries",
	         (void *)ptdesc_table(pte), (unsigned long long)v, bf_mapped(v), bf_zero(v),
	         nonnone, nzero);
	return -1;
}

const struct pt_strategy strategy_bitfield = {
        .name = "bitfield",
        .id = PTSIM_STRATEGY_BITFIELD,
        .era = &era_5_x,
        .ptes_set = bf_ptes_set,
        .ptes_cleared = bf_ptes_cleared,
        .pte_zero_replaced = bf_pte_zero_replaced,
        .reclaim = bf_reclaim,
        .reclaimable_bytes = bf_reclaimable_bytes,
        .mm_init = bf_mm_init,
        .mm_destroy = bf_mm_destroy,
        .free_table = bf_free_table,
        .check_pte_table = bf_check_pte_table,
};

// SPDX-License-Identifier: MIT
/*
 * bitfield: the 2022 RFC "Try to free empty and zero user PTE page table
 * pages" (v5.19). Era 5.x. Each PTE table keeps one non-atomic counter,
 * updated only under its PTL (track_pte_set() / track_pte_clear()): bits
 * 0-9 count the mapped (non-none) entries, bits 10-19 those mapping the
 * shared zero page. Walkers take no reference. Nothing is freed on the
 * fault or zap paths.
 *
 * The reclaimer is RFC 7/7's (the /proc/sys/vm/free_ptes handler, here
 * ptsim_reclaim()): mmap_read_trylock() or -EBUSY; a walk under the read
 * lock finds the PMDs whose table looks empty (mapped == 0) or all-zero-page
 * (zero == 512); for each it drops the read lock, takes the mmap lock for
 * write, finds the PMD again, and under the PMD lock alone (no PTL: with
 * the write lock held no fault or locked walker can be in the table)
 * re-checks the counter, clears the PMD and flushes the TLB for the 2 MiB
 * range (flush_tlb_range(), synchronous, under the PMD lock); then it drops
 * the write lock, takes the read lock again and frees the table at once, no
 * RCU (GUP-fast, with interrupts off, is excluded by the flush). Zero-page
 * entries need no frame put: the table goes with them. The lock cycling is
 * done per candidate PMD, as the RFC did per PMD it was going to free.
 *
 * reclaimable_pt_bytes: the per-mm total of tables that are empty or
 * all-zero-page (the cover letter's idea; not in the RFC's patches), kept
 * by the hooks: bit 20 of the counter says the table is counted in it.
 * The global order of mms by that total (reclaim_tree.h) is a libptsim
 * extension, not in the RFC: the cover letter only sketched it. A hook
 * under the PTL only adds to the per-mm atomic and marks the mm; the
 * re-key, which takes the tree's global lock, is deferred to the end of the
 * visit (pte_put(), no page-table lock held). A table freshly linked by
 * __pt_alloc() is not counted until its first entry comes and goes; a fork
 * child table into which nothing was copied is therefore freed by reclaim
 * without having been counted.
 *
 * Mutant PTSIM_MUTANT_BITFIELD_READ_LOCK: the per-PMD cycle takes the read
 * lock instead of the write lock, so a fault can be inside the table the
 * reclaimer frees.
 */
#include "strategy.h"

#include <stdio.h>

#include "memalloc.h"
#include "pgalloc.h"
#include "reclaim_tree.h"
#include "series_hook.h"
#include "tlb.h"

#define BF_MAPPED_SHIFT 0
#define BF_ZERO_SHIFT   10
#define BF_FIELD_MASK   0x3ffULL
#define BF_COUNTED      (1ULL << 20)

/* Per mm, in mm->strategy_data. */
struct bf_mm {
	int64_t reclaimable; /* bytes */
	uint32_t rekey;      /* reclaimable moved under a PTL: re-key at the visit's end */
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

/* Re-keys the mm in the global order: no page-table lock held. */
static void bf_rekey(struct ptsim_mm *mm)
{
	struct bf_mm *b = bf_mm(mm);

	__atomic_store_n(&b->rekey, 0, __ATOMIC_RELAXED);
	reclaim_tree_rekey(&b->node, mm, &b->reclaimable);
}

/* The table entered (+) or left (-) the empty-or-all-zero state, under its
 * PTL: the per-mm atomic now, the global re-key at pte_put(). */
static void bf_account(struct ptsim_mm *mm, int64_t delta)
{
	struct bf_mm *b = bf_mm(mm);

	__atomic_add_fetch(&b->reclaimable, delta, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&b->rekey, __ATOMIC_RELAXED))
		__atomic_store_n(&b->rekey, 1, __ATOMIC_RELAXED);
}

/* pte_unmap_unlock()'s tail: the PTL is dropped, do the deferred re-key. */
static void bf_pte_put(struct ptsim_mm *mm, struct ptdesc *pte)
{
	(void)pte;
	if (unlikely(__atomic_load_n(&bf_mm(mm)->rekey, __ATOMIC_RELAXED)))
		bf_rekey(mm);
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
	uint64_t v;

	series_hook(SERIES_HOOK_BF_PTES_SET, pte->mm, (uintptr_t)pte);
	v = bf_read(pte);

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

/* Leaves the mm's total; no page-table lock held (free_pgtables, exit,
 * the reclaimer after the PMD lock). */
static void bf_uncount(struct ptsim_mm *mm, struct ptdesc *d)
{
	if (bf_read(d) & BF_COUNTED) {
		__atomic_add_fetch(&bf_mm(mm)->reclaimable, -(int64_t)PAGE_SIZE, __ATOMIC_RELAXED);
		bf_rekey(mm);
	}
}

/* Unlinked by munmap or exit: the mmu_gather frees it after its flush. */
static void bf_free_table(struct ptdesc *d)
{
	if (d->level == PT_LEVEL_PTE)
		bf_uncount(d->mm, d);
	pt_free_rcu(d);
}

/* down_read_trylock() of the mmap lock: fails if a writer holds or waits. */
static bool mmap_read_trylock(struct ptsim_mm *mm)
{
	struct rwsem *s = &mm->mmap_lock;
	uint32_t v = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	if ((v & (RWSEM_WRITER | RWSEM_WAITERS)) ||
	    !__atomic_compare_exchange_n(&s->state, &v, v + 1, false, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		return false;
	stat_inc(&mm_ts(mm)->mmap_lock.acquisitions, 1);
	return true;
}

#define BF_BATCH 64

/* Candidates one walk under the read lock found. */
struct bf_scan {
	uint64_t addr[BF_BATCH];
	unsigned n;
	uint64_t resume; /* where the next walk starts; 0: the walk is complete */
};

/* pmd_entry of the RFC's walk: a table that looks free-able. The counter
 * is read without its PTL; the write-locked re-check decides. */
static void bf_scan_pmd(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, uint64_t end, void *priv)
{
	struct bf_scan *sc = priv;
	pte_t pmdval = pt_entry_read(pmdp);

	(void)mm;
	(void)end;
	if (sc->resume || pte_none(pmdval) || !(pmdval & _PAGE_PRESENT) ||
	    !bf_reclaimable(bf_read(ptdesc_of(entry_table(pmdval)))))
		return;
	if (sc->n == BF_BATCH) {
		sc->resume = addr;
		return;
	}
	sc->addr[sc->n++] = addr & ~(level_entry_span(PT_LEVEL_PMD) - 1);
}

/* free_pte_table() for one PMD: mmap lock held (write, or read in the
 * mutant). Returns the unlinked table, to be freed by the caller. */
static struct ptdesc *bf_unlink_pmd(struct ptsim_mm *mm, uint64_t addr)
{
	pte_t *pmdp = pt_walk(mm, addr, PT_LEVEL_PMD, false);
	struct ptsim_lock_stats *st;
	struct ptdesc *d = NULL;
	spinlock_t *pml;
	pte_t pmdval;
	uint64_t v;

	if (!pmdp)
		return NULL;
	pml = pmd_lockptr(mm, pmdp, &st);
	spin_lock(pml, st);
	pmdval = pt_entry_read(pmdp);
	if (!pte_none(pmdval) && (pmdval & _PAGE_PRESENT)) {
		d = ptdesc_of(entry_table(pmdval));
		v = bf_read(d);
		if (bf_reclaimable(v)) {
			set_pte(pmdp, 0); /* pmd_clear() */
			flush_tlb_range(mm, addr, addr + level_entry_span(PT_LEVEL_PMD));
			if (bf_mapped(v))
				stat_inc(&mm_ts(mm)->zero_ptes, -(uint64_t)bf_zero(v));
		} else {
			d = NULL;
		}
	}
	spin_unlock(pml);
	if (d)
		series_hook(SERIES_HOOK_BF_UNLINKED, mm, (uintptr_t)d);
	return d;
}

/* The free_ptes sysctl handler: one pass over the whole mm. */
static int64_t bf_reclaim(struct ptsim_mm *mm)
{
	bool mutant = READ_ONCE(mm->mutant) == PTSIM_MUTANT_BITFIELD_READ_LOCK;
	struct bf_scan sc = {.resume = 0};
	uint64_t from = 0, freed = 0, t0;

	if (!mmap_read_trylock(mm))
		return -EBUSY;
	do {
		sc.n = 0;
		sc.resume = 0;
		walk_pmd_range(mm, from, TASK_SIZE, bf_scan_pmd, &sc);
		for (unsigned i = 0; i < sc.n; i++) {
			struct ptdesc *d;

			mmap_read_unlock(mm);
			series_hook(SERIES_HOOK_BF_PMD_LOCKING, mm, !mutant);
			if (mutant) {
				mmap_read_lock(mm);
			} else {
				mmap_write_lock(mm);
				t0 = ptsim_now_ns();
			}
			d = bf_unlink_pmd(mm, sc.addr[i]);
			if (mutant) {
				mmap_read_unlock(mm);
			} else {
				__atomic_add_fetch(&mm->reclaim_write_lock_ns, ptsim_now_ns() - t0,
				                   __ATOMIC_RELAXED);
				mmap_write_unlock(mm);
			}
			mmap_read_lock(mm);
			if (!d)
				continue;
			/* Freed at once: the flush under the PMD lock was the last wait. */
			mm_account_table(mm, PT_LEVEL_PTE, -1);
			stat_inc(&mm_ts(mm)->freed_reclaim, 1);
			bf_uncount(mm, d);
			pt_free_final(d);
			freed++;
		}
		from = sc.resume;
	} while (from);
	__atomic_add_fetch(&mm->reclaim_passes, 1, __ATOMIC_RELAXED);
	mmap_read_unlock(mm);
	return (int64_t)(freed * PAGE_SIZE);
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
        .mutants = 1u << PTSIM_MUTANT_BITFIELD_READ_LOCK,
        .ptes_set = bf_ptes_set,
        .ptes_cleared = bf_ptes_cleared,
        .pte_zero_replaced = bf_pte_zero_replaced,
        .pte_put = bf_pte_put,
        .reclaim = bf_reclaim,
        .reclaimable_bytes = bf_reclaimable_bytes,
        .mm_init = bf_mm_init,
        .mm_destroy = bf_mm_destroy,
        .free_table = bf_free_table,
        .check_pte_table = bf_check_pte_table,
};

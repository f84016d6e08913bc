// SPDX-License-Identifier: MIT
/* Table allocation on the way down, and the map-and-lock of PTE tables. */
#include "pgalloc.h"

#include "cow_pte.h"
#include "strategy.h"
#include "test_hook.h"
#include "tlb.h"
#include "uaf.h"
#include "zap.h"

int __pt_alloc(struct ptsim_mm *mm, pte_t *p, int child_level)
{
	struct ptdesc *d = pt_alloc(mm, child_level);
	struct ptsim_lock_stats *st;
	spinlock_t *lock;

	if (!d)
		return -ENOMEM;
	if (child_level == PT_LEVEL_PTE && mm->ops->pte_table_ctor)
		mm->ops->pte_table_ctor(d);
	lock = pt_entry_lockptr(mm, (pte_t *)((uintptr_t)p & PAGE_MASK), child_level - 1, &st);
	spin_lock(lock, st);
	if (pte_none(ptep_get(p))) {
		d->parent = p;
		WRITE_ONCE(d->state, PTD_LINKED);
		mm_account_table(mm, child_level, 1);
		if (child_level == PT_LEVEL_PTE) {
			stat_inc(&mm_ts(mm)->pte_tables_allocated, 1);
			if (mm->ops->pmd_install)
				mm->ops->pmd_install(mm, d);
		}
		/* The release store orders the zeroed table before the entry. */
		pt_populate(p, ptdesc_table(d));
		d = NULL;
	}
	spin_unlock(lock);
	if (d)
		pt_free_now(d); /* never visible to anyone */
	return 0;
}

pte_t *pt_walk(struct ptsim_mm *mm, uint64_t addr, int level, bool alloc)
{
	pte_t *table = mm->pgd;
	bool chk = uaf_checked();

	for (int l = PT_LEVEL_PGD;; l++) {
		pte_t *p = &table[pt_index(addr, l)];
		pte_t e;

		if (l == level)
			return p;
		e = pt_entry_read(p);
		if (unlikely(chk) && !uaf_entry_valid(table, e, "pt_walk", addr))
			return NULL;
		if (pte_none(e)) {
			if (!alloc || __pt_alloc(mm, p, l + 1))
				return NULL;
			e = pt_entry_read(p);
		}
		table = entry_table(e);
	}
}

/*
 * __pte_offset_map_lock() since 6.5: the table may be freed under us, so
 * map it inside an RCU read section (which keeps it and its lock valid),
 * and after taking the PTL re-check that the PMD still maps it; retry if
 * not. hold_rcu: era 6.18, the section lasts until pte_unmap_unlock().
 * Otherwise (era 5.x on a COW link, below) it ends once the PTL is held
 * with the PMD unchanged: our link cannot go then (breaking it takes that
 * PTL).
 */
static pte_t *pte_offset_map_lock_rcu(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr,
                                      struct ptdesc **ptdp, bool hold_rcu)
{
	bool recheck = !hold_rcu || READ_ONCE(mm->mutant) != PTSIM_MUTANT_RCU_NO_PMD_RECHECK;

	for (;;) {
		pte_t pmdval;
		struct ptdesc *d;

		ptsim_rcu_read_lock();
		pmdval = pt_entry_read(pmdp);
		if (pte_none(pmdval) || !(pmdval & _PAGE_PRESENT)) {
			ptsim_rcu_read_unlock();
			return NULL;
		}
		/* The lock comes from the snapshot, not the live PMD (the table
		 * may be unlinked under us; RCU keeps it and its lock valid). */
		d = ptdesc_of(entry_table(pmdval));
		if (mm->ops->pte_tryget && !mm->ops->pte_tryget(mm, d)) {
			ptsim_rcu_read_unlock();
			return NULL;
		}
		test_hook(TEST_HOOK_PTE_MAP_SNAPSHOT, mm, addr);
		spin_lock(&d->ptl, &mm_ts(mm)->ptl);
		if (likely(!recheck || pt_entry_read(pmdp) == pmdval)) {
			if (!hold_rcu)
				ptsim_rcu_read_unlock();
			if (unlikely(!uaf_table_ok(entry_table(pmdval), "pte_offset_map_lock",
			                           addr))) {
				/* Locked a freed table: back off as if there were none. */
				spin_unlock(&d->ptl);
				if (hold_rcu)
					ptsim_rcu_read_unlock();
				return NULL;
			}
			*ptdp = d;
			return entry_table(pmdval) + pt_index(addr, PT_LEVEL_PTE);
		}
		spin_unlock(&d->ptl);
		ptsim_rcu_read_unlock();
		if (hold_rcu && mm->ops->pte_put)
			mm->ops->pte_put(mm, d);
	}
}

/*
 * Era 5.x (pte_offset_map_lock() before 6.5): no RCU section and no PMD
 * re-check. The caller's mmap lock is what keeps the table: only munmap
 * (on VMAs already detached) and the mmap write lock holders unlinked
 * tables. The refcounting series took their reference in a short RCU
 * section of their own (pte_try_get()); once held, the table cannot go.
 */
static pte_t *pte_offset_map_lock_5x(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr,
                                     struct ptdesc **ptdp)
{
	struct ptdesc *d;
	pte_t pmdval;

	if (mm->ops->pte_tryget)
		ptsim_rcu_read_lock();
	pmdval = pt_entry_read(pmdp);
	if (pte_none(pmdval) || !(pmdval & _PAGE_PRESENT)) {
		if (mm->ops->pte_tryget)
			ptsim_rcu_read_unlock();
		return NULL;
	}
	d = ptdesc_of(entry_table(pmdval));
	if (mm->ops->pte_tryget) {
		bool got = mm->ops->pte_tryget(mm, d);

		ptsim_rcu_read_unlock();
		if (!got)
			return NULL;
	}
	test_hook(TEST_HOOK_PTE_MAP_SNAPSHOT, mm, addr);
	spin_lock(&d->ptl, &mm_ts(mm)->ptl);
	if (unlikely(!uaf_table_ok(entry_table(pmdval), "pte_offset_map_lock", addr))) {
		spin_unlock(&d->ptl);
		if (mm->ops->pte_put)
			mm->ops->pte_put(mm, d);
		return NULL;
	}
	*ptdp = d;
	return entry_table(pmdval) + pt_index(addr, PT_LEVEL_PTE);
}

pte_t *pte_offset_map_lock(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, struct ptdesc **ptdp)
{
	/* Set by a tryget that failed for memory, not because the table goes. */
	ptsim_current.pte_map_enomem = false;
	if (mm->era->pte_map_rcu)
		return pte_offset_map_lock_rcu(mm, pmdp, addr, ptdp, true);
	/*
	 * Era 5.x, a COW link (only read-only walkers map one: every writer
	 * breaks COW first). Another thread of this mm may break the link
	 * under our mmap read lock, and another mm may then free the table,
	 * which our mmap lock does not exclude: so map it as 6.5 later did for
	 * every table. A libptsim addition: the RFC, on 5.18-6.3, relied on
	 * the mmap lock alone. Strategies with a tryget refuse COW PTE tables
	 * (ptsim.h).
	 */
	if (unlikely(pmd_cow(pt_entry_read(pmdp))) && !mm->ops->pte_tryget)
		return pte_offset_map_lock_rcu(mm, pmdp, addr, ptdp, false);
	return pte_offset_map_lock_5x(mm, pmdp, addr, ptdp);
}

void pte_unmap_unlock(struct ptsim_mm *mm, struct ptdesc *pte)
{
	/* Freed while we held its lock: only a broken strategy can do that. */
	uaf_table_ok(ptdesc_table(pte), "pte_unmap_unlock", 0);
	spin_unlock(&pte->ptl);
	if (mm->era->pte_map_rcu)
		ptsim_rcu_read_unlock();
	if (mm->ops->pte_put)
		mm->ops->pte_put(mm, pte);
}

bool pte_table_free_if_dead(struct ptsim_mm *mm, struct ptdesc *pte,
                            bool (*dead)(struct ptdesc *pte), bool zap)
{
	struct ptsim_lock_stats *st;
	pte_t *pmdp = pte->parent;
	spinlock_t *pml = pmd_lockptr(mm, pmdp, &st);
	pte_t pmdval;
	bool freed = false;

	spin_lock(pml, st);
	pmdval = pt_entry_read(pmdp);
	if (!pte_none(pmdval) && entry_table(pmdval) == ptdesc_table(pte) && dead(pte)) {
		set_pte(pmdp, 0); /* pmd_clear() */
		flush_tlb_range(mm, 0, TASK_SIZE);
		freed = true;
	}
	spin_unlock(pml);
	if (!freed)
		return false;
	stat_inc(zap ? &mm_ts(mm)->freed_zap : &mm_ts(mm)->freed_walker, 1);
	pt_unlinked_free(mm, pte);
	return true;
}

void pt_unlinked_free(struct ptsim_mm *mm, struct ptdesc *d)
{
	mm_account_table(mm, d->level, -1);
	if (!tlb_remove_table(mm, d))
		pt_free_table(mm, d);
}

void pt_free_table(struct ptsim_mm *mm, struct ptdesc *d)
{
	if (mm->ops->free_table)
		mm->ops->free_table(d);
	else
		pt_free_rcu(d);
}

static void walk_level(struct ptsim_mm *mm, pte_t *table, int level, uint64_t addr, uint64_t end,
                       pmd_range_fn fn, void *priv)
{
	do {
		uint64_t next = pt_addr_end(addr, end, level);
		pte_t *p = &table[pt_index(addr, level)];
		pte_t e = pt_entry_read(p);

		if (!pte_none(e)) {
			if (level == PT_LEVEL_PMD)
				fn(mm, p, addr, next, priv);
			else
				walk_level(mm, entry_table(e), level + 1, addr, next, fn, priv);
		}
		addr = next;
	} while (addr < end);
}

void walk_pmd_range(struct ptsim_mm *mm, uint64_t addr, uint64_t end, pmd_range_fn fn, void *priv)
{
	if (addr < end)
		walk_level(mm, mm->pgd, PT_LEVEL_PGD, addr, end, fn, priv);
}

// SPDX-License-Identifier: MIT
/*
 * free_pgtables(): the munmap/exit side of table freeing, with the kernel's
 * floor/ceiling rule — a table goes only when no remaining VMA can use it.
 * Runs under the mmap lock held for write after the entries were zapped,
 * so it takes no PTL; tables still go through the strategy's free (RCU),
 * because a lockless walker may be reading them.
 */
#include "zap.h"

#include "cow_pte.h"
#include "pgalloc.h"
#include "strategy.h"

/* A table at `level` spans this much. */
static inline uint64_t table_span(int level)
{
	return level == PT_LEVEL_PGD ? 0 : level_entry_span(level - 1);
}

/* The per-level "freed" counter of a PTE table freed by `pte_path`, or of
 * an upper-level table (any path). */
static void count_freed(struct ptsim_mm *mm, const struct ptdesc *d, uint64_t *pte_path)
{
	struct mm_thread_stats *ts = mm_ts(mm);

	if (d->level == PT_LEVEL_PTE)
		stat_inc(pte_path, 1);
	else if (d->level == PT_LEVEL_PMD)
		stat_inc(&ts->freed_pmd, 1);
	else
		stat_inc(&ts->freed_pud, 1);
}

static void free_table_entry(struct ptsim_mm *mm, pte_t *p)
{
	struct ptdesc *d = ptdesc_of(entry_table(pt_entry_read(p)));

	/* A table other mms still link is not ours to free: drop the link
	 * (or reuse the table if it is ours alone now, and free it). */
	if (d->level == PT_LEVEL_PTE && pmd_cow(pt_entry_read(p)) && !cow_pte_mutant(mm) &&
	    cow_pte_unshare(mm, p))
		return;
	set_pte(p, 0);
	count_freed(mm, d, &mm_ts(mm)->freed_unmap);
	pt_unlinked_free(mm, d);
}

/*
 * free_pmd_range() / free_pud_range() in one: free the child tables of the
 * entries of `table` (level `level`) in [addr, end), then the table itself
 * if the floor and ceiling allow it.
 */
static void free_level_range(struct ptsim_mm *mm, pte_t *parent_entry, int level, uint64_t addr,
                             uint64_t end, uint64_t floor, uint64_t ceiling)
{
	pte_t *table = entry_table(pt_entry_read(parent_entry));
	uint64_t start = addr, mask;

	do {
		uint64_t next = pt_addr_end(addr, end, level);
		pte_t *p = &table[pt_index(addr, level)];

		if (!pte_none(pt_entry_read(p))) {
			if (level == PT_LEVEL_PMD)
				free_table_entry(mm, p); /* free_pte_range() */
			else
				free_level_range(mm, p, level + 1, addr, next, floor, ceiling);
		}
		addr = next;
	} while (addr < end);

	/* The table spans [start & mask, + span): keep it if a neighbour may use it. */
	mask = ~(table_span(level) - 1);
	start &= mask;
	if (start < floor)
		return;
	if (ceiling) {
		ceiling &= mask;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		return;
	free_table_entry(mm, parent_entry);
}

/* free_pgd_range() */
static void free_pgd_range(struct ptsim_mm *mm, uint64_t addr, uint64_t end, uint64_t floor,
                           uint64_t ceiling)
{
	/* Round inwards to whole PTE tables that lie between floor and ceiling;
	 * 0 as ceiling means the top of the address space (ceiling-1 wraps). */
	addr &= PMD_MASK;
	if (addr < floor) {
		addr += PMD_SIZE;
		if (!addr)
			return;
	}
	if (ceiling) {
		ceiling &= PMD_MASK;
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		end -= PMD_SIZE;
	if (addr > end - 1)
		return;

	do {
		uint64_t next = pt_addr_end(addr, end, PT_LEVEL_PGD);
		pte_t *p = &mm->pgd[pt_index(addr, PT_LEVEL_PGD)];

		if (!pte_none(pt_entry_read(p)))
			free_level_range(mm, p, PT_LEVEL_PGD + 1, addr, next, floor, ceiling);
		addr = next;
	} while (addr < end);
}

void free_pgtables(struct ptsim_mm *mm, const struct vm_area *list, uint64_t floor,
                   uint64_t ceiling)
{
	const struct vm_area *v = list;

	/* A strategy that frees upper tables under its own lock (rwsem) must
	 * keep them still while this walks and frees them too. */
	pt_free_begin(mm);
	while (v) {
		uint64_t addr = v->start;

		/* VMAs close enough to share a PTE table are freed as one range. */
		while (v->detached_next && v->detached_next->start <= v->end + PMD_SIZE)
			v = v->detached_next;
		free_pgd_range(mm, addr, v->end, floor,
		               v->detached_next ? v->detached_next->start : ceiling);
		v = v->detached_next;
	}
	pt_free_end(mm);
}

/*
 * The tables behind the entries of `table` (level `level`) in [addr, end):
 * their empty descendants first, then each of them if it has no entry left.
 */
static void free_empty_range(struct ptsim_mm *mm, pte_t *table, int level, uint64_t addr,
                             uint64_t end)
{
	do {
		uint64_t next = pt_addr_end(addr, end, level);
		pte_t *p = &table[pt_index(addr, level)];
		pte_t e = pt_entry_read(p);

		/* A COW link's table is other mms' too: never ours to free. */
		if (!pte_none(e) && !(level == PT_LEVEL_PMD && pmd_cow(e))) {
			pte_t *child = entry_table(e);

			if (level + 1 < PT_LEVEL_PTE)
				free_empty_range(mm, child, level + 1, addr, next);
			if (pt_table_empty(child)) {
				struct ptdesc *d = ptdesc_of(child);

				set_pte(p, 0);
				count_freed(mm, d, &mm_ts(mm)->freed_zap);
				pt_unlinked_free(mm, d);
			}
		}
		addr = next;
	} while (addr < end);
}

void free_empty_pgtables(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	if (start < end)
		free_empty_range(mm, mm->pgd, PT_LEVEL_PGD, start, end);
}

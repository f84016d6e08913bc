// SPDX-License-Identifier: MIT
/*
 * unsafe: a deliberately broken scheme, kept to show the race the others
 * prevent. Like rcu it frees a PTE table that a whole-table DONTNEED left
 * empty, but it checks and clears the PMD without the PMD lock or the PTL
 * and frees the page at once, with no RCU grace period: a lockless walker
 * (GUP-fast, the MMU) or a faulter that already mapped the table reads or
 * writes freed memory. Run it in checked mode (ptsim_set_checked) and the
 * use-after-free detector reports it; run it without, and it may corrupt.
 */
#include "strategy.h"

#include "pgalloc.h"

/* Straight to the allocator (quarantined in checked mode): no grace period. */
static void unsafe_free_table(struct ptdesc *d)
{
	pt_free_final(d);
}

static void unsafe_zap_pte_done(struct zap_pte_state *z)
{
	pte_t pmdval = pt_entry_read(z->pmdp);

	if (!z->reclaim_pt || z->end - z->start < PMD_SIZE || pte_none(pmdval))
		return;
	if (!pt_table_empty(entry_table(pmdval)))
		return;
	set_pte(z->pmdp, 0); /* no lock: a faulter may be filling it right now */
	stat_inc(&mm_ts(z->mm)->freed_zap, 1);
	/* Not through the mmu_gather either: freed before any TLB flush, so
	 * GUP-fast and the MMU are not waited for. */
	mm_account_table(z->mm, PT_LEVEL_PTE, -1);
	unsafe_free_table(ptdesc_of(entry_table(pmdval)));
}

const struct pt_strategy strategy_unsafe = {
        .name = "unsafe",
        .id = PTSIM_STRATEGY_UNSAFE,
        .era = &era_6_18,
        .zap_pte_done = unsafe_zap_pte_done,
        .free_table = unsafe_free_table,
};

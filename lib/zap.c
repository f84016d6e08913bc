// SPDX-License-Identifier: MIT
/* The zap path: clear entries, drop frames, let the strategy free the table. */
#include "zap.h"

#include "cow_pte.h"
#include "frame.h"
#include "pgalloc.h"
#include "strategy.h"
#include "test_hook.h"
#include "tlb.h"

/* The gather open on this thread, innermost first. */
static __thread struct mmu_gather *tlb_current;

void tlb_gather_mmu(struct mmu_gather *tlb, struct ptsim_mm *mm)
{
	tlb->mm = mm;
	tlb->need_flush = false;
	tlb->tables = NULL;
	tlb->outer = tlb_current;
	tlb_current = tlb;
}

bool tlb_remove_table(struct ptsim_mm *mm, struct ptdesc *d)
{
	struct mmu_gather *tlb = tlb_current;

	if (!tlb || tlb->mm != mm)
		return false;
	d->rcu.next = tlb->tables;
	tlb->tables = d;
	tlb->need_flush = true; /* tlb->freed_tables: the flush covers the walk caches */
	return true;
}

void tlb_flush_mmu(struct mmu_gather *tlb)
{
	struct ptdesc *d = tlb->tables, *next;

	if (!tlb->need_flush)
		return;
	flush_tlb_range(tlb->mm, 0, TASK_SIZE);
	tlb->need_flush = false;
	tlb->tables = NULL;
	/* tlb_batch_list_free() / tlb_remove_table_free(): after the flush. */
	for (; d; d = next) {
		next = d->rcu.next;
		pt_free_table(tlb->mm, d);
	}
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu(tlb);
	tlb_current = tlb->outer;
}

struct zap_walk {
	struct mmu_gather *tlb;
	struct ptsim_mm *mm;
	const struct zap_details *details;
	unsigned gathered; /* frames in the simulated mmu_gather batch */
};

/* do_zap_pte_range() + zap_present_ptes(): clear entries from pte up to
 * end, stopping early when the gather batch fills (force_break). */
static uint64_t zap_ptes_locked(struct zap_walk *w, struct ptdesc *d, pte_t *pte, uint64_t addr,
                                uint64_t end, bool *force_break)
{
	struct ptsim_mm *mm = w->mm;
	unsigned cleared = 0, zero = 0, frames = 0;

	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t e = ptep_get(pte);

		if (pte_none(e))
			continue;
		set_pte(pte, 0);
		cleared++;
		if (pte_present(e)) {
			uint64_t pfn = pte_pfn(e);

			if (is_zero_pfn(pfn)) {
				zero++;
			} else {
				frame_put(pfn_frame(pfn));
				frames++;
				if (++w->gathered >= READ_ONCE(mm->gather_batch)) {
					addr += PAGE_SIZE;
					*force_break = true;
					break;
				}
			}
		}
	}
	if (cleared) {
		struct mm_thread_stats *ts = mm_ts(mm);

		tlb_flush_pte_range(w->tlb);
		stat_inc(&ts->rss, -(uint64_t)frames);
		stat_inc(&ts->zero_ptes, -(uint64_t)zero);
		if (mm->ops->ptes_cleared)
			mm->ops->ptes_cleared(d, cleared, zero);
	}
	return addr;
}

/* zap_pte_range(): one PMD's worth of the request. */
static void zap_pte_range(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, uint64_t end, void *priv)
{
	struct zap_walk *w = priv;
	struct zap_pte_state z = {
	        .mm = mm,
	        .pmdp = pmdp,
	        .start = addr,
	        .end = end,
	        .reclaim_pt = w->details && w->details->reclaim_pt,
	        .ptl_held_throughout = true,
	};
	pte_t *pte;

	/* zap_cow_pte(): a shared table is never emptied under the other mms.
	 * Zapping all of it drops our link; part of it, breaks COW first. */
	if (unlikely(pmd_cow(pt_entry_read(pmdp))) && !cow_pte_mutant(mm)) {
		if (!(addr & ~PMD_MASK) && end - addr == PMD_SIZE) {
			if (cow_pte_unshare(mm, pmdp))
				return;
		} else {
			cow_pte_break_nofail(mm, pmdp);
		}
	}
	for (;;) {
		bool force_break = false;

		pte = pte_offset_map_lock(mm, pmdp, addr, &z.pte);
		if (!pte)
			return; /* no table (or it was freed under us): nothing to zap */
		addr = zap_ptes_locked(w, z.pte, pte, addr, end, &force_break);
		if (addr == end && mm->ops->zap_pte_locked)
			mm->ops->zap_pte_locked(&z);
		pte_unmap_unlock(mm, z.pte);
		if (force_break) {
			tlb_flush_mmu(w->tlb); /* the batch is full: flush, free the tables */
			w->gathered = 0;
		}
		if (addr == end)
			break;
		/* The PTL was dropped mid-table: others may refill what we
		 * zapped, so the strategy may no longer trust this pass. */
		z.ptl_held_throughout = false;
		test_hook(TEST_HOOK_ZAP_PTL_DROPPED, mm, addr);
	}
	if (mm->ops->zap_pte_done)
		mm->ops->zap_pte_done(&z);
}

void unmap_page_range(struct mmu_gather *tlb, uint64_t start, uint64_t end,
                      const struct zap_details *details)
{
	struct zap_walk w = {.tlb = tlb, .mm = tlb->mm, .details = details};

	pt_walk_begin(tlb->mm);
	walk_pmd_range(tlb->mm, start, end, zap_pte_range, &w);
	pt_walk_end(tlb->mm);
}

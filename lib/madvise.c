// SPDX-License-Identifier: MIT
/* madvise: DONTNEED, FREE, COLD, PAGEOUT, POPULATE_*, and NORMAL/WILLNEED as no-ops. */
#include "cow_pte.h"
#include "fault.h"
#include "frame.h"
#include "mmap.h"
#include "pgalloc.h"
#include "strategy.h"
#include "vma_lock.h"
#include "zap.h"

/* madvise_dontneed_single_vma(): zap, letting the strategy free tables;
 * one mmu_gather, so one TLB flush, per VMA. */
static void madvise_dontneed(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	const struct zap_details details = {.reclaim_pt = true};
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	unmap_page_range(&tlb, start, end, &details);
	if (mm->ops->dontneed_done)
		mm->ops->dontneed_done(mm, start, end);
	tlb_finish_mmu(&tlb);
}

/* madvise_free_pte_range(): exclusive frames become clean and old (lazily
 * freeable); the entries stay. With priv set,
 * madvise_cold_or_pageout_pte_range(): they only become old. After
 * MADV_FREE a strategy may look at the table (percpu: patch 15/18's
 * try_to_free_user_pte()). */
static void madvise_free_pte_range(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, uint64_t end,
                                   void *priv)
{
	pte_t clear = priv ? _PAGE_ACCESSED : _PAGE_ACCESSED | _PAGE_DIRTY;
	struct ptdesc *d;
	pte_t *pte;

	/* Entries change below: not in a table other mms link. */
	cow_pte_break_before_change(mm, pmdp);
	pte = pte_offset_map_lock(mm, pmdp, addr, &d);

	if (!pte)
		return;
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t e = ptep_get(pte);
		uint64_t pfn = pte_pfn(e);

		if (!pte_present(e) || is_zero_pfn(pfn))
			continue;
		if (frame_refcount(pfn_frame(pfn)) != 1)
			continue; /* shared with another mm: left alone */
		set_pte(pte, e & ~clear);
	}
	pte_unmap_unlock(mm, d);
	if (!priv && mm->ops->madv_free_pte_done)
		mm->ops->madv_free_pte_done(mm, pmdp);
}

static bool advice_valid(int advice)
{
	return advice == PTSIM_MADV_DONTNEED || advice == PTSIM_MADV_FREE ||
	       advice == PTSIM_MADV_POPULATE_READ || advice == PTSIM_MADV_POPULATE_WRITE ||
	       advice == PTSIM_MADV_NORMAL || advice == PTSIM_MADV_WILLNEED ||
	       advice == PTSIM_MADV_COLD || advice == PTSIM_MADV_PAGEOUT;
}

/* madvise_populate(): fault the range in, VMA by VMA as faultin_page_range()
 * does: what precedes a hole (-ENOMEM) or a VMA that forbids the access
 * (-EINVAL) stays populated. */
static int madvise_populate(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool write)
{
	return populate_range(mm, start, end, write);
}

/* What each advice does to one VMA's part of the range; NORMAL and
 * WILLNEED do nothing to anonymous memory here. */
static void madvise_apply(struct ptsim_mm *mm, uint64_t start, uint64_t end, int advice)
{
	if (advice == PTSIM_MADV_DONTNEED) {
		madvise_dontneed(mm, start, end);
	} else if (advice == PTSIM_MADV_FREE || advice == PTSIM_MADV_COLD ||
	           advice == PTSIM_MADV_PAGEOUT) {
		pt_walk_begin(mm);
		walk_pmd_range(mm, start, end, madvise_free_pte_range,
		               advice == PTSIM_MADV_FREE ? NULL : (void *)1);
		pt_walk_end(mm);
	}
}

/*
 * madvise_lock() with MADVISE_VMA_READ_LOCK (try_vma_read_lock()): when
 * [start, end) lies in one VMA, DONTNEED and FREE run under that VMA's
 * read lock. False: the caller takes the mmap read lock instead.
 */
static bool madvise_vma_locked(struct ptsim_mm *mm, uint64_t start, uint64_t end, int advice)
{
	struct vm_area *vma = lock_vma_under_rcu(mm, start);

	if (!vma)
		return false;
	if (end > vma->end) {
		vma_end_read(vma);
		return false;
	}
	madvise_apply(mm, start, end, advice);
	vma_end_read(vma);
	return true;
}

int ptsim_madvise(struct ptsim_mm *mm, uint64_t start, uint64_t len_in, int advice)
{
	const struct vma_tree *t;
	uint64_t len, end, pos;
	int ret, unmapped_error = 0;

	if (!mm || !advice_valid(advice) || (start & ~PAGE_MASK))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	t = &mm->vmas;
	if (mm->era->per_vma_locks &&
	    (advice == PTSIM_MADV_DONTNEED || advice == PTSIM_MADV_FREE)) {
		if (madvise_vma_locked(mm, start, end, advice))
			return 0;
		stat_inc(&mm_ts(mm)->vma_lock_fallbacks, 1);
	}
	/* madvise_need_mmap_write(): NORMAL rewrites vm_flags. */
	if (advice == PTSIM_MADV_NORMAL)
		mmap_write_lock(mm);
	else
		mmap_read_lock(mm);
	if (advice == PTSIM_MADV_POPULATE_READ || advice == PTSIM_MADV_POPULATE_WRITE) {
		ret = madvise_populate(mm, start, end, advice == PTSIM_MADV_POPULATE_WRITE);
		mmap_read_unlock(mm);
		return ret;
	}
	/* madvise_walk_vmas(): apply to each mapped part, remember holes. */
	pos = start;
	for (uint32_t i = vma_find_index(t, start); i < t->nr && t->v[i]->start < end; i++) {
		uint64_t s = t->v[i]->start > pos ? t->v[i]->start : pos;
		uint64_t e = t->v[i]->end < end ? t->v[i]->end : end;

		if (t->v[i]->start > pos)
			unmapped_error = -ENOMEM;
		madvise_apply(mm, s, e, advice);
		pos = e;
	}
	if (pos < end)
		unmapped_error = -ENOMEM;
	if (advice == PTSIM_MADV_NORMAL)
		mmap_write_unlock(mm);
	else
		mmap_read_unlock(mm);
	return unmapped_error;
}

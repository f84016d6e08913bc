// SPDX-License-Identifier: MIT
/* The statistics API: per-mm sums of the threads' counters, global figures. */
#include <string.h>

#include "frame.h"
#include "memalloc.h"
#include "strategy.h"

void mm_global_lock_stats(struct ptsim_lock_stats out[5], uint64_t *live);
int ptsim_mm_get_stats_locked(struct ptsim_mm *mm, struct ptsim_mm_stats *st);

/* Sums without the mmap lock: exact when the mm is quiet, a snapshot otherwise. */
int ptsim_mm_get_stats_locked(struct ptsim_mm *mm, struct ptsim_mm_stats *st)
{
	struct ptsim_lock_stats dummy = {0};
	const struct vma_tree *t = &mm->vmas;

	memset(st, 0, sizeof(*st));
	spin_lock(&mm->stats_lock, &dummy);
	for (struct mm_thread_stats *s = mm->stats_list; s; s = s->next) {
		st->faults_read += READ_ONCE(s->faults_read);
		st->faults_write += READ_ONCE(s->faults_write);
		st->faults_cow += READ_ONCE(s->faults_cow);
		st->access_hits += READ_ONCE(s->access_hits);
		st->rss_anon_pages += READ_ONCE(s->rss);
		st->zero_page_ptes += READ_ONCE(s->zero_ptes);
		st->pte_tables_allocated += READ_ONCE(s->pte_tables_allocated);
		st->pte_tables_freed_zap += READ_ONCE(s->freed_zap);
		st->pte_tables_freed_unmap += READ_ONCE(s->freed_unmap);
		st->pte_tables_freed_reclaim += READ_ONCE(s->freed_reclaim);
		st->pte_tables_freed_walker += READ_ONCE(s->freed_walker);
		st->refcount_atomics += READ_ONCE(s->refcount_atomics);
		lock_stats_add(&st->mmap_lock, &s->mmap_lock);
		lock_stats_add(&st->ptl, &s->ptl);
		lock_stats_add(&st->pmd_lock, &s->pmd_lock);
		lock_stats_add(&st->page_table_lock, &s->page_table_lock);
		lock_stats_add(&st->vma_lock, &s->vma_lock);
		st->vma_lock_fallbacks += READ_ONCE(s->vma_lock_fallbacks);
		st->tlb_flushes += READ_ONCE(s->tlb_flushes);
		st->tlb_flush_ns += READ_ONCE(s->tlb_flush_ns);
		st->tlb_irqs_off_wait_ns += READ_ONCE(s->tlb_irqs_off_wait_ns);
		st->gp_waits += READ_ONCE(s->gp_waits);
		st->gp_wait_ns += READ_ONCE(s->gp_wait_ns);
	}
	spin_unlock(&mm->stats_lock);
	st->faults = st->faults_read + st->faults_write + st->faults_cow;
	st->pte_tables_freed = st->pte_tables_freed_zap + st->pte_tables_freed_unmap +
	                       st->pte_tables_freed_reclaim + st->pte_tables_freed_walker;
	st->pgtables_bytes = (uint64_t)READ_ONCE(mm->pgtables_bytes);
	st->nr_pte_tables = (uint64_t)READ_ONCE(mm->nr_tables[PT_LEVEL_PTE]);
	st->nr_pmd_tables = (uint64_t)READ_ONCE(mm->nr_tables[PT_LEVEL_PMD]);
	st->nr_pud_tables = (uint64_t)READ_ONCE(mm->nr_tables[PT_LEVEL_PUD]);
	st->tables_pending_free = (uint64_t)READ_ONCE(mm->tables_pending_free);
	st->pt_side_bytes = (uint64_t)READ_ONCE(mm->pt_side_bytes);
	st->reclaim_passes = READ_ONCE(mm->reclaim_passes);
	st->reclaim_write_lock_ns = READ_ONCE(mm->reclaim_write_lock_ns);
	st->reclaimable_pt_bytes = mm->ops->reclaimable_bytes ? mm->ops->reclaimable_bytes(mm) : 0;
	st->nr_vmas = t->nr;
	for (uint32_t i = 0; i < t->nr; i++)
		st->total_vm_pages += (t->v[i]->end - t->v[i]->start) >> PAGE_SHIFT;
	return 0;
}

int ptsim_mm_get_stats(struct ptsim_mm *mm, struct ptsim_mm_stats *st)
{
	int ret;

	if (!mm || !st)
		return -EINVAL;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	/* The VMA figures need the layout stable. */
	mmap_read_lock(mm);
	ret = ptsim_mm_get_stats_locked(mm, st);
	mmap_read_unlock(mm);
	return ret;
}

int ptsim_get_global_stats(struct ptsim_global_stats *st)
{
	struct ptsim_lock_stats locks[5];

	if (!st)
		return -EINVAL;
	ptsim_thread_enter();
	memset(st, 0, sizeof(*st));
	pt_alloc_stats(&st->tables_in_use, &st->table_slabs, &st->tables_pending_free);
	st->table_slab_bytes = st->table_slabs * PT_SLAB_SIZE;
	frame_global_stats(&st->frames_in_use, &st->frame_meta_bytes);
	ptsim_memalloc_stats(&st->sim_allocated_bytes, &st->sim_resident_bytes);
	mm_global_lock_stats(locks, &st->live_mms);
	st->mmap_lock = locks[0];
	st->ptl = locks[1];
	st->pmd_lock = locks[2];
	st->page_table_lock = locks[3];
	st->vma_lock = locks[4];
	return 0;
}

uint64_t ptsim_zero_pfn(void)
{
	return frame_pfn(ZERO_FRAME);
}

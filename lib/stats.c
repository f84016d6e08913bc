// SPDX-License-Identifier: MIT
/* The statistics API: per-mm sums of the threads' counters, global figures. */
#include <string.h>

#include "cow_pte.h"
#include "frame.h"
#include "memalloc.h"
#include "strategy.h"

int ptsim_mm_get_stats_locked(struct ptsim_mm *mm, struct ptsim_mm_stats *st);

/* Sums without the mmap lock (any caller may hold it or not): exact when
 * the mm is quiet, a snapshot otherwise. */
int ptsim_mm_get_stats_locked(struct ptsim_mm *mm, struct ptsim_mm_stats *st)
{
	struct ptsim_lock_stats dummy = {0};

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
		st->cow_pte_shared += READ_ONCE(s->cow_pte_shared);
		st->cow_pte_copied += READ_ONCE(s->cow_pte_copied);
		st->cow_pte_reused += READ_ONCE(s->cow_pte_reused);
		st->cow_pte_dropped += READ_ONCE(s->cow_pte_dropped);
		st->cow_pte_adopted += READ_ONCE(s->cow_pte_adopted);
		st->cow_pte_disowned += READ_ONCE(s->cow_pte_disowned);
		lock_stats_add(&st->pt_rwsem, &s->pt_rwsem_read);
		lock_stats_add(&st->pt_rwsem, &s->pt_rwsem_write);
		lock_stats_add(&st->pt_rwsem_write, &s->pt_rwsem_write);
		st->pmd_tables_freed += READ_ONCE(s->freed_pmd);
		st->pud_tables_freed += READ_ONCE(s->freed_pud);
	}
	spin_unlock(&mm->stats_lock);
	st->faults = st->faults_read + st->faults_write + st->faults_cow;
	st->pte_tables_freed = st->pte_tables_freed_zap + st->pte_tables_freed_unmap +
	                       st->pte_tables_freed_reclaim + st->pte_tables_freed_walker;
	st->pgtables_bytes_freed =
	        (st->pte_tables_freed + st->pmd_tables_freed + st->pud_tables_freed) * PAGE_SIZE;
	st->pgtables_bytes = (uint64_t)READ_ONCE(mm->pgtables_bytes);
	st->nr_pte_tables = (uint64_t)READ_ONCE(mm->nr_tables[PT_LEVEL_PTE]);
	st->nr_pmd_tables = (uint64_t)READ_ONCE(mm->nr_tables[PT_LEVEL_PMD]);
	st->nr_pud_tables = (uint64_t)READ_ONCE(mm->nr_tables[PT_LEVEL_PUD]);
	st->tables_pending_free = (uint64_t)READ_ONCE(mm->tables_pending_free);
	st->pt_side_bytes = (uint64_t)READ_ONCE(mm->pt_side_bytes);
	st->reclaim_passes = READ_ONCE(mm->reclaim_passes);
	st->reclaim_write_lock_ns = READ_ONCE(mm->reclaim_write_lock_ns);
	st->reclaimable_pt_bytes = mm->ops->reclaimable_bytes ? mm->ops->reclaimable_bytes(mm) : 0;
	st->nr_vmas = (uint64_t)READ_ONCE(mm->map_count);
	st->total_vm_pages = (uint64_t)READ_ONCE(mm->total_vm);
	return 0;
}

/* Copies the first `size` bytes of what the library has; zeros past it. */
static void copy_sized(void *dst, const void *src, size_t have, size_t size)
{
	memcpy(dst, src, size < have ? size : have);
	if (size > have)
		memset((char *)dst + have, 0, size - have);
}

int ptsim_mm_get_stats_sized(struct ptsim_mm *mm, struct ptsim_mm_stats *st, size_t size)
{
	struct ptsim_mm_stats full;
	int ret;

	if (!mm || !st || !size)
		return -EINVAL;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	/* No mmap lock: every figure is a counter (the VMA ones included),
	 * so reading them is invisible in the lock statistics. */
	ptsim_mm_get_stats_locked(mm, &full);
	copy_sized(st, &full, sizeof(full), size);
	return 0;
}

int(ptsim_mm_get_stats)(struct ptsim_mm *mm, struct ptsim_mm_stats *st)
{
	return ptsim_mm_get_stats_sized(mm, st, sizeof(*st));
}

static void global_stats(struct ptsim_global_stats *st)
{
	struct ptsim_lock_stats locks[MM_LOCK_KINDS];

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
	cow_pte_global_stats(&st->cow_pte_shared_tables, &st->cow_pte_unowned_tables);
	st->pt_rwsem = locks[5];
}

int ptsim_get_global_stats_sized(struct ptsim_global_stats *st, size_t size)
{
	struct ptsim_global_stats full;

	if (!st || !size)
		return -EINVAL;
	ptsim_thread_enter();
	global_stats(&full);
	copy_sized(st, &full, sizeof(full), size);
	return 0;
}

int(ptsim_get_global_stats)(struct ptsim_global_stats *st)
{
	return ptsim_get_global_stats_sized(st, sizeof(*st));
}

/* The mallctl()-style names: each a uint64_t field of the struct. */
struct stat_name {
	const char *name;
	size_t off;
};

#define F(s, f)                           \
	{                                 \
#f, offsetof(struct s, f) \
	}
#define LOCK(s, l) F(s, l.acquisitions), F(s, l.contended), F(s, l.wait_ns)
#define MM(f)      F(ptsim_mm_stats, f)
#define MM_LOCK(l) LOCK(ptsim_mm_stats, l)
#define GL(f)      F(ptsim_global_stats, f)
#define GL_LOCK(l) LOCK(ptsim_global_stats, l)

static const struct stat_name mm_names[] = {
        MM(pgtables_bytes),
        MM(nr_pte_tables),
        MM(nr_pmd_tables),
        MM(nr_pud_tables),
        MM(rss_anon_pages),
        MM(zero_page_ptes),
        MM(nr_vmas),
        MM(total_vm_pages),
        MM(faults),
        MM(faults_read),
        MM(faults_write),
        MM(faults_cow),
        MM(access_hits),
        MM(pte_tables_allocated),
        MM(pte_tables_freed),
        MM(pte_tables_freed_zap),
        MM(pte_tables_freed_unmap),
        MM(pte_tables_freed_reclaim),
        MM(pte_tables_freed_walker),
        MM(tables_pending_free),
        MM(reclaimable_pt_bytes),
        MM(refcount_atomics),
        MM(reclaim_passes),
        MM(reclaim_write_lock_ns),
        MM_LOCK(mmap_lock),
        MM_LOCK(ptl),
        MM_LOCK(pmd_lock),
        MM_LOCK(page_table_lock),
        MM_LOCK(vma_lock),
        MM(vma_lock_fallbacks),
        MM(tlb_flushes),
        MM(tlb_flush_ns),
        MM(tlb_irqs_off_wait_ns),
        MM(pt_side_bytes),
        MM(gp_waits),
        MM(gp_wait_ns),
        MM(cow_pte_shared),
        MM(cow_pte_copied),
        MM(cow_pte_reused),
        MM(cow_pte_dropped),
        MM(cow_pte_adopted),
        MM(cow_pte_disowned),
        MM_LOCK(pt_rwsem),
        MM_LOCK(pt_rwsem_write),
        MM(pmd_tables_freed),
        MM(pud_tables_freed),
        MM(pgtables_bytes_freed),
};

static const struct stat_name global_names[] = {
        GL(live_mms),
        GL(tables_in_use),
        GL(tables_pending_free),
        GL(table_slabs),
        GL(table_slab_bytes),
        GL(frames_in_use),
        GL(frame_meta_bytes),
        GL(sim_allocated_bytes),
        GL(sim_resident_bytes),
        GL_LOCK(mmap_lock),
        GL_LOCK(ptl),
        GL_LOCK(pmd_lock),
        GL_LOCK(page_table_lock),
        GL_LOCK(vma_lock),
        GL(cow_pte_shared_tables),
        GL(cow_pte_unowned_tables),
        GL_LOCK(pt_rwsem),
};

/* A field appended to a stats struct needs its name here too. */
_Static_assert(ARRAY_SIZE(mm_names) * sizeof(uint64_t) == sizeof(struct ptsim_mm_stats),
               "struct ptsim_mm_stats has a field without a name in mm_names[]");
_Static_assert(ARRAY_SIZE(global_names) * sizeof(uint64_t) == sizeof(struct ptsim_global_stats),
               "struct ptsim_global_stats has a field without a name in global_names[]");

const char *ptsim_stat_name(int global, size_t i)
{
	if (global)
		return i < ARRAY_SIZE(global_names) ? global_names[i].name : NULL;
	return i < ARRAY_SIZE(mm_names) ? mm_names[i].name : NULL;
}

static const struct stat_name *stat_find(const struct stat_name *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

int ptsim_stat_get(struct ptsim_mm *mm, const char *name, uint64_t *value)
{
	const struct stat_name *f;
	int ret;

	if (!name || !value)
		return -EINVAL;
	if (mm) {
		struct ptsim_mm_stats st;

		f = stat_find(mm_names, ARRAY_SIZE(mm_names), name);
		if (!f)
			return -ENOENT;
		ret = ptsim_mm_get_stats_sized(mm, &st, sizeof(st));
		if (ret)
			return ret;
		memcpy(value, (const char *)&st + f->off, sizeof(*value));
	} else {
		struct ptsim_global_stats st;

		f = stat_find(global_names, ARRAY_SIZE(global_names), name);
		if (!f)
			return -ENOENT;
		ptsim_thread_enter();
		global_stats(&st);
		memcpy(value, (const char *)&st + f->off, sizeof(*value));
	}
	return 0;
}

uint64_t ptsim_zero_pfn(void)
{
	return frame_pfn(ZERO_FRAME);
}

// SPDX-License-Identifier: MIT
/* fork: dup_mmap() and copy_page_range() with COW write-protection. */
#include "cow_pte.h"
#include "frame.h"
#include "mmap.h"
#include "pgalloc.h"
#include "strategy.h"
#include "vma_lock.h"

struct copy_walk {
	struct ptsim_mm *dst, *src;
	uint8_t cow_pte; /* the parent's PTSIM_OPT_COW_PTE: 0, 1 or 2 */
};

/*
 * copy_present_pte(): share the frame, or — when it may be DMA-pinned and
 * only we map it (folio_try_dup_anon_rmap_pte() fails) — give the child a
 * copy at once (copy_present_page()), leaving the parent's entry writable.
 * *e becomes the child's entry's source; returns -ENOMEM if a copy fails.
 */
static int copy_present_pte(pte_t *e, uint32_t frame)
{
	uint64_t count = frame_count(frame);
	uint32_t copy;

	if (!FRAME_PINS(count) || FRAME_REFS(count) - FRAME_PINS(count) != 1) {
		frame_get(frame);
		return 0;
	}
	copy = frame_alloc();
	if (copy == UINT32_MAX)
		return -ENOMEM;
	*e = (*e & ~_PAGE_PFN_MASK) | (frame_pfn(copy) << PAGE_SHIFT) | _PAGE_DIRTY;
	return 0;
}

/* copy_pte_range(): both PTLs held; frames shared, both sides write-protected. */
static int copy_pte_range(struct copy_walk *w, pte_t *dst_pmdp, pte_t *src_pmdp, uint64_t addr,
                          uint64_t end)
{
	struct mm_thread_stats *ts = mm_ts(w->dst);
	struct ptdesc *sd, *dd;
	pte_t *src, *dst;
	unsigned n = 0, nzero = 0;
	int ret = 0;

	/* A COW link copied plainly (the option was switched off since, or the
	 * table cannot be shared): the parent's entries change below. */
	if (pmd_cow(pt_entry_read(src_pmdp)) && (ret = cow_pte_break(w->src, src_pmdp)))
		return ret;
	if (pte_none(pt_entry_read(dst_pmdp)) && __pt_alloc(w->dst, dst_pmdp, PT_LEVEL_PTE))
		return -ENOMEM;
	/* The child's table is new and under our write lock: only the
	 * strategy's allocation can make it unmappable. */
	dst = pte_offset_map_lock(w->dst, dst_pmdp, addr, &dd);
	if (!dst)
		return -ENOMEM;
	src = pte_offset_map_lock(w->src, src_pmdp, addr, &sd);
	if (!src && pte_map_enomem())
		ret = -ENOMEM;
	if (src) {
		for (; addr < end; addr += PAGE_SIZE, src++, dst++) {
			pte_t e = ptep_get(src);

			if (pte_none(e))
				continue;
			if (pte_present(e)) {
				uint64_t pfn = pte_pfn(e);

				if (is_zero_pfn(pfn)) {
					nzero++;
				} else if ((ret = copy_present_pte(&e, pfn_frame(pfn)))) {
					break; /* what was copied is accounted below */
				} else if (pfn == pte_pfn(e) && (e & _PAGE_RW)) {
					/* ptep_set_wrprotect(): private memory is COW now. */
					e &= ~_PAGE_RW;
					set_pte(src, e);
				}
			}
			set_pte(dst, e & ~_PAGE_ACCESSED); /* pte_mkold() */
			n++;
		}
		pte_unmap_unlock(w->src, sd);
	}
	if (n) {
		stat_inc(&ts->rss, n - nzero);
		stat_inc(&ts->zero_ptes, nzero);
		if (w->dst->ops->ptes_set)
			w->dst->ops->ptes_set(dd, n, nzero);
	}
	pte_unmap_unlock(w->dst, dd);
	return ret;
}

/*
 * copy_pmd_range()'s choice for one PMD entry: with COW PTE, a table wholly
 * inside the VMA being copied (so inside this one VMA) is shared, unless
 * cow_pte_share() finds a frame it cannot share. The walk goes VMA by VMA,
 * so a table is shared at most once per fork.
 */
static int copy_pmd_entry(struct copy_walk *w, pte_t *dst_pmdp, pte_t *src_pmdp, uint64_t addr,
                          uint64_t end)
{
	if (w->cow_pte && !(addr & ~PMD_MASK) && end - addr == PMD_SIZE &&
	    pte_none(pt_entry_read(dst_pmdp)) &&
	    !cow_pte_share(w->dst, w->src, dst_pmdp, src_pmdp, w->cow_pte == 2))
		return 0;
	return copy_pte_range(w, dst_pmdp, src_pmdp, addr, end);
}

/* copy_pud_range() / copy_pmd_range(): a child table is allocated at every
 * level where the parent's entry above it is present. */
static int copy_level(struct copy_walk *w, pte_t *dst_entry, pte_t *src_entry, int level,
                      uint64_t addr, uint64_t end)
{
	pte_t *dst_table, *src_table = entry_table(pt_entry_read(src_entry));
	int ret;

	if (pte_none(pt_entry_read(dst_entry)) && __pt_alloc(w->dst, dst_entry, level))
		return -ENOMEM;
	dst_table = entry_table(pt_entry_read(dst_entry));
	do {
		uint64_t next = pt_addr_end(addr, end, level);
		unsigned idx = pt_index(addr, level);

		if (!pte_none(pt_entry_read(&src_table[idx]))) {
			if (level == PT_LEVEL_PMD)
				ret = copy_pmd_entry(w, &dst_table[idx], &src_table[idx], addr,
				                     next);
			else
				ret = copy_level(w, &dst_table[idx], &src_table[idx], level + 1,
				                 addr, next);
			if (ret)
				return ret;
		}
		addr = next;
	} while (addr < end);
	return 0;
}

/* copy_page_range() */
static int copy_page_range(struct copy_walk *w, const struct vm_area *vma)
{
	uint64_t addr = vma->start;

	do {
		uint64_t next = pt_addr_end(addr, vma->end, PT_LEVEL_PGD);
		unsigned idx = pt_index(addr, PT_LEVEL_PGD);

		if (!pte_none(pt_entry_read(&w->src->pgd[idx]))) {
			int ret = copy_level(w, &w->dst->pgd[idx], &w->src->pgd[idx],
			                     PT_LEVEL_PGD + 1, addr, next);
			if (ret)
				return ret;
		}
		addr = next;
	} while (addr < vma->end);
	return 0;
}

int ptsim_fork(struct ptsim_mm *parent, struct ptsim_mm **childp)
{
	struct ptsim_mm *child;
	struct copy_walk w;
	int ret;

	if (!parent || !childp)
		return -EINVAL;
	ret = mm_enter(parent);
	if (ret)
		return ret;
	child = mm_alloc(parent->strategy);
	if (!child)
		return -ENOMEM;
	if (mm_enter(child)) {
		mmput(child);
		return -ENOMEM;
	}
	w.dst = child;
	w.src = parent;
	w.cow_pte = READ_ONCE(parent->cow_pte);
	mmap_write_lock(parent);
	mmap_write_lock(child);
	/* dup_mmap(): no fault may run in a parent VMA while its entries are
	 * write-protected and copied. */
	for (uint32_t i = 0; i < parent->vmas.nr; i++)
		vma_start_write(parent, parent->vmas.v[i]);
	/* An mm that never mapped anything has no VMA array to copy. */
	ret = parent->vmas.nr ? vma_tree_clone(&child->vmas, &parent->vmas) : 0;
	if (!ret)
		mm_vmas_changed(child, READ_ONCE(parent->total_vm));
	child->mmap_base = parent->mmap_base;
	child->next_anon_vma = parent->next_anon_vma;
	/* The tunables are the process's, as a forked task keeps its sysctls. */
	child->gather_batch = parent->gather_batch;
	child->tlb_flush_ns = parent->tlb_flush_ns;
	child->mutant = parent->mutant;
	child->nr_cpu_ids = parent->nr_cpu_ids;
	child->gp_expedited = parent->gp_expedited;
	child->no_zero_page = parent->no_zero_page;
	child->cow_pte = parent->cow_pte;
	child->ever_mapped = parent->ever_mapped;
	/* vma_needs_copy(): only VMAs with an anon_vma have anything to copy. */
	pt_walk_begin(parent);
	pt_walk_begin(child);
	for (uint32_t i = 0; !ret && i < parent->vmas.nr; i++)
		if (parent->vmas.v[i]->anon_vma)
			ret = copy_page_range(&w, parent->vmas.v[i]);
	pt_walk_end(child);
	pt_walk_end(parent);
	if (parent->vmas.nr) {
		parent->shares_frames = true;
		child->shares_frames = true;
	}
	mmap_write_unlock(child);
	mmap_write_unlock(parent);
	if (ret) {
		mmput(child); /* tears down what was copied: the parent stays consistent */
		return ret;
	}
	*childp = child;
	return 0;
}

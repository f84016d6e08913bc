// SPDX-License-Identifier: MIT
/* mprotect: split, change the entries, merge back. */
#include "cow_pte.h"
#include "fault.h"
#include "frame.h"
#include "pgalloc.h"
#include "strategy.h"
#include "vma_lock.h"
#include "zap.h"

struct change_prot {
	int prot;
	struct mmu_gather *tlb;
};

#define PROT_SEM   0x8 /* accepted and ignored by x86's arch_validate_prot() */
#define PROT_KNOWN (PTSIM_PROT_READ | PTSIM_PROT_WRITE | PTSIM_PROT_EXEC | PROT_SEM)

/* The new value of a present entry under `prot` (change_pte_range()). */
static pte_t change_pte(pte_t e, int prot)
{
	pte_t keep = e & (_PAGE_PFN_MASK | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SPECIAL);
	pte_t n = keep | prot_pte_bits(prot);
	uint64_t pfn = pte_pfn(e);

	/* can_change_pte_writable(): an upgrade makes an entry writable only if
	 * the frame is exclusively ours; the zero page and shared frames wait
	 * for the write fault. A downgrade always drops RW. */
	if ((prot & PTSIM_PROT_WRITE) && !is_zero_pfn(pfn) && frame_refcount(pfn_frame(pfn)) == 1)
		n |= _PAGE_RW;
	return n;
}

static void change_pte_range(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, uint64_t end,
                             void *priv)
{
	const struct change_prot *cp = priv;
	struct ptdesc *d;
	pte_t *pte;

	/* The RFC's mprotect hook: new protections are this mm's alone. */
	cow_pte_break_before_change(mm, pmdp);
	pte = pte_offset_map_lock(mm, pmdp, addr, &d);

	if (!pte)
		return;
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t e = ptep_get(pte);

		if (pte_present(e)) {
			set_pte(pte, change_pte(e, cp->prot));
			tlb_flush_pte_range(cp->tlb);
		}
	}
	pte_unmap_unlock(mm, d);
}

/* change_protection() */
static void change_protection(struct mmu_gather *tlb, uint64_t start, uint64_t end, int prot)
{
	struct change_prot cp = {.prot = prot, .tlb = tlb};

	pt_walk_begin(tlb->mm);
	walk_pmd_range(tlb->mm, start, end, change_pte_range, &cp);
	pt_walk_end(tlb->mm);
}

/* mprotect_fixup()'s accounting: gaining write charges the VMA; losing it
 * uncharges one that never faulted (no anon_vma). VM_ACCOUNT takes part in
 * merging, so this decides which VMAs may join again. */
static void mprotect_account(struct vm_area *v, int prot)
{
	if (prot & PTSIM_PROT_WRITE) {
		if (!(v->flags & VMA_ACCOUNT) && !(v->prot & PTSIM_PROT_WRITE))
			v->flags |= VMA_ACCOUNT;
	} else if ((v->flags & VMA_ACCOUNT) && !v->anon_vma) {
		v->flags &= ~VMA_ACCOUNT;
	}
}

int ptsim_mprotect(struct ptsim_mm *mm, uint64_t start, uint64_t len, int prot)
{
	struct mmu_gather tlb;
	struct vma_tree *t;
	uint64_t end;
	uint32_t i, last, splits = 0;
	int ret = 0;

	/* do_mprotect_pkey()'s order: alignment, empty range, wrap, then prot. */
	if (!mm || (start & ~PAGE_MASK))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (len == 0 || end <= start)
		return -ENOMEM;
	if (prot & ~PROT_KNOWN)
		return -EINVAL;
	prot &= ~PROT_SEM;
	if (end > TASK_SIZE)
		return -ENOMEM; /* no VMA up there */
	ret = mm_enter(mm);
	if (ret)
		return ret;
	t = &mm->vmas;
	mmap_write_lock(mm);
	/* Linux changes the VMAs before a hole and then fails; libptsim checks
	 * first so that a failed call changes nothing. */
	if (!vma_range_covered(t, start, end)) {
		ret = -ENOMEM;
		goto out;
	}
	i = vma_find_index(t, start);
	last = vma_find_index(t, end - 1);
	splits = (t->v[i]->start < start) + (t->v[last]->end > end);
	if ((splits && t->nr + splits > MAX_MAP_COUNT) || vma_reserve(t, 2)) {
		ret = -ENOMEM;
		goto out;
	}
	vma_split_range(t, start, end, &i, &last);
	/* do_mprotect_pkey(): one gather, so one TLB flush, for the whole call. */
	tlb_gather_mmu(&tlb, mm);
	for (uint32_t k = i; k <= last; k++) {
		if (t->v[k]->prot == prot)
			continue;
		vma_start_write(mm,
		                t->v[k]); /* faults under its lock see the old or the new prot */
		mprotect_account(t->v[k], prot);
		t->v[k]->prot = prot;
		vma_tree_mark_dirty(t);
		change_protection(&tlb, t->v[k]->start, t->v[k]->end, prot);
	}
	tlb_finish_mmu(&tlb);
	/* vma_modify_flags() merges with the neighbours, the left one first. */
	{
		uint32_t k = i ? i - 1 : 0, hi = last + 1 < t->nr ? last + 1 : last;

		while (k < hi) {
			if (vma_try_join(t, k))
				hi--;
			else
				k++;
		}
	}
	mm_vmas_changed(mm, 0);
out:
	mmap_write_unlock(mm);
	return ret;
}

// SPDX-License-Identifier: MIT
/* mmap, munmap and exit_mmap. */
#include "mmap.h"

#include "pgalloc.h"
#include "strategy.h"
#include "zap.h"

#define MAP_KNOWN_FLAGS (PTSIM_MAP_FIXED | PTSIM_MAP_FIXED_NOREPLACE | PTSIM_MAP_POPULATE)
#define PROT_KNOWN      (PTSIM_PROT_READ | PTSIM_PROT_WRITE | PTSIM_PROT_EXEC)

/* unmap_region(): zap the detached VMAs and free the tables only they used. */
static void unmap_region(struct ptsim_mm *mm, struct vm_area *list, uint64_t floor,
                         uint64_t ceiling)
{
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	for (struct vm_area *v = list; v; v = v->detached_next)
		unmap_page_range(&tlb, v->start, v->end, NULL);
	free_pgtables(mm, list, floor, ceiling); /* tables join the gather */
	tlb_finish_mmu(&tlb);
}

int do_munmap(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool unlock)
{
	struct vma_tree *t = &mm->vmas;
	uint32_t i = vma_find_index(t, start), last;
	struct vm_area *list;
	uint64_t floor, ceiling;
	bool downgrade = unlock && mm->era->munmap_downgrade;

	if (i == t->nr || t->v[i]->start >= end)
		goto out;
	last = vma_find_index(t, end - 1);
	if (last == t->nr || t->v[last]->start >= end)
		last--;
	/* vms_gather_munmap_vmas(): only a hole punched inside one VMA adds
	 * one, and only then does the map count limit apply. */
	if (t->v[i]->start < start && end < t->v[i]->end && t->nr >= MAX_MAP_COUNT)
		goto nomem;
	if (vma_reserve(t, 2))
		goto nomem;
	vma_split_range(t, start, end, &i, &last);
	floor = i > 0 ? t->v[i - 1]->end : 0;
	ceiling = last + 1 < t->nr ? t->v[last + 1]->start : 0;
	list = vma_detach_range(t, i, last - i + 1);
	/*
	 * vms_complete_munmap_vmas(): the VMAs are out of the tree and
	 * detached, so the zap and free_pgtables() need only the read lock;
	 * faults elsewhere in the mm go on meanwhile.
	 */
	if (downgrade)
		mmap_write_downgrade(mm);
	unmap_region(mm, list, floor, ceiling);
	if (downgrade)
		mmap_read_unlock(mm);
	else if (unlock)
		mmap_write_unlock(mm);
	else
		vma_free_after_publish(t, list); /* mmap() goes on changing the tree */
	if (unlock)
		vma_free_detached(list);
	return 0;
nomem:
	if (unlock)
		mmap_write_unlock(mm);
	return -ENOMEM;
out:
	if (unlock)
		mmap_write_unlock(mm);
	return 0;
}

static uint64_t get_unmapped_area(struct ptsim_mm *mm, uint64_t hint, uint64_t len)
{
	struct vma_tree *t = &mm->vmas;
	uint64_t addr;

	if (len > TASK_SIZE - MMAP_MIN_ADDR)
		return 0;
	if (hint) {
		/* round_hint_to_min(): a hint below mmap_min_addr is raised to it. */
		hint &= PAGE_MASK;
		if (hint < MMAP_MIN_ADDR)
			hint = MMAP_MIN_ADDR;
		if (hint <= TASK_SIZE - len && !vma_range_overlaps(t, hint, hint + len))
			return hint;
	}
	addr = vma_unmapped_area_topdown(t, len, MMAP_MIN_ADDR, mm->mmap_base);
	if (!addr) /* the legacy bottom-up fallback, as arch_get_unmapped_area_topdown() */
		addr = vma_unmapped_area_bottomup(t, len, TASK_SIZE / 3, TASK_SIZE);
	return addr;
}

/*
 * __thp_get_unmapped_area() for anonymous memory (pgoff 0): search for
 * len + PMD_SIZE, then place the mapping at the highest PMD-aligned
 * address inside what was found (MMF_TOPDOWN). 0: nothing fits padded,
 * and the caller searches again for len alone.
 */
static uint64_t thp_get_unmapped_area(struct ptsim_mm *mm, uint64_t len)
{
	uint64_t len_pad = len + PMD_SIZE, ret, off_sub;

	if (len_pad < len)
		return 0;
	ret = get_unmapped_area(mm, 0, len_pad);
	if (!ret)
		return 0;
	off_sub = (0 - ret) & (PMD_SIZE - 1);
	return off_sub ? ret + off_sub : ret + PMD_SIZE;
}

/* __get_unmapped_area(): anonymous, no hint, length a multiple of 2 MiB
 * -> thp_get_unmapped_area_vmflags() where the era does it (Linux 6.7+). */
static uint64_t get_unmapped_area_anon(struct ptsim_mm *mm, uint64_t hint, uint64_t len)
{
	uint64_t addr;

	if (mm->era->thp_align && !hint && !(len & (PMD_SIZE - 1))) {
		addr = thp_get_unmapped_area(mm, len);
		if (addr)
			return addr;
	}
	return get_unmapped_area(mm, hint, len);
}

static int mmap_validate(uint64_t addr, uint64_t *len, int flags)
{
	bool fixed = flags & (PTSIM_MAP_FIXED | PTSIM_MAP_FIXED_NOREPLACE);

	if (flags & ~MAP_KNOWN_FLAGS)
		return -EINVAL; /* libptsim only models private anonymous memory */
	if (*len == 0)
		return -EINVAL;
	*len = PAGE_ALIGN(*len);
	if (*len == 0 || *len > TASK_SIZE)
		return -ENOMEM;
	/* __get_unmapped_area()'s order: the range, then alignment, then
	 * security_mmap_addr(). */
	if (fixed) {
		if (addr > TASK_SIZE - *len)
			return -ENOMEM;
		if (addr & ~PAGE_MASK)
			return -EINVAL;
		if (addr < MMAP_MIN_ADDR)
			return -EPERM; /* security_mmap_addr() for an unprivileged process */
	}
	return 0;
}

int ptsim_mmap(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
               uint64_t *out_addr)
{
	struct vma_tree *t;
	struct vm_area v = {0};
	uint32_t i;
	int ret;

	if (!mm)
		return -EINVAL;
	ret = mmap_validate(addr, &len, flags);
	if (ret)
		return ret;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	prot &= PROT_KNOWN; /* do_mmap() ignores unknown PROT_ bits */
	t = &mm->vmas;

	mmap_write_lock(mm);
	if (t->nr > MAX_MAP_COUNT || vma_reserve(t, 3)) {
		ret = -ENOMEM;
		goto out;
	}
	if (flags & (PTSIM_MAP_FIXED | PTSIM_MAP_FIXED_NOREPLACE)) {
		if (vma_range_overlaps(t, addr, addr + len)) {
			if (flags & PTSIM_MAP_FIXED_NOREPLACE) {
				ret = -EEXIST;
				goto out;
			}
			ret = do_munmap(mm, addr, addr + len, false);
			if (ret)
				goto out;
		}
	} else {
		addr = get_unmapped_area_anon(mm, addr, len);
		if (!addr) {
			ret = -ENOMEM;
			goto out;
		}
	}
	v.start = addr;
	v.end = addr + len;
	v.prot = prot;
	/* accountable_mapping(): private writable memory is charged. */
	v.flags = (prot & PTSIM_PROT_WRITE) ? VMA_ACCOUNT : 0;
	i = vma_find_index(t, addr);
	vma_insert(t, i, &v); /* write-locked until mmap_write_unlock() */
	WRITE_ONCE(mm->ever_mapped, true);
	vma_merge_around(t, i);
out:
	mmap_write_unlock(mm);
	if (ret)
		return ret;
	if (flags & PTSIM_MAP_POPULATE) {
		/* mm_populate() after dropping the write lock; errors are ignored, as there. */
		mmap_read_lock(mm);
		populate_range(mm, addr, addr + len, prot & PTSIM_PROT_WRITE);
		mmap_read_unlock(mm);
	}
	if (out_addr)
		*out_addr = addr;
	return 0;
}

int ptsim_munmap(struct ptsim_mm *mm, uint64_t addr, uint64_t len)
{
	int ret;

	if (!mm || (addr & ~PAGE_MASK) || len == 0)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0 || len > TASK_SIZE || addr > TASK_SIZE - len)
		return -EINVAL;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	mmap_write_lock(mm);
	return do_munmap(mm, addr, addr + len, true);
}

void exit_mmap(struct ptsim_mm *mm)
{
	struct vma_tree *t = &mm->vmas;
	struct ptdesc *pgd = ptdesc_of(mm->pgd);
	struct vm_area *list;

	mmap_write_lock(mm);
	list = vma_detach_range(t, 0, t->nr);
	unmap_region(mm, list, 0, 0);
	mmap_write_unlock(mm);
	vma_free_detached(list);
	/* pgd_free(): nothing can walk a dead mm, but the PGD's last readers
	 * (a GUP-fast racing exit) are covered by RCU like every table. */
	mm_account_table(mm, PT_LEVEL_PGD, -1);
	pt_free_rcu(pgd);
}

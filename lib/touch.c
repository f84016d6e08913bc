// SPDX-License-Identifier: MIT
/* ptsim_touch and population: one access per page, as a program makes them. */
#include "fault.h"
#include "mmap.h"

/* Checks every page of [start, end) is mapped and permits the access. */
static int access_check(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool write)
{
	const struct vma_tree *t = &mm->vmas;
	uint32_t i = vma_find_index(t, start);
	uint64_t pos = start;

	for (; pos < end; i++) {
		if (i >= t->nr || t->v[i]->start > pos)
			return -EFAULT;
		if (!vma_permits(t->v[i], write))
			return -EACCES;
		pos = t->v[i]->end;
	}
	return 0;
}

/* One access that missed in the MMU: the page fault, with its locks. */
static int fault_one(struct ptsim_mm *mm, uint64_t addr, bool write)
{
	struct vm_area *vma;
	int ret;

	mmap_read_lock(mm);
	vma = vma_lookup(&mm->vmas, addr);
	if (!vma)
		ret = -EFAULT;
	else if (!vma_permits(vma, write))
		ret = -EACCES;
	else
		ret = handle_mm_fault(mm, vma, addr, write);
	mmap_read_unlock(mm);
	return ret;
}

int ptsim_touch(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int access)
{
	struct mm_thread_stats *ts;
	bool write = access == PTSIM_ACCESS_WRITE;
	uint64_t start = addr & PAGE_MASK, end;
	int ret;

	if (!mm || (access != PTSIM_ACCESS_READ && access != PTSIM_ACCESS_WRITE))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (addr + len < addr || addr + len > TASK_SIZE)
		return -EFAULT;
	end = PAGE_ALIGN(addr + len);
	ret = mm_enter(mm);
	if (ret)
		return ret;
	mmap_read_lock(mm);
	ret = access_check(mm, start, end, write);
	mmap_read_unlock(mm);
	if (ret)
		return ret;
	ts = mm_ts(mm);
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		if (hw_access(mm, a, write)) {
			stat_inc(&ts->access_hits, 1);
			continue;
		}
		ret = fault_one(mm, a, write);
		if (ret)
			return ret; /* the layout changed under us (another thread) */
	}
	return 0;
}

int populate_range(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool write)
{
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		struct vm_area *vma = vma_lookup(&mm->vmas, a);
		int ret;

		if (!vma)
			return -ENOMEM;
		if (!vma_permits(vma, write))
			return -EINVAL;
		if (hw_access(mm, a, write))
			continue;
		ret = handle_mm_fault(mm, vma, a, write);
		if (ret)
			return ret;
	}
	return 0;
}

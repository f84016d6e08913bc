// SPDX-License-Identifier: MIT
/* ptsim_touch and population: one access per page, as a program makes them. */
#include "era.h"
#include "fault.h"
#include "mmap.h"
#include "vma_lock.h"

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

/*
 * access_check() against the published layout, without the mmap lock (era
 * 6.18: a fault takes no mmap lock either). -EAGAIN: no layout to read.
 */
static int access_check_rcu(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool write)
{
	const struct vma_layout_entry *e;
	const struct vma_layout *l;
	uint64_t pos = start;
	int ret = 0;

	ptsim_rcu_read_lock();
	l = __atomic_load_n(&mm->vmas.layout, __ATOMIC_ACQUIRE);
	if (!l) {
		ret = -EAGAIN;
		goto out;
	}
	for (e = vma_layout_find(l, start); pos < end; e++) {
		if (!e || e == l->e + l->nr || e->start > pos) {
			ret = -EFAULT;
			break;
		}
		if (!(write ? e->prot & PTSIM_PROT_WRITE : e->prot != PTSIM_PROT_NONE)) {
			ret = -EACCES;
			break;
		}
		pos = e->end;
	}
out:
	ptsim_rcu_read_unlock();
	return ret;
}

/*
 * vmf_anon_prepare(): under a VMA lock, the first write fault of a VMA
 * needs the mmap lock to pick its anon_vma; it only tries, and retries
 * the fault under the mmap lock if that fails (VM_FAULT_RETRY).
 */
static bool vmf_anon_prepare(struct ptsim_mm *mm, struct vm_area *vma, bool write)
{
	if (READ_ONCE(vma->anon_vma) || !(write || READ_ONCE(mm->no_zero_page)))
		return true;
	if (!mmap_read_trylock(mm))
		return false;
	anon_vma_prepare(mm, vma);
	mmap_read_unlock(mm);
	return true;
}

/* do_user_addr_fault()'s first try: the VMA read-locked, no mmap lock. */
static int fault_vma_locked(struct ptsim_mm *mm, uint64_t addr, bool write)
{
	struct vm_area *vma = lock_vma_under_rcu(mm, addr);
	int ret;

	if (!vma)
		return -EAGAIN;
	if (!vma_permits(vma, write)) {
		ret = -EACCES; /* bad_area_access_error() under the VMA lock */
	} else if (!vmf_anon_prepare(mm, vma, write)) {
		ret = -EAGAIN;
	} else {
		ret = handle_mm_fault(mm, vma, addr, write);
	}
	vma_end_read(vma);
	return ret;
}

/* One access that missed in the MMU: the page fault, with its locks. */
static int fault_one(struct ptsim_mm *mm, uint64_t addr, bool write)
{
	struct vm_area *vma;
	int ret;

	if (mm->era->per_vma_locks) {
		ret = fault_vma_locked(mm, addr, write);
		if (ret != -EAGAIN)
			return ret;
		/* lock_vma_under_rcu() failed or VM_FAULT_RETRY: the mmap lock. */
		stat_inc(&mm_ts(mm)->vma_lock_fallbacks, 1);
	}
	mmap_read_lock(mm);
	if (mm->era->per_vma_locks && !__atomic_load_n(&mm->vmas.layout, __ATOMIC_ACQUIRE))
		vma_tree_publish_lazy(&mm->vmas); /* withdrawn: large tree (vma.h) */
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
	ret = mm->era->per_vma_locks ? access_check_rcu(mm, start, end, write) : -EAGAIN;
	if (ret == -EAGAIN) {
		mmap_read_lock(mm);
		ret = access_check(mm, start, end, write);
		mmap_read_unlock(mm);
	}
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

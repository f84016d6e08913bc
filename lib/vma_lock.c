// SPDX-License-Identifier: MIT
/* Per-VMA locks (vma_lock.h) and lock_vma_under_rcu(). */
#include "vma_lock.h"

#include <sched.h>

#include "era.h"

static void vma_wait(unsigned *spins)
{
	if (++*spins < 128) {
		__builtin_ia32_pause();
	} else {
		*spins = 0;
		sched_yield();
	}
}

bool vma_start_read(struct ptsim_mm *mm, struct vm_area *vma)
{
	struct ptsim_lock_stats *st = &mm_ts(mm)->vma_lock;
	uint32_t old = __atomic_load_n(&vma->vm_refcnt, __ATOMIC_RELAXED);

	/* __refcount_inc_not_zero_limited_acquire(): not detached, no writer draining. */
	do {
		if (old == 0 || old >= VMA_REF_LIMIT) {
			stat_inc(&st->contended, 1);
			return false;
		}
	} while (!__atomic_compare_exchange_n(&vma->vm_refcnt, &old, old + 1, true,
	                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	/* Write-locked in this mmap write section: the layout is changing. */
	if (__atomic_load_n(&vma->vm_lock_seq, __ATOMIC_ACQUIRE) ==
	    __atomic_load_n(&mm->mm_lock_seq, __ATOMIC_ACQUIRE)) {
		vma_end_read(vma);
		stat_inc(&st->contended, 1);
		return false;
	}
	stat_inc(&st->acquisitions, 1);
	return true;
}

void vma_end_read(struct vm_area *vma)
{
	__atomic_sub_fetch(&vma->vm_refcnt, 1, __ATOMIC_RELEASE);
}

/* __vma_enter_locked(): keep new readers out and wait for the present ones. */
static void vma_enter_locked(struct ptsim_mm *mm, struct vm_area *vma, uint32_t target)
{
	struct ptsim_lock_stats *st = &mm_ts(mm)->vma_lock;
	uint32_t v = __atomic_add_fetch(&vma->vm_refcnt, VMA_LOCK_OFFSET, __ATOMIC_ACQUIRE);
	unsigned spins = 0;
	uint64_t start;

	if (v == VMA_LOCK_OFFSET + target)
		return;
	start = ptsim_now_ns();
	while (__atomic_load_n(&vma->vm_refcnt, __ATOMIC_ACQUIRE) != VMA_LOCK_OFFSET + target)
		vma_wait(&spins);
	stat_inc(&st->contended, 1);
	stat_inc(&st->wait_ns, ptsim_now_ns() - start);
}

void vma_start_write(struct ptsim_mm *mm, struct vm_area *vma)
{
	uint64_t seq = READ_ONCE(mm->mm_lock_seq);

	/* Before 6.4 there were no per-VMA locks: nothing to take. */
	if (!mm->era->per_vma_locks)
		return;
	if (READ_ONCE(vma->vm_lock_seq) == seq)
		return; /* already write-locked in this mmap write section */
	stat_inc(&mm_ts(mm)->vma_lock.acquisitions, 1);
	vma_enter_locked(mm, vma, 1);
	__atomic_store_n(&vma->vm_lock_seq, seq, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&vma->vm_refcnt, VMA_LOCK_OFFSET, __ATOMIC_RELEASE);
}

void vma_mark_attached(struct ptsim_mm *mm, struct vm_area *vma)
{
	vma->vm_lock_seq = mm ? READ_ONCE(mm->mm_lock_seq) : VMA_SEQ_NONE;
	__atomic_store_n(&vma->vm_refcnt, 1, __ATOMIC_RELEASE);
}

void vma_mark_detached(struct ptsim_mm *mm, struct vm_area *vma)
{
	/* Readers that raced in see the write lock and leave; wait for them. */
	if (__atomic_sub_fetch(&vma->vm_refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		return;
	vma_enter_locked(mm, vma, 0);
	__atomic_sub_fetch(&vma->vm_refcnt, VMA_LOCK_OFFSET, __ATOMIC_RELEASE);
}

struct vm_area *lock_vma_under_rcu(struct ptsim_mm *mm, uint64_t addr)
{
	const struct vma_layout_entry *e;
	struct vma_layout *l;
	struct vm_area *vma = NULL;

	ptsim_rcu_read_lock();
	l = __atomic_load_n(&mm->vmas.layout, __ATOMIC_ACQUIRE); /* rcu_dereference() */
	if (!l)
		goto out;
	e = vma_layout_find(l, addr);
	if (!e || e->start > addr || !vma_start_read(mm, e->vma))
		goto out;
	vma = e->vma;
	/* The copy may be stale: the locked VMA must still cover addr. */
	if (addr < vma->start || addr >= vma->end) {
		vma_end_read(vma);
		vma = NULL;
	}
out:
	ptsim_rcu_read_unlock();
	return vma;
}

/* SPDX-License-Identifier: MIT */
/*
 * Per-VMA locks with the sequence scheme of Linux 6.18 (include/linux/mmap_lock.h):
 *
 *  - mm->mm_lock_seq advances when the mmap write lock is released or
 *    downgraded (vma_end_write_all()), which unlocks every VMA at once;
 *  - vma_start_write() (mmap write lock held) waits for the VMA's readers
 *    to leave, then sets vma->vm_lock_seq = mm->mm_lock_seq: the VMA is
 *    write-locked until the mmap write lock is dropped;
 *  - vma_start_read() takes a reference on vma->vm_refcnt unless the VMA
 *    is detached (0) or a writer is draining it (VMA_LOCK_OFFSET added),
 *    then fails if the VMA is write-locked. Readers never wait.
 */
#ifndef PTSIM_VMA_LOCK_H
#define PTSIM_VMA_LOCK_H

#include "mm.h"

#define VMA_LOCK_OFFSET 0x40000000u
#define VMA_REF_LIMIT   (VMA_LOCK_OFFSET - 1)
#define VMA_SEQ_NONE    UINT64_MAX /* never equal to mm_lock_seq */

/* vma_start_read(): true with the VMA read-locked; never waits. */
bool vma_start_read(struct ptsim_mm *mm, struct vm_area *vma);
/* vma_end_read() */
void vma_end_read(struct vm_area *vma);
/* vma_start_write(): mmap write lock held; waits for the VMA's readers. */
void vma_start_write(struct ptsim_mm *mm, struct vm_area *vma);
/* __is_vma_write_locked() */
static inline bool vma_is_write_locked(struct ptsim_mm *mm, struct vm_area *vma)
{
	return READ_ONCE(vma->vm_lock_seq) == READ_ONCE(mm->mm_lock_seq);
}
/* vma_mark_attached(): a new VMA, write-locked by its creator. */
void vma_mark_attached(struct ptsim_mm *mm, struct vm_area *vma);
/* vma_mark_detached(): write-locked VMA; waits for transient readers. */
void vma_mark_detached(struct ptsim_mm *mm, struct vm_area *vma);
/*
 * lock_vma_under_rcu(): the VMA containing addr, read-locked, found
 * without the mmap lock; NULL when the caller must take the mmap lock
 * (no VMA there, or it is being changed).
 */
struct vm_area *lock_vma_under_rcu(struct ptsim_mm *mm, uint64_t addr);

#endif

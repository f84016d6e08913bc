/* SPDX-License-Identifier: MIT */
/*
 * Eras: the locking and walker protocol of the kernel a strategy was
 * written for. The shared fault, madvise, munmap and walk paths read the
 * mm's era (never the strategy) to decide which locks they take:
 *
 *  6.18: faults under a per-VMA read lock (lock_vma_under_rcu(), falling
 *        back to the mmap read lock); MADV_DONTNEED/FREE under the per-VMA
 *        read lock when the range stays in one VMA (MADVISE_VMA_READ_LOCK);
 *        pte_offset_map_lock() inside an RCU read section with the PMD
 *        re-check (Hugh Dickins, 6.5); anonymous mappings whose length is a
 *        multiple of 2 MiB are PMD-aligned (thp_get_unmapped_area).
 *  5.x:  faults and madvise under the mmap read lock; pte_offset_map_lock()
 *        without RCU and without the PMD re-check; GUP-fast and the MMU
 *        protected only by interrupts being off against the TLB-flush IPI.
 *
 * Both: munmap downgrades the mmap write lock to read before unmap_region()
 * and free_pgtables() (Linux 4.20+, dd2283f2605e), and every mmu_gather
 * ends in one TLB flush (tlb.h).
 */
#ifndef PTSIM_ERA_H
#define PTSIM_ERA_H

#include "internal.h"

enum pt_era_id { PT_ERA_6_18 = 0, PT_ERA_5_X, PT_ERA_COUNT };

struct pt_era {
	const char *name; /* "6.18", "5.x": shown by madvise_churn */
	enum pt_era_id id;
	bool per_vma_locks;    /* lock_vma_under_rcu() for faults and single-VMA madvise */
	bool pte_map_rcu;      /* pte_offset_map_lock() under RCU with the PMD re-check */
	bool thp_align;        /* __get_unmapped_area() PMD-aligns 2 MiB-multiple anon mappings */
	bool munmap_downgrade; /* vms_complete_munmap_vmas() / __do_munmap(downgrade) */
	bool irqs_off_rcu;     /* GUP-fast and the MMU walk are also RCU readers (tlb.h) */
};

extern const struct pt_era era_6_18;
extern const struct pt_era era_5_x;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * VMAs: anonymous private mappings kept in a sorted array (the model's
 * maple tree). Read under the mmap lock held for read; changed only under
 * it held for write. Every change that can fail reserves its memory first,
 * so a failed call leaves the array as it was.
 */
#ifndef PTSIM_VMA_H
#define PTSIM_VMA_H

#include "internal.h"

/* VM_ACCOUNT: the mapping is charged as committed memory. Only flags that
 * decide merging are modelled; VMAs differing in them never merge. */
#define VMA_ACCOUNT 0x1u

struct vm_area {
	uint64_t start, end;
	int prot;          /* PTSIM_PROT_* */
	uint32_t flags;    /* VMA_* */
	uint64_t anon_vma; /* 0 until the first write fault (anon_vma_prepare) */
};

struct vma_tree {
	struct vm_area *v;
	uint32_t nr, cap;
};

void vma_tree_init(struct vma_tree *t);
void vma_tree_destroy(struct vma_tree *t);
int vma_tree_clone(struct vma_tree *dst, const struct vma_tree *src);

/* Index of the first VMA with end > addr (nr if none): find_vma()'s position. */
uint32_t vma_find_index(const struct vma_tree *t, uint64_t addr);
/* find_vma(): first VMA ending above addr, or NULL. */
struct vm_area *find_vma(const struct vma_tree *t, uint64_t addr);
/* vma_lookup(): the VMA containing addr, or NULL. */
struct vm_area *vma_lookup(const struct vma_tree *t, uint64_t addr);
/* True when [start, end) is fully covered by VMAs with no hole. */
bool vma_range_covered(const struct vma_tree *t, uint64_t start, uint64_t end);
bool vma_range_overlaps(const struct vma_tree *t, uint64_t start, uint64_t end);

/* Makes room for `extra` more VMAs; -ENOMEM changes nothing. */
int vma_reserve(struct vma_tree *t, uint32_t extra);
/* __split_vma(): split the VMA at index i at addr (capacity reserved). */
void vma_split(struct vma_tree *t, uint32_t i, uint64_t addr);
/* Splits VMAs first..last (which overlap [start, end)) so that exactly
 * [start, end) is covered by whole VMAs, updating the indices; needs
 * capacity for two more VMAs reserved. */
void vma_split_range(struct vma_tree *t, uint64_t start, uint64_t end, uint32_t *first,
                     uint32_t *last);
void vma_insert(struct vma_tree *t, uint32_t i, const struct vm_area *v);
void vma_remove(struct vma_tree *t, uint32_t i, uint32_t n);
/* Joins VMA i with VMA i+1 when they are compatible neighbours. */
bool vma_try_join(struct vma_tree *t, uint32_t i);
/* vma_merge_new_range(): merge VMA i with the previous VMA first, then the
 * next one if all three are compatible; returns i's new index. */
uint32_t vma_merge_around(struct vma_tree *t, uint32_t i);
/*
 * get_unmapped_area() top-down below mmap_base, as x86-64 does for a
 * process without a legacy layout; 0 when nothing fits.
 */
uint64_t vma_unmapped_area_topdown(const struct vma_tree *t, uint64_t len, uint64_t low,
                                   uint64_t high);
uint64_t vma_unmapped_area_bottomup(const struct vma_tree *t, uint64_t len, uint64_t low,
                                    uint64_t high);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * VMAs: anonymous private mappings, each an individually allocated object
 * (so a fault can hold one under its per-VMA lock while the layout changes),
 * kept in a sorted array of pointers. The array is read under the mmap lock
 * and changed only under it held for write. Every change that can fail
 * reserves its memory first, so a failed call leaves the array as it was.
 *
 * For lockless lookup (lock_vma_under_rcu()) the layout is also published
 * under RCU as an immutable copy: a sorted array of (start, end, prot, VMA),
 * withdrawn at mmap_write_unlock()/mmap_write_downgrade() when the layout
 * changed (freed by call_rcu()) and rebuilt by the first reader that then
 * falls back to the mmap lock. It stands for the maple tree's RCU mode; it is not a maple
 * tree. A stale copy only makes a lockless reader fall back to the mmap
 * lock, because the VMA found is then write-locked, detached or no longer
 * covers the address.
 */
#ifndef PTSIM_VMA_H
#define PTSIM_VMA_H

#include "internal.h"
#include "rcu.h"

struct ptsim_mm;

/* VM_ACCOUNT: the mapping is charged as committed memory. Only flags that
 * decide merging are modelled; VMAs differing in them never merge. */
#define VMA_ACCOUNT 0x1u

struct vm_area {
	uint64_t start, end;
	int prot;          /* PTSIM_PROT_* */
	uint32_t flags;    /* VMA_* */
	uint64_t anon_vma; /* 0 until the first write fault (anon_vma_prepare) */

	/* The per-VMA lock (vma_lock.h). */
	uint64_t vm_lock_seq;          /* == mm->mm_lock_seq: write-locked by the mmap writer */
	uint32_t vm_refcnt;            /* 0 detached, 1 attached, +1 per reader, +VMA_LOCK_OFFSET */
	struct vm_area *detached_next; /* munmap's and exit's list of detached VMAs */
	struct rcu_head_ptsim rcu;
};

struct vma_layout_entry {
	uint64_t start, end;
	struct vm_area *vma;
	int prot;
};

/* The RCU-published copy of the layout. */
struct vma_layout {
	struct rcu_head_ptsim rcu;
	uint32_t nr;
	struct vma_layout_entry e[];
};

#define VMA_SPARES 3

struct vma_tree {
	struct vm_area **v;
	uint32_t nr, cap;
	struct vm_area *spare[VMA_SPARES]; /* reserved objects for inserts and splits */
	uint32_t nr_spare;
	struct vm_area *removed;   /* joined away: freed after the next publish */
	struct vma_layout *layout; /* RCU; NULL when it could not be built */
	bool dirty;                /* changed since the last publish */
	bool publishing;           /* vma_tree_publish_lazy() in progress */
	struct ptsim_mm *mm;       /* NULL (unit tests): no per-VMA locking */
};

void vma_tree_init(struct vma_tree *t);
void vma_tree_destroy(struct vma_tree *t);
/* dup_mmap()'s copy of the VMAs; dst must be initialised (dst->mm set). */
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

/* Makes room for `extra` more VMAs (array and objects); -ENOMEM changes nothing. */
int vma_reserve(struct vma_tree *t, uint32_t extra);
/* __split_vma(): split the VMA at index i at addr (capacity reserved). */
void vma_split(struct vma_tree *t, uint32_t i, uint64_t addr);
/* Splits VMAs first..last (which overlap [start, end)) so that exactly
 * [start, end) is covered by whole VMAs, updating the indices; needs
 * capacity for two more VMAs reserved. */
void vma_split_range(struct vma_tree *t, uint64_t start, uint64_t end, uint32_t *first,
                     uint32_t *last);
/* A new VMA copied from *v (one reserved object), attached and write-locked. */
struct vm_area *vma_insert(struct vma_tree *t, uint32_t i, const struct vm_area *v);
/*
 * vms_gather_munmap_vmas() + vma_iter_clear(): write-lock VMAs [i, i+n),
 * take them out of the array and mark them detached. Returns them as a
 * list in address order (detached_next); free it with vma_free_detached()
 * once the layout was published.
 */
struct vm_area *vma_detach_range(struct vma_tree *t, uint32_t i, uint32_t n);
/* vm_area_free() for each after an RCU grace period; layout published. */
void vma_free_detached(struct vm_area *list);
/* The same, deferred to the next layout change (vma_tree_write_done()). */
void vma_free_after_publish(struct vma_tree *t, struct vm_area *list);
/* Joins VMA i with VMA i+1 when they are compatible neighbours. */
bool vma_try_join(struct vma_tree *t, uint32_t i);
/* vma_merge_new_range(): merge VMA i with the previous VMA first, then the
 * next one if all three are compatible; returns i's new index. */
uint32_t vma_merge_around(struct vma_tree *t, uint32_t i);
/* A field in the published layout (prot) changed in place. */
static inline void vma_tree_mark_dirty(struct vma_tree *t)
{
	t->dirty = true;
}
/*
 * Above this many VMAs the layout copy (O(VMAs) per change) is not made at
 * each mmap write unlock: the layout is withdrawn instead (readers fall back)
 * and rebuilt once by the next reader that needs it. Without it, 65530
 * mmaps would copy 65530^2/2 entries; the kernel's maple tree pays
 * O(log n) per change instead.
 */
#define VMA_PUBLISH_EAGER_MAX 4096
/* vma_end_write_all()'s part: publish, or withdraw for a large tree. */
void vma_tree_write_done(struct vma_tree *t);
/* A withdrawn layout is built again; mmap lock held for read or write. */
void vma_tree_publish_lazy(struct vma_tree *t);
/* Builds and publishes the copy if there is none; mmap lock held (read suffices). */
static inline void vma_layout_rebuild(struct vma_tree *t)
{
	if (!__atomic_load_n(&t->layout, __ATOMIC_ACQUIRE))
		vma_tree_publish_lazy(t);
}
/* The layout entry with end > addr, or NULL; inside an RCU read section. */
const struct vma_layout_entry *vma_layout_find(const struct vma_layout *l, uint64_t addr);

/*
 * get_unmapped_area() top-down below mmap_base, as x86-64 does for a
 * process without a legacy layout; 0 when nothing fits.
 */
uint64_t vma_unmapped_area_topdown(const struct vma_tree *t, uint64_t len, uint64_t low,
                                   uint64_t high);
uint64_t vma_unmapped_area_bottomup(const struct vma_tree *t, uint64_t len, uint64_t low,
                                    uint64_t high);

#endif

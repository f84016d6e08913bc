// SPDX-License-Identifier: MIT
/* The VMA array: lookup, split, merge, gap search, the published layout. */
#include "vma.h"

#include <string.h>

#include "memalloc.h"
#include "vma_lock.h"

void vma_tree_init(struct vma_tree *t)
{
	t->v = NULL;
	t->nr = t->cap = 0;
	t->nr_spare = 0;
	t->removed = NULL;
	t->layout = NULL;
	t->dirty = false;
	t->mm = NULL;
}

static void vma_free_now(struct vm_area *v)
{
	ptsim_free(v);
}

void vma_tree_destroy(struct vma_tree *t)
{
	/* Nothing can look the mm up any more: no grace period needed. */
	for (uint32_t i = 0; i < t->nr; i++)
		vma_free_now(t->v[i]);
	for (uint32_t i = 0; i < t->nr_spare; i++)
		vma_free_now(t->spare[i]);
	while (t->removed) {
		struct vm_area *n = t->removed->detached_next;

		vma_free_now(t->removed);
		t->removed = n;
	}
	ptsim_free(t->layout);
	ptsim_free(t->v);
	vma_tree_init(t);
}

/* vma_start_write() where the tree belongs to an mm. */
static void tree_write_lock(struct vma_tree *t, struct vm_area *v)
{
	if (t->mm)
		vma_start_write(t->mm, v);
}

/* The mapping's fields, not the lock: readers may be moving vm_refcnt. */
static void vma_copy_fields(struct vm_area *dst, const struct vm_area *src)
{
	dst->start = src->start;
	dst->end = src->end;
	dst->prot = src->prot;
	dst->flags = src->flags;
	dst->anon_vma = READ_ONCE(src->anon_vma);
	dst->detached_next = NULL;
}

static struct vm_area *vma_new(struct vma_tree *t, const struct vm_area *src)
{
	struct vm_area *v = t->spare[--t->nr_spare];

	vma_copy_fields(v, src);
	vma_mark_attached(t->mm, v);
	return v;
}

int vma_tree_clone(struct vma_tree *dst, const struct vma_tree *src)
{
	if (vma_reserve(dst, src->nr ? src->nr : 1))
		return -ENOMEM;
	for (uint32_t i = 0; i < src->nr; i++) {
		struct vm_area *v = ptsim_alloc(sizeof(*v));

		if (!v)
			return -ENOMEM; /* what was copied is freed with dst */
		vma_copy_fields(v, src->v[i]);
		vma_mark_attached(dst->mm, v);
		dst->v[dst->nr++] = v;
	}
	dst->dirty = true;
	return 0;
}

uint32_t vma_find_index(const struct vma_tree *t, uint64_t addr)
{
	uint32_t lo = 0, hi = t->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->v[mid]->end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vm_area *find_vma(const struct vma_tree *t, uint64_t addr)
{
	uint32_t i = vma_find_index(t, addr);

	return i < t->nr ? t->v[i] : NULL;
}

struct vm_area *vma_lookup(const struct vma_tree *t, uint64_t addr)
{
	struct vm_area *v = find_vma(t, addr);

	return (v && v->start <= addr) ? v : NULL;
}

bool vma_range_covered(const struct vma_tree *t, uint64_t start, uint64_t end)
{
	uint32_t i = vma_find_index(t, start);
	uint64_t pos = start;

	for (; i < t->nr && pos < end; i++) {
		if (t->v[i]->start > pos)
			return false;
		pos = t->v[i]->end;
	}
	return pos >= end;
}

bool vma_range_overlaps(const struct vma_tree *t, uint64_t start, uint64_t end)
{
	struct vm_area *v = find_vma(t, start);

	return v && v->start < end;
}

int vma_reserve(struct vma_tree *t, uint32_t extra)
{
	uint32_t need = t->nr + extra, cap;
	struct vm_area **n;

	while (t->nr_spare < extra && t->nr_spare < VMA_SPARES) {
		struct vm_area *v = ptsim_alloc(sizeof(*v));

		if (!v)
			return -ENOMEM; /* spares kept stay for the next call */
		t->spare[t->nr_spare++] = v;
	}
	if (need <= t->cap)
		return 0;
	cap = t->cap ? t->cap : 8;
	while (cap < need)
		cap *= 2;
	n = ptsim_realloc(t->v, sizeof(*n) * cap);
	if (!n)
		return -ENOMEM;
	t->v = n;
	t->cap = cap;
	return 0;
}

static void vma_insert_ptr(struct vma_tree *t, uint32_t i, struct vm_area *v)
{
	memmove(&t->v[i + 1], &t->v[i], sizeof(*t->v) * (t->nr - i));
	t->v[i] = v;
	t->nr++;
	t->dirty = true;
}

static void vma_remove_ptrs(struct vma_tree *t, uint32_t i, uint32_t n)
{
	if (t->nr - i - n) /* t->v is NULL in a tree that never had a VMA */
		memmove(&t->v[i], &t->v[i + n], sizeof(*t->v) * (t->nr - i - n));
	t->nr -= n;
	t->dirty = true;
}

struct vm_area *vma_insert(struct vma_tree *t, uint32_t i, const struct vm_area *v)
{
	struct vm_area *n = vma_new(t, v);

	vma_insert_ptr(t, i, n);
	return n;
}

static void tree_detach(struct vma_tree *t, struct vm_area *v)
{
	tree_write_lock(t, v);
	if (t->mm)
		vma_mark_detached(t->mm, v);
	else
		v->vm_refcnt = 0;
}

struct vm_area *vma_detach_range(struct vma_tree *t, uint32_t i, uint32_t n)
{
	struct vm_area *head = NULL, **tail = &head;

	for (uint32_t k = i; k < i + n; k++) {
		tree_detach(t, t->v[k]);
		t->v[k]->detached_next = NULL;
		*tail = t->v[k];
		tail = &t->v[k]->detached_next;
	}
	vma_remove_ptrs(t, i, n);
	return head;
}

static void vma_free_rcu_cb(struct rcu_head_ptsim *head)
{
	ptsim_rcu_callback_enter(head);
	ptsim_free(container_of(head, struct vm_area, rcu));
}

void vma_free_detached(struct vm_area *list)
{
	while (list) {
		struct vm_area *n = list->detached_next;

		ptsim_call_rcu(&list->rcu, vma_free_rcu_cb);
		list = n;
	}
}

void vma_free_after_publish(struct vma_tree *t, struct vm_area *list)
{
	struct vm_area **tail = &t->removed;

	while (*tail)
		tail = &(*tail)->detached_next;
	*tail = list;
}

void vma_split(struct vma_tree *t, uint32_t i, uint64_t addr)
{
	struct vm_area *lo = t->v[i], *hi;

	tree_write_lock(t, lo);
	hi = vma_new(t, lo);
	hi->start = addr;
	lo->end = addr;
	vma_insert_ptr(t, i + 1, hi);
}

void vma_split_range(struct vma_tree *t, uint64_t start, uint64_t end, uint32_t *first,
                     uint32_t *last)
{
	if (t->v[*first]->start < start) {
		vma_split(t, *first, start);
		++*first;
		++*last;
	}
	if (t->v[*last]->end > end)
		vma_split(t, *last, end);
}

/* is_mergeable_anon_vma(): an unfaulted VMA joins anything; two anon_vmas must match. */
static bool vma_compatible(const struct vm_area *a, const struct vm_area *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       (!a->anon_vma || !b->anon_vma || a->anon_vma == b->anon_vma);
}

static void vma_join(struct vma_tree *t, uint32_t i)
{
	struct vm_area *a = t->v[i], *b = t->v[i + 1];

	tree_write_lock(t, a);
	tree_detach(t, b);
	a->end = b->end;
	if (!a->anon_vma)
		a->anon_vma = b->anon_vma;
	vma_remove_ptrs(t, i + 1, 1);
	/* Lockless readers may still hold b: freed after the next publish. */
	b->detached_next = t->removed;
	t->removed = b;
}

bool vma_try_join(struct vma_tree *t, uint32_t i)
{
	if (i + 1 >= t->nr || !vma_compatible(t->v[i], t->v[i + 1]))
		return false;
	vma_join(t, i);
	return true;
}

uint32_t vma_merge_around(struct vma_tree *t, uint32_t i)
{
	/* Left first: a new VMA between two with different anon_vmas joins prev. */
	if (i > 0 && vma_compatible(t->v[i - 1], t->v[i])) {
		vma_join(t, i - 1);
		i--;
	}
	if (i + 1 < t->nr && vma_compatible(t->v[i], t->v[i + 1]))
		vma_join(t, i);
	return i;
}

uint64_t vma_unmapped_area_topdown(const struct vma_tree *t, uint64_t len, uint64_t low,
                                   uint64_t high)
{
	uint32_t i = vma_find_index(t, high);
	uint64_t gap_end = high;

	/* Walk gaps from the top down; the first that fits wins (highest address). */
	for (;;) {
		uint64_t gap_start = i > 0 ? t->v[i - 1]->end : 0;

		if (i < t->nr && t->v[i]->start < gap_end)
			gap_end = t->v[i]->start;
		if (gap_start < low)
			gap_start = low;
		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_end - len;
		if (i == 0)
			return 0;
		i--;
		gap_end = t->v[i]->start;
		if (gap_end <= low)
			return 0;
	}
}

uint64_t vma_unmapped_area_bottomup(const struct vma_tree *t, uint64_t len, uint64_t low,
                                    uint64_t high)
{
	uint32_t i = vma_find_index(t, low);
	uint64_t gap_start = low;

	for (;; i++) {
		uint64_t gap_end = i < t->nr ? t->v[i]->start : high;

		if (gap_end > high)
			gap_end = high;
		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_start;
		if (i >= t->nr || gap_end >= high)
			return 0;
		if (t->v[i]->end > gap_start)
			gap_start = t->v[i]->end;
	}
}

static void vma_layout_free_cb(struct rcu_head_ptsim *head)
{
	ptsim_rcu_callback_enter(head);
	ptsim_free(container_of(head, struct vma_layout, rcu));
}

/* The immutable copy lockless readers search; NULL if out of memory. */
static struct vma_layout *vma_layout_build(const struct vma_tree *t)
{
	struct vma_layout *l = ptsim_alloc(sizeof(*l) + sizeof(l->e[0]) * t->nr);

	if (!l)
		return NULL;
	l->nr = t->nr;
	for (uint32_t i = 0; i < t->nr; i++) {
		l->e[i].start = t->v[i]->start;
		l->e[i].end = t->v[i]->end;
		l->e[i].prot = t->v[i]->prot;
		l->e[i].vma = t->v[i];
	}
	return l;
}

/*
 * rcu_assign_pointer() of the layout (NULL: every reader falls back), then
 * the VMAs joined or unmapped away, which no new reader can find now.
 */
static void vma_layout_replace(struct vma_tree *t, struct vma_layout *l)
{
	struct vma_layout *old = t->layout;

	__atomic_store_n(&t->layout, l, __ATOMIC_RELEASE);
	if (old)
		ptsim_call_rcu(&old->rcu, vma_layout_free_cb);
	vma_free_detached(t->removed);
	t->removed = NULL;
	t->dirty = false;
}

void vma_tree_write_done(struct vma_tree *t)
{
	if (t->dirty)
		vma_layout_replace(t, t->nr <= VMA_PUBLISH_EAGER_MAX ? vma_layout_build(t) : NULL);
}

void vma_tree_publish_lazy(struct vma_tree *t)
{
	/* Readers of the mmap lock may race here; one builds, the others wait.
	 * The tree cannot change (every caller holds the mmap lock), and the
	 * withdrawal already freed what was removed: only the pointer is set. */
	while (__atomic_exchange_n(&t->publishing, true, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	if (!__atomic_load_n(&t->layout, __ATOMIC_ACQUIRE) && t->nr)
		__atomic_store_n(&t->layout, vma_layout_build(t), __ATOMIC_RELEASE);
	__atomic_store_n(&t->publishing, false, __ATOMIC_RELEASE);
}

const struct vma_layout_entry *vma_layout_find(const struct vma_layout *l, uint64_t addr)
{
	uint32_t lo = 0, hi = l->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l->e[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < l->nr ? &l->e[lo] : NULL;
}

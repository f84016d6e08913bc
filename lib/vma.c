// SPDX-License-Identifier: MIT
/* The sorted VMA array: lookup, split, merge, gap search. */
#include "vma.h"

#include <string.h>

#include "memalloc.h"

void vma_tree_init(struct vma_tree *t)
{
	t->v = NULL;
	t->nr = t->cap = 0;
}

void vma_tree_destroy(struct vma_tree *t)
{
	ptsim_free(t->v);
	vma_tree_init(t);
}

int vma_tree_clone(struct vma_tree *dst, const struct vma_tree *src)
{
	vma_tree_init(dst);
	if (vma_reserve(dst, src->nr ? src->nr : 1))
		return -ENOMEM;
	memcpy(dst->v, src->v, sizeof(*src->v) * src->nr);
	dst->nr = src->nr;
	return 0;
}

uint32_t vma_find_index(const struct vma_tree *t, uint64_t addr)
{
	uint32_t lo = 0, hi = t->nr;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vm_area *find_vma(const struct vma_tree *t, uint64_t addr)
{
	uint32_t i = vma_find_index(t, addr);

	return i < t->nr ? &t->v[i] : NULL;
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
		if (t->v[i].start > pos)
			return false;
		pos = t->v[i].end;
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
	struct vm_area *n;

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

void vma_insert(struct vma_tree *t, uint32_t i, const struct vm_area *v)
{
	memmove(&t->v[i + 1], &t->v[i], sizeof(*v) * (t->nr - i));
	t->v[i] = *v;
	t->nr++;
}

void vma_remove(struct vma_tree *t, uint32_t i, uint32_t n)
{
	memmove(&t->v[i], &t->v[i + n], sizeof(*t->v) * (t->nr - i - n));
	t->nr -= n;
}

void vma_split(struct vma_tree *t, uint32_t i, uint64_t addr)
{
	struct vm_area hi = t->v[i];

	hi.start = addr;
	t->v[i].end = addr;
	vma_insert(t, i + 1, &hi);
}

void vma_split_range(struct vma_tree *t, uint64_t start, uint64_t end, uint32_t *first,
                     uint32_t *last)
{
	if (t->v[*first].start < start) {
		vma_split(t, *first, start);
		++*first;
		++*last;
	}
	if (t->v[*last].end > end)
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
	struct vm_area *a = &t->v[i], *b = &t->v[i + 1];

	a->end = b->end;
	if (!a->anon_vma)
		a->anon_vma = b->anon_vma;
	vma_remove(t, i + 1, 1);
}

bool vma_try_join(struct vma_tree *t, uint32_t i)
{
	if (i + 1 >= t->nr || !vma_compatible(&t->v[i], &t->v[i + 1]))
		return false;
	vma_join(t, i);
	return true;
}

uint32_t vma_merge_around(struct vma_tree *t, uint32_t i)
{
	/* Left first: a new VMA between two with different anon_vmas joins prev. */
	if (i > 0 && vma_compatible(&t->v[i - 1], &t->v[i])) {
		vma_join(t, i - 1);
		i--;
	}
	if (i + 1 < t->nr && vma_compatible(&t->v[i], &t->v[i + 1]))
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
		uint64_t gap_start = i > 0 ? t->v[i - 1].end : 0;

		if (i < t->nr && t->v[i].start < gap_end)
			gap_end = t->v[i].start;
		if (gap_start < low)
			gap_start = low;
		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_end - len;
		if (i == 0)
			return 0;
		i--;
		gap_end = t->v[i].start;
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
		uint64_t gap_end = i < t->nr ? t->v[i].start : high;

		if (gap_end > high)
			gap_end = high;
		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_start;
		if (i >= t->nr || gap_end >= high)
			return 0;
		if (t->v[i].end > gap_start)
			gap_start = t->v[i].end;
	}
}

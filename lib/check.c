// SPDX-License-Identifier: MIT
/*
 * ptsim_mm_check(): every invariant that can be checked, under the mmap
 * lock held for write (no fault, zap or locked walk runs meanwhile).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cow_pte.h"
#include "frame.h"
#include "memalloc.h"
#include "pgalloc.h"
#include "strategy.h"
#include "vma_lock.h"

struct check {
	struct ptsim_mm *mm;
	char *msg;
	size_t len;
	bool failed;
	bool enomem; /* the check itself ran out of memory: no verdict */
	uint64_t tables[PT_LEVELS];
	uint64_t rss, zero;
	uint32_t *pfns; /* frame indices mapped, for the refcount check */
	size_t nr_pfns, cap_pfns;
};

__attribute__((format(printf, 2, 3))) static void fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	if (c->msg && c->len) {
		va_start(ap, fmt);
		vsnprintf(c->msg, c->len, fmt, ap);
		va_end(ap);
	}
}

static void note_frame(struct check *c, uint32_t idx)
{
	if (c->nr_pfns == c->cap_pfns) {
		size_t cap = c->cap_pfns ? c->cap_pfns * 2 : 4096;
		uint32_t *n = ptsim_realloc(c->pfns, cap * sizeof(*n));

		if (!n) {
			/* Not a broken invariant: stop and say so. */
			if (!c->failed && c->msg && c->len)
				snprintf(c->msg, c->len, "out of memory while checking frames");
			c->failed = c->enomem = true;
			return;
		}
		c->pfns = n;
		c->cap_pfns = cap;
	}
	c->pfns[c->nr_pfns++] = idx;
}

/* charged: the table's pages count in this mm's RSS (all but a deferred COW
 * link this mm does not own, whose frames are counted once, by the owner). */
static void check_pte_table(struct check *c, pte_t *table, uint64_t base, bool charged)
{
	struct ptdesc *d = ptdesc_of(table);
	unsigned nonnone = 0, nzero = 0;

	for (unsigned i = 0; i < PTRS_PER_TABLE && !c->failed; i++) {
		pte_t e = ptep_get(&table[i]);
		uint64_t addr = base + ((uint64_t)i << PAGE_SHIFT), pfn;
		struct vm_area *vma;

		if (pte_none(e))
			continue;
		nonnone++;
		vma = vma_lookup(&c->mm->vmas, addr);
		if (!vma) {
			fail(c, "pte %#llx at %#llx lies outside every VMA", (unsigned long long)e,
			     (unsigned long long)addr);
			return;
		}
		if (!pte_present(e))
			continue;
		pfn = pte_pfn(e);
		if (is_zero_pfn(pfn)) {
			nzero++;
			c->zero += charged;
			if (e & _PAGE_RW)
				fail(c, "zero page mapped writable at %#llx",
				     (unsigned long long)addr);
			continue;
		}
		if (!pfn_is_frame(pfn) || pfn_frame(pfn) >= frame_hwm()) {
			fail(c, "pte %#llx at %#llx maps no frame", (unsigned long long)e,
			     (unsigned long long)addr);
			return;
		}
		if ((e & _PAGE_RW) && !(vma->prot & PTSIM_PROT_WRITE))
			fail(c, "writable pte at %#llx in a read-only VMA",
			     (unsigned long long)addr);
		if (!(e & _PAGE_PRESENT) != (vma->prot == PTSIM_PROT_NONE))
			fail(c, "pte %#llx at %#llx disagrees with VMA protection %d",
			     (unsigned long long)e, (unsigned long long)addr, vma->prot);
		c->rss += charged;
		note_frame(c, pfn_frame(pfn));
	}
	if (!c->failed && c->mm->ops->check_pte_table)
		if (c->mm->ops->check_pte_table(d, nonnone, nzero, c->msg, c->len))
			c->failed = true;
}

/*
 * A COW link (read-only PMD entry) to a PTE table: the table may be linked
 * by other mms too and charged to one of them, or to none; if it is
 * charged to us, its parent is our entry. Under the table's PTL, which
 * every mm linking it takes to change its count or owner.
 */
static bool check_cow_link(struct check *c, struct ptdesc *d, uint64_t base, pte_t *parent)
{
	struct ptsim_lock_stats dummy = {0};
	uint32_t ref;
	bool ours, parent_ok, deferred;

	spin_lock(&d->ptl, &dummy);
	ref = d->cow_ref;
	ours = d->mm == c->mm;
	deferred = d->cow_deferred;
	parent_ok = !ours || d->parent == parent;
	spin_unlock(&d->ptl);
	if (READ_ONCE(d->state) != PTD_LINKED || d->level != PT_LEVEL_PTE || !ref || !parent_ok)
		fail(c, "COW PTE table %p for %#llx: state %d level %d links %u parent %s",
		     (void *)ptdesc_table(d), (unsigned long long)base, READ_ONCE(d->state),
		     d->level, ref, parent_ok ? "ok" : "WRONG");
	else if (ours)
		c->tables[PT_LEVEL_PTE]++;
	return ours || !deferred;
}

static void check_table(struct check *c, pte_t *table, int level, uint64_t base, pte_t *parent)
{
	struct ptdesc *d = ptdesc_of(table);

	if ((uintptr_t)table & (PAGE_SIZE - 1)) {
		fail(c, "level %d table %p is not page aligned", level, (void *)table);
		return;
	}
	if (level == PT_LEVEL_PTE && parent && pmd_cow(pt_entry_read(parent))) {
		bool charged = check_cow_link(c, d, base, parent);

		if (!c->failed)
			check_pte_table(c, table, base, charged);
		return;
	}
	if (READ_ONCE(d->state) != PTD_LINKED || d->level != level || d->mm != c->mm ||
	    (parent && d->parent != parent) || (level == PT_LEVEL_PTE && d->cow_ref != 1)) {
		fail(c, "level %d table %p for %#llx: state %d level %d mm %s parent %s", level,
		     (void *)table, (unsigned long long)base, READ_ONCE(d->state), d->level,
		     d->mm == c->mm ? "ok" : "WRONG",
		     (!parent || d->parent == parent) ? "ok" : "WRONG");
		return;
	}
	c->tables[level]++;
	if (level == PT_LEVEL_PTE) {
		check_pte_table(c, table, base, true);
		return;
	}
	for (unsigned i = 0; i < PTRS_PER_TABLE && !c->failed; i++) {
		pte_t e = pt_entry_read(&table[i]);
		uint64_t addr = base + ((uint64_t)i << level_shift(level));

		if (pte_none(e))
			continue;
		if ((e & ~_PAGE_PFN_MASK) != _PAGE_TABLE &&
		    (level != PT_LEVEL_PMD || !pmd_cow(e) ||
		     (e & ~_PAGE_PFN_MASK) != (_PAGE_TABLE & ~_PAGE_RW))) {
			fail(c, "level %d entry %#llx for %#llx is not a table entry", level,
			     (unsigned long long)e, (unsigned long long)addr);
			return;
		}
		check_table(c, entry_table(e), level + 1, addr, &table[i]);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Each frame: one reference per mapping (+ pins); exactly, unless other mms
 * (fork) may map it too. */
static void check_frames(struct check *c)
{
	if (c->nr_pfns) /* pfns is NULL when nothing is mapped */
		qsort(c->pfns, c->nr_pfns, sizeof(*c->pfns), cmp_u32);
	for (size_t i = 0; i < c->nr_pfns && !c->failed;) {
		size_t j = i;
		uint32_t idx = c->pfns[i], ref, pins, maps;
		uint64_t count = frame_count(idx);

		while (j < c->nr_pfns && c->pfns[j] == idx)
			j++;
		maps = (uint32_t)(j - i);
		ref = FRAME_REFS(count);
		pins = FRAME_PINS(count);
		if (ref < pins || ref - pins < maps ||
		    (!c->mm->shares_frames && ref - pins != maps))
			fail(c, "frame %#llx: refcount %u, pins %u, but %u mappings in this mm",
			     (unsigned long long)frame_pfn(idx), ref, pins, maps);
		i = j;
	}
}

static void check_counters(struct check *c, const struct ptsim_mm_stats *st)
{
	uint64_t bytes = 0;

	for (int l = PT_LEVEL_PGD; l < PT_LEVELS; l++) {
		if ((uint64_t)READ_ONCE(c->mm->nr_tables[l]) != c->tables[l])
			fail(c, "level %d: counter says %lld tables, %llu reachable", l,
			     (long long)READ_ONCE(c->mm->nr_tables[l]),
			     (unsigned long long)c->tables[l]);
		if (l != PT_LEVEL_PGD)
			bytes += c->tables[l] * PAGE_SIZE;
	}
	if (st->pgtables_bytes != bytes)
		fail(c, "pgtables_bytes %llu, reachable tables make %llu",
		     (unsigned long long)st->pgtables_bytes, (unsigned long long)bytes);
	if (st->rss_anon_pages != c->rss)
		fail(c, "rss_anon_pages %llu, %llu frames mapped",
		     (unsigned long long)st->rss_anon_pages, (unsigned long long)c->rss);
	if (st->zero_page_ptes != c->zero)
		fail(c, "zero_page_ptes %llu, %llu entries map the zero page",
		     (unsigned long long)st->zero_page_ptes, (unsigned long long)c->zero);
}

static void check_vmas(struct check *c)
{
	const struct vma_tree *t = &c->mm->vmas;
	uint64_t pages = 0;

	/* The lockless copies the statistics read. */
	for (uint32_t i = 0; i < t->nr; i++)
		pages += (t->v[i]->end - t->v[i]->start) >> PAGE_SHIFT;
	if ((uint64_t)READ_ONCE(c->mm->map_count) != t->nr ||
	    (uint64_t)READ_ONCE(c->mm->total_vm) != pages)
		fail(c, "map_count %lld, total_vm %lld, but %u VMAs of %llu pages",
		     (long long)READ_ONCE(c->mm->map_count), (long long)READ_ONCE(c->mm->total_vm),
		     t->nr, (unsigned long long)pages);

	for (uint32_t i = 0; i < t->nr && !c->failed; i++) {
		const struct vm_area *v = t->v[i];

		if (v->start >= v->end || (v->start | v->end) & ~PAGE_MASK || v->end > TASK_SIZE ||
		    (i && t->v[i - 1]->end > v->start))
			fail(c, "VMA %u [%#llx, %#llx) is malformed or overlaps its predecessor", i,
			     (unsigned long long)v->start, (unsigned long long)v->end);
		else if (!__atomic_load_n(&v->vm_refcnt, __ATOMIC_RELAXED))
			fail(c, "VMA %u [%#llx, %#llx) is in the tree but detached", i,
			     (unsigned long long)v->start, (unsigned long long)v->end);
	}
	/* The published layout is what lockless lookups see: it must match. */
	if (!c->failed && !t->dirty && t->layout) {
		const struct vma_layout *l = t->layout;

		if (l->nr != t->nr)
			fail(c, "published layout has %u VMAs, the tree %u", l->nr, t->nr);
		for (uint32_t i = 0; i < t->nr && !c->failed; i++)
			if (l->e[i].vma != t->v[i] || l->e[i].start != t->v[i]->start ||
			    l->e[i].end != t->v[i]->end || l->e[i].prot != t->v[i]->prot)
				fail(c, "published layout entry %u differs from the tree", i);
	}
}

int ptsim_mm_get_stats_locked(struct ptsim_mm *mm, struct ptsim_mm_stats *st);

int ptsim_mm_check(struct ptsim_mm *mm, char *msg, size_t msglen)
{
	struct check c = {.mm = mm, .msg = msg, .len = msglen};
	struct ptsim_mm_stats st;
	int ret;

	if (!mm)
		return -EINVAL;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	if (msg && msglen)
		msg[0] = 0;
	mmap_write_lock(mm);
	/* Faults and madvise under per-VMA locks do not wait for the mmap lock. */
	for (uint32_t i = 0; i < mm->vmas.nr; i++)
		vma_start_write(mm, mm->vmas.v[i]);
	check_vmas(&c);
	if (!c.failed)
		check_table(&c, mm->pgd, PT_LEVEL_PGD, 0, NULL);
	if (!c.failed) {
		ptsim_mm_get_stats_locked(mm, &st);
		check_counters(&c, &st);
	}
	if (!c.failed)
		check_frames(&c);
	mmap_write_unlock(mm);
	ptsim_free(c.pfns);
	if (c.enomem)
		return -ENOMEM;
	return c.failed ? -EUCLEAN : 0;
}

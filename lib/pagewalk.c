// SPDX-License-Identifier: MIT
/* The locked walker (walk_page_range) and ptsim_get_pte. */
#include "pgalloc.h"
#include "strategy.h"

struct walk {
	struct ptsim_mm *mm;
	const struct ptsim_walk_ops *ops;
	void *priv;
};

static int walk_hole(struct walk *w, uint64_t addr, uint64_t end, int level)
{
	return w->ops->pte_hole ? w->ops->pte_hole(addr, end, level, w->priv) : 0;
}

/* walk_pte_range(): the table mapped and locked, the PMD re-checked. */
static int walk_pte_range(struct walk *w, pte_t *pmdp, uint64_t addr, uint64_t end)
{
	struct ptdesc *d;
	pte_t *pte;
	int ret = 0;

	if (!w->ops->pte_entry)
		return 0;
	pte = pte_offset_map_lock(w->mm, pmdp, addr, &d);
	if (!pte) /* freed since we looked at the PMD: the range is a hole now */
		return walk_hole(w, addr, end, PT_LEVEL_PTE);
	for (; addr < end && !ret; addr += PAGE_SIZE, pte++)
		ret = w->ops->pte_entry(ptep_get(pte), addr, addr + PAGE_SIZE, w->priv);
	pte_unmap_unlock(w->mm, d);
	return ret;
}

static int walk_level(struct walk *w, pte_t *table, int level, uint64_t addr, uint64_t end)
{
	int ret = 0;

	do {
		uint64_t next = pt_addr_end(addr, end, level);
		pte_t *p = &table[pt_index(addr, level)];
		pte_t e = pt_entry_read(p);

		if (pte_none(e)) {
			/* A missing table one level below `level`. */
			ret = walk_hole(w, addr, next, level + 1);
		} else if (level == PT_LEVEL_PMD) {
			if (w->ops->pmd_entry)
				ret = w->ops->pmd_entry(e, addr, next, w->priv);
			if (!ret)
				ret = walk_pte_range(w, p, addr, next);
		} else {
			ret = walk_level(w, entry_table(e), level + 1, addr, next);
		}
		addr = next;
	} while (addr < end && !ret);
	return ret;
}

int ptsim_walk_page_range(struct ptsim_mm *mm, uint64_t start, uint64_t end,
                          const struct ptsim_walk_ops *ops, void *priv)
{
	struct walk w = {.mm = mm, .ops = ops, .priv = priv};
	const struct vma_tree *t;
	uint64_t pos = start;
	int ret = 0, hole = 0;

	/* walk_page_range(): an empty or inverted range is -EINVAL there too. */
	if (!mm || !ops || start >= end || end > TASK_SIZE || ((start | end) & ~PAGE_MASK))
		return -EINVAL;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	t = &mm->vmas;
	mmap_read_lock(mm);
	pt_walk_begin(mm);
	for (uint32_t i = vma_find_index(t, start); i < t->nr && t->v[i]->start < end && !ret;
	     i++) {
		uint64_t s = t->v[i]->start > pos ? t->v[i]->start : pos;
		uint64_t e = t->v[i]->end < end ? t->v[i]->end : end;

		if (s > pos) {
			hole = -ENOMEM;
			ret = walk_hole(&w, pos, s, -1);
		}
		if (!ret)
			ret = walk_level(&w, mm->pgd, PT_LEVEL_PGD, s, e);
		pos = e;
	}
	if (!ret && pos < end) {
		hole = -ENOMEM;
		ret = walk_hole(&w, pos, end, -1);
	}
	pt_walk_end(mm);
	mmap_read_unlock(mm);
	return ret ? ret : hole;
}

int ptsim_get_pte(struct ptsim_mm *mm, uint64_t addr, uint64_t *out)
{
	pte_t *pmdp, *pte;
	struct ptdesc *d;
	int ret;

	if (!mm || !out || addr >= TASK_SIZE)
		return -EINVAL;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	*out = 0;
	mmap_read_lock(mm);
	pt_walk_begin(mm);
	pmdp = pt_walk(mm, addr, PT_LEVEL_PMD, false);
	if (pmdp && (pte = pte_offset_map_lock(mm, pmdp, addr, &d))) {
		*out = ptep_get(pte);
		pte_unmap_unlock(mm, d);
	}
	pt_walk_end(mm);
	mmap_read_unlock(mm);
	return 0;
}

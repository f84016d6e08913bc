// SPDX-License-Identifier: MIT
/* madvise: DONTNEED, FREE, POPULATE_READ, POPULATE_WRITE. */
#include "fault.h"
#include "frame.h"
#include "mmap.h"
#include "pgalloc.h"
#include "strategy.h"
#include "zap.h"

/* madvise_dontneed_single_vma(): zap, letting the strategy free tables. */
static void madvise_dontneed(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	const struct zap_details details = {.reclaim_pt = true};

	unmap_page_range(mm, start, end, &details);
}

/* madvise_free_pte_range(): exclusive frames become clean and old (lazily
 * freeable); the entries stay. A strategy may look at the table after it
 * (percpu: patch 15/18's try_to_free_user_pte()). */
static void madvise_free_pte_range(struct ptsim_mm *mm, pte_t *pmdp, uint64_t addr, uint64_t end,
                                   void *priv)
{
	struct ptdesc *d;
	pte_t *pte = pte_offset_map_lock(mm, pmdp, addr, &d);

	(void)priv;
	if (!pte)
		return;
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t e = ptep_get(pte);
		uint64_t pfn = pte_pfn(e);

		if (!pte_present(e) || is_zero_pfn(pfn))
			continue;
		if (frame_refcount(pfn_frame(pfn)) != 1)
			continue; /* shared with another mm: left alone */
		set_pte(pte, e & ~(_PAGE_ACCESSED | _PAGE_DIRTY));
	}
	pte_unmap_unlock(mm, d);
	if (mm->ops->madv_free_pte_done)
		mm->ops->madv_free_pte_done(mm, pmdp);
}

static bool advice_valid(int advice)
{
	return advice == PTSIM_MADV_DONTNEED || advice == PTSIM_MADV_FREE ||
	       advice == PTSIM_MADV_POPULATE_READ || advice == PTSIM_MADV_POPULATE_WRITE;
}

/* madvise_populate(): fault the range in; stops at the first hole. */
static int madvise_populate(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool write)
{
	const struct vma_tree *t = &mm->vmas;
	uint64_t pos = start;

	/* Permissions first, so a forbidden range changes nothing. */
	for (uint32_t i = vma_find_index(t, start); i < t->nr && pos < end; i++) {
		if (t->v[i].start > pos)
			break; /* the hole: populate up to it, then -ENOMEM */
		if (!vma_permits(&t->v[i], write))
			return -EINVAL;
		pos = t->v[i].end;
	}
	return populate_range(mm, start, end, write);
}

int ptsim_madvise(struct ptsim_mm *mm, uint64_t start, uint64_t len_in, int advice)
{
	const struct vma_tree *t;
	uint64_t len, end, pos;
	int ret, unmapped_error = 0;

	if (!mm || !advice_valid(advice) || (start & ~PAGE_MASK))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	ret = mm_enter(mm);
	if (ret)
		return ret;
	t = &mm->vmas;
	mmap_read_lock(mm);
	if (advice == PTSIM_MADV_POPULATE_READ || advice == PTSIM_MADV_POPULATE_WRITE) {
		ret = madvise_populate(mm, start, end, advice == PTSIM_MADV_POPULATE_WRITE);
		mmap_read_unlock(mm);
		return ret;
	}
	/* madvise_walk_vmas(): apply to each mapped part, remember holes. */
	pos = start;
	for (uint32_t i = vma_find_index(t, start); i < t->nr && t->v[i].start < end; i++) {
		uint64_t s = t->v[i].start > pos ? t->v[i].start : pos;
		uint64_t e = t->v[i].end < end ? t->v[i].end : end;

		if (t->v[i].start > pos)
			unmapped_error = -ENOMEM;
		if (advice == PTSIM_MADV_DONTNEED)
			madvise_dontneed(mm, s, e);
		else
			walk_pmd_range(mm, s, e, madvise_free_pte_range, NULL);
		pos = e;
	}
	if (pos < end)
		unmapped_error = -ENOMEM;
	mmap_read_unlock(mm);
	return unmapped_error;
}

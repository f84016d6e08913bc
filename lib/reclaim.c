// SPDX-License-Identifier: MIT
/* Reclaim passes: one mm, or every mm with the most reclaimable bytes first. */
#include <stdlib.h>

#include "memalloc.h"
#include "strategy.h"

int64_t ptsim_reclaim(struct ptsim_mm *mm)
{
	if (!mm)
		return -EINVAL;
	if (mm_enter(mm))
		return -ENOMEM;
	if (!mm->ops->reclaim)
		return 0; /* this strategy frees tables on its own paths only */
	return mm->ops->reclaim(mm);
}

struct candidate {
	struct ptsim_mm *mm;
	uint64_t bytes;
};

static int by_bytes_desc(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

int64_t ptsim_reclaim_global(uint64_t target_bytes)
{
	struct ptsim_mm **mms;
	struct candidate *c;
	size_t nr;
	int64_t freed = 0;

	ptsim_thread_enter();
	if (mm_list_snapshot(&mms, &nr))
		return -ENOMEM;
	c = ptsim_alloc(sizeof(*c) * (nr ? nr : 1));
	if (!c) {
		for (size_t i = 0; i < nr; i++)
			mmput(mms[i]);
		ptsim_free(mms);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nr; i++) {
		c[i].mm = mms[i];
		c[i].bytes =
		        mms[i]->ops->reclaimable_bytes ? mms[i]->ops->reclaimable_bytes(mms[i]) : 0;
	}
	qsort(c, nr, sizeof(*c), by_bytes_desc);
	for (size_t i = 0; i < nr; i++) {
		if (c[i].bytes && (!target_bytes || (uint64_t)freed < target_bytes)) {
			int64_t r = ptsim_reclaim(c[i].mm);

			if (r > 0)
				freed += r;
		}
		mmput(c[i].mm);
	}
	ptsim_free(c);
	ptsim_free(mms);
	return freed;
}

void ptsim_synchronize(void)
{
	ptsim_thread_enter();
	ptsim_rcu_barrier();
}

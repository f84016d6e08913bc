// SPDX-License-Identifier: MIT
/* Reclaim passes: one mm, or every mm with the most reclaimable bytes first. */
#include "reclaim_tree.h"
#include "strategy.h"

/* One mm's pass; the caller holds a user reference (mm_users). */
static int64_t reclaim_mm(struct ptsim_mm *mm)
{
	int ret = __mm_enter(mm);

	if (ret)
		return ret;
	if (!mm->ops->reclaim)
		return 0; /* this strategy frees tables on its own paths only */
	return mm->ops->reclaim(mm);
}

int64_t ptsim_reclaim(struct ptsim_mm *mm)
{
	if (!mm || (uaf_checked() && mm_handle_bad(mm, __func__)))
		return -EINVAL;
	return reclaim_mm(mm);
}

/*
 * Global reclaim: the mm with the most reclaimable bytes first, taken live
 * from the ordered set every strategy with reclaimable bytes keeps its mms
 * in (reclaim_tree.h), until target_bytes (0: no target) are freed. Each mm
 * is visited at most once per call.
 */
int64_t ptsim_reclaim_global(uint64_t target_bytes)
{
	uint64_t pass;
	struct ptsim_mm *mm;
	int64_t freed = 0;

	ptsim_thread_enter();
	pass = reclaim_tree_new_pass();
	while ((!target_bytes || (uint64_t)freed < target_bytes) &&
	       (mm = reclaim_tree_pick(pass))) {
		/* Its handle may be destroyed already: our reference keeps it. */
		int64_t r = reclaim_mm(mm);

		if (r > 0)
			freed += r;
		mmput(mm);
	}
	return freed;
}

void ptsim_synchronize(void)
{
	ptsim_thread_enter();
	ptsim_rcu_barrier();
}

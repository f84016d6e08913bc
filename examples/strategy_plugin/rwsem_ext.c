// SPDX-License-Identifier: MIT
/*
 * rwsem-ext: the page-table rwsem (Jason Gunthorpe's 2021 proposal, the
 * built-in `rwsem`) written against the public strategy API only, version
 * 2: a per-mm rwlock in the strategy data, held for read by every walk
 * (walk_begin/walk_end) and for write by the freeing (dontneed_done, and
 * munmap/exit's free_pgtables() through free_begin/free_end). After each
 * MADV_DONTNEED, under the write side, ptsim_free_empty_tables() unlinks
 * every PTE, PMD and PUD table of the range left with no entry. It must
 * give the built-in's VmPTE figures; unlike it, it frees tables after an
 * RCU grace period (the API's only free of them) and its lock is a
 * pthread rwlock, which the library's lock statistics do not see.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <ptsim/strategy.h>

#include "plugin.h"

static pthread_rwlock_t *pt_rwsem(struct ptsim_mm *mm)
{
	return ptsim_mm_strategy_data(mm);
}

static int rwsem_ext_mm_init(struct ptsim_mm *mm)
{
	pthread_rwlock_t *l = malloc(sizeof(*l));

	if (!l || pthread_rwlock_init(l, NULL)) {
		free(l);
		return -ENOMEM;
	}
	ptsim_mm_set_strategy_data(mm, l);
	return 0;
}

static void rwsem_ext_mm_destroy(struct ptsim_mm *mm)
{
	pthread_rwlock_destroy(pt_rwsem(mm));
	free(pt_rwsem(mm));
}

/* Two atomics per walk, as the built-in counts them. */
static void rwsem_ext_walk_begin(struct ptsim_mm *mm)
{
	pthread_rwlock_rdlock(pt_rwsem(mm));
	ptsim_count_atomics(mm, 2);
}

static void rwsem_ext_unlock(struct ptsim_mm *mm)
{
	pthread_rwlock_unlock(pt_rwsem(mm));
}

static void rwsem_ext_free_begin(struct ptsim_mm *mm)
{
	pthread_rwlock_wrlock(pt_rwsem(mm));
	ptsim_count_atomics(mm, 2);
}

static void rwsem_ext_dontneed_done(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	rwsem_ext_free_begin(mm);
	ptsim_free_empty_tables(mm, start, end);
	rwsem_ext_unlock(mm);
}

const struct ptsim_strategy_ops rwsem_ext_ops = {
        .api_version = PTSIM_STRATEGY_API_VERSION,
        .size = sizeof(struct ptsim_strategy_ops),
        .name = "rwsem-ext",
        .era = "5.x",
        .mm_init = rwsem_ext_mm_init,
        .mm_destroy = rwsem_ext_mm_destroy,
        .walk_begin = rwsem_ext_walk_begin,
        .walk_end = rwsem_ext_unlock,
        .free_begin = rwsem_ext_free_begin,
        .free_end = rwsem_ext_unlock,
        .dontneed_done = rwsem_ext_dontneed_done,
};

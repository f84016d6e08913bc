/* SPDX-License-Identifier: MIT */
/* Per-thread state: lazy RCU registration and the thread's frame cache. */
#ifndef PTSIM_THREAD_H
#define PTSIM_THREAD_H

#include "internal.h"

#define FRAME_CACHE_MAX 64

struct ptsim_thread {
	bool registered;
	bool rcu_registered_here; /* false: the program registered it with liburcu */
	uint64_t tid;             /* never reused; 0 until first needed */
	unsigned nr_cached_frames;
	uint32_t cached_frames[FRAME_CACHE_MAX]; /* free frame indices, like a pcp list */
	struct mm_stats_cache {
		const struct ptsim_mm *mm;
		uint64_t gen;
		struct mm_thread_stats *stats;
	} stats_cache[4];
	unsigned stats_cache_next;
	/* Set by a strategy whose pte_tryget() failed for lack of memory, not
	 * because the table is going away: pte_offset_map_lock() callers that
	 * would retry return -ENOMEM instead (pte_map_enomem()). */
	bool pte_map_enomem;
};

extern __thread struct ptsim_thread ptsim_current;

void ptsim_thread_register_slow(void);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A libptsim extension, not in any kernel series: the mms that have
 * reclaimable page-table bytes, kept ordered by those bytes (most first)
 * for global reclaim. The bitfield RFC's cover letter only sketched "an
 * rbtree of mms keyed by reclaimable_pt_bytes" picked from the reclaim path;
 * its patches have none. Here an ordered skip list (expected O(log n)
 * re-key) under one global spinlock. A strategy that reports reclaimable
 * bytes embeds a node per mm and re-keys it when its count changed, with no
 * page-table lock held: changes made under a PTL are deferred to the end of
 * the visit, so that no PTL holder ever waits for this global lock.
 */
#ifndef PTSIM_RECLAIM_TREE_H
#define PTSIM_RECLAIM_TREE_H

#include "mm.h"

#define RECLAIM_TREE_MAX_LEVEL 12

struct reclaim_node {
	struct reclaim_node *next[RECLAIM_TREE_MAX_LEVEL];
	struct ptsim_mm *mm;
	uint64_t bytes; /* the key, as of the last re-key */
	uint64_t pass;  /* the last global reclaim pass that visited the mm */
	int level;      /* 0: not in the tree */
};

/* Re-reads *bytes under the tree lock and moves the node to its place
 * (out of the tree at 0), so that the last of racing updaters wins. */
void reclaim_tree_rekey(struct reclaim_node *n, struct ptsim_mm *mm, const int64_t *bytes);
/* Takes the node out for good (mm teardown). */
void reclaim_tree_remove(struct reclaim_node *n);
/* The mm with the most reclaimable bytes that this pass has not visited
 * yet, with a reference (mmget); NULL when none is left. */
struct ptsim_mm *reclaim_tree_pick(uint64_t pass);
/* A new pass number for reclaim_tree_pick(). */
uint64_t reclaim_tree_new_pass(void);

#endif

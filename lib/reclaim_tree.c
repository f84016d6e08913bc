// SPDX-License-Identifier: MIT
/* The ordered set of mms by reclaimable page-table bytes (reclaim_tree.h). */
#include "reclaim_tree.h"

static struct {
	spinlock_t lock;
	struct ptsim_lock_stats lock_stats;
	struct reclaim_node head; /* sentinel: head.next[i] is the first at level i */
	uint64_t rnd;
	uint64_t pass;
} rt = {.rnd = 0x9e3779b97f4a7c15ULL};

/* Ordered by bytes, most first; equal keys by node address. */
static inline bool rt_before(const struct reclaim_node *a, uint64_t bytes,
                             const struct reclaim_node *b)
{
	return a->bytes > bytes || (a->bytes == bytes && (uintptr_t)a < (uintptr_t)b);
}

static int rt_random_level(void)
{
	uint64_t x = rt.rnd;
	int level = 1;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rt.rnd = x;
	while (level < RECLAIM_TREE_MAX_LEVEL && (x & 3) == 0) {
		level++;
		x >>= 2;
	}
	return level;
}

/* Fills prev[i] with the last node at level i that sorts before n. */
static void rt_find(struct reclaim_node *n, struct reclaim_node **prev)
{
	struct reclaim_node *p = &rt.head;

	for (int i = RECLAIM_TREE_MAX_LEVEL - 1; i >= 0; i--) {
		while (p->next[i] && p->next[i] != n && rt_before(p->next[i], n->bytes, n))
			p = p->next[i];
		prev[i] = p;
	}
}

static void rt_unlink(struct reclaim_node *n)
{
	struct reclaim_node *prev[RECLAIM_TREE_MAX_LEVEL];

	if (!n->level)
		return;
	rt_find(n, prev);
	for (int i = 0; i < n->level; i++)
		if (prev[i]->next[i] == n)
			prev[i]->next[i] = n->next[i];
	n->level = 0;
}

static void rt_link(struct reclaim_node *n)
{
	struct reclaim_node *prev[RECLAIM_TREE_MAX_LEVEL];

	rt_find(n, prev);
	n->level = rt_random_level();
	for (int i = 0; i < n->level; i++) {
		n->next[i] = prev[i]->next[i];
		prev[i]->next[i] = n;
	}
}

void reclaim_tree_rekey(struct reclaim_node *n, struct ptsim_mm *mm, const int64_t *bytes)
{
	int64_t b;

	spin_lock(&rt.lock, &rt.lock_stats);
	b = __atomic_load_n(bytes, __ATOMIC_RELAXED);
	n->mm = mm;
	if (!n->level || (uint64_t)(b > 0 ? b : 0) != n->bytes) {
		rt_unlink(n);
		n->bytes = b > 0 ? (uint64_t)b : 0;
		if (n->bytes)
			rt_link(n);
	}
	spin_unlock(&rt.lock);
}

void reclaim_tree_remove(struct reclaim_node *n)
{
	spin_lock(&rt.lock, &rt.lock_stats);
	rt_unlink(n);
	spin_unlock(&rt.lock);
}

uint64_t reclaim_tree_new_pass(void)
{
	return __atomic_add_fetch(&rt.pass, 1, __ATOMIC_RELAXED);
}

struct ptsim_mm *reclaim_tree_pick(uint64_t pass)
{
	struct ptsim_mm *mm = NULL;

	spin_lock(&rt.lock, &rt.lock_stats);
	for (struct reclaim_node *n = rt.head.next[0]; n; n = n->next[0]) {
		if (n->pass == pass)
			continue;
		n->pass = pass;
		if (mmget_not_zero(n->mm)) {
			mm = n->mm;
			break;
		}
	}
	spin_unlock(&rt.lock);
	return mm;
}

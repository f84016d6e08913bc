// SPDX-License-Identifier: MIT
/* Table slabs: allocation, immediate free, RCU-deferred free. */
#include "ptdesc.h"

#include <string.h>

#include "memalloc.h"
#include "mm.h"
#include "uaf.h"

#define PT_QUARANTINE 2048 /* tables held back from reuse in checked mode */

struct pt_slab {
	struct pt_slab *next, *prev; /* list of slabs with free tables */
	uint32_t nr_free;
	uint32_t free_head; /* page index of the first freed table, 0 = none */
	uint32_t bump;      /* first never-used page: its descriptor page is untouched yet */
	uint32_t on_list;
};
_Static_assert(sizeof(struct pt_slab) <= sizeof(struct ptdesc), "header fits slot 0");
_Static_assert(PT_SLAB_DESC_PAGES *PAGE_SIZE >= PT_SLAB_PAGES * sizeof(struct ptdesc),
               "descriptor pages hold a descriptor per page");

static struct {
	spinlock_t lock;
	struct pt_slab *partial; /* slabs with at least one free table */
	uint64_t nr_slabs;
	uint64_t nr_empty; /* fully free slabs kept */
	uint64_t in_use;
	uint64_t pending; /* unlinked, waiting for a grace period */
	struct ptsim_lock_stats lock_stats;
	/* Checked mode: freed tables wait here, poisoned, before reuse. */
	struct ptdesc *quarantine[PT_QUARANTINE];
	uint32_t q_head, q_len;
} pt_pool;

#define SLAB_TABLES     (PT_SLAB_PAGES - PT_SLAB_DESC_PAGES)
#define MAX_EMPTY_SLABS 1

static inline struct pt_slab *slab_of(const void *p)
{
	return (struct pt_slab *)((uintptr_t)p & ~((uintptr_t)PT_SLAB_SIZE - 1));
}

static void slab_list_add(struct pt_slab *s)
{
	s->prev = NULL;
	s->next = pt_pool.partial;
	if (s->next)
		s->next->prev = s;
	pt_pool.partial = s;
	s->on_list = 1;
}

static void slab_list_del(struct pt_slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		pt_pool.partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->on_list = 0;
}

static struct pt_slab *slab_new(void)
{
	struct pt_slab *s = ptsim_alloc_aligned(PT_SLAB_SIZE, PT_SLAB_SIZE);

	if (!s)
		return NULL;
	/* Only the header is written now: descriptors are set up as their
	 * tables are first handed out, so a slab's descriptor pages become
	 * resident one by one and a small mm pays for what it uses. */
	memset(s, 0, sizeof(*s));
	s->bump = PT_SLAB_DESC_PAGES;
	s->nr_free = SLAB_TABLES;
	pt_pool.nr_slabs++;
	return s;
}

struct ptdesc *pt_alloc(struct ptsim_mm *mm, int level)
{
	struct pt_slab *s;
	struct ptdesc *d;

	if (ptsim_inject_alloc_failure())
		return NULL;
	spin_lock(&pt_pool.lock, &pt_pool.lock_stats);
	s = pt_pool.partial;
	if (!s) {
		s = slab_new();
		if (!s) {
			spin_unlock(&pt_pool.lock);
			return NULL;
		}
		slab_list_add(s);
	} else if (s->nr_free == SLAB_TABLES) {
		pt_pool.nr_empty--;
	}
	if (s->free_head) {
		d = (struct ptdesc *)s + s->free_head;
		s->free_head = (uint32_t)d->pt_ref;
	} else {
		d = (struct ptdesc *)s + s->bump++;
	}
	if (--s->nr_free == 0)
		slab_list_del(s);
	pt_pool.in_use++;
	spin_unlock(&pt_pool.lock);

	memset(ptdesc_table(d), 0, PAGE_SIZE);
	d->level = (uint8_t)level;
	d->strategy = mm ? (uint8_t)mm->strategy : 0;
	__atomic_store_n(&d->state, PTD_ALLOCATED, __ATOMIC_RELAXED);
	d->pt_ref = 0;
	d->parent = NULL;
	d->mm = mm;
	d->ptl.v = 0;
	d->cow_deferred = 0;
	d->cow_ref = 1;
	d->rcu.next = NULL;
	d->rcu.func = NULL;
	return d;
}

/* Back onto its slab's free list; `counted` if it still counts as in use. */
static void slab_put(struct ptdesc *d, bool counted)
{
	struct pt_slab *s = slab_of(d);
	uint32_t idx = (uint32_t)(d - (struct ptdesc *)s);
	bool release = false;

	spin_lock(&pt_pool.lock, &pt_pool.lock_stats);
	__atomic_store_n(&d->state, PTD_FREE, __ATOMIC_RELEASE);
	d->mm = NULL;
	d->pt_ref = s->free_head;
	s->free_head = idx;
	if (s->nr_free++ == 0)
		slab_list_add(s);
	if (counted)
		pt_pool.in_use--;
	if (s->nr_free == SLAB_TABLES) {
		if (pt_pool.nr_empty >= MAX_EMPTY_SLABS) {
			slab_list_del(s);
			pt_pool.nr_slabs--;
			release = true;
		} else {
			pt_pool.nr_empty++;
		}
	}
	spin_unlock(&pt_pool.lock);
	if (release)
		ptsim_free(s);
}

void pt_free_now(struct ptdesc *d)
{
	slab_put(d, true);
}

/* __tlb_remove_table() after the grace period: the destructor runs here,
 * so the PTL stays valid for a walker still spinning on it. */
static void pt_free_rcu_cb(struct rcu_head_ptsim *head)
{
	struct ptdesc *d = container_of(head, struct ptdesc, rcu);
	struct ptsim_mm *mm;

	ptsim_rcu_callback_enter(head);
	mm = d->mm;

	__atomic_sub_fetch(&pt_pool.pending, 1, __ATOMIC_RELAXED);
	pt_free_final(d);
	mm_pending_free_done(mm);
}

void pt_free_final(struct ptdesc *d)
{
	pte_t *table = ptdesc_table(d);
	struct ptdesc *evict = NULL;

	if (!uaf_checked()) {
		pt_free_now(d);
		return;
	}
	/* Atomic stores: a broken strategy's walker may be reading right now,
	 * and what it reads must be the poison, not a torn value. */
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++)
		__atomic_store_n(&table[i], PT_POISON, __ATOMIC_RELAXED);
	__atomic_store_n(&d->state, PTD_POISONED, __ATOMIC_RELEASE);
	spin_lock(&pt_pool.lock, &pt_pool.lock_stats);
	pt_pool.in_use--; /* freed, as far as anyone may tell */
	if (pt_pool.q_len == PT_QUARANTINE) {
		evict = pt_pool.quarantine[pt_pool.q_head];
		pt_pool.q_head = (pt_pool.q_head + 1) % PT_QUARANTINE;
		pt_pool.q_len--;
	}
	pt_pool.quarantine[(pt_pool.q_head + pt_pool.q_len) % PT_QUARANTINE] = d;
	pt_pool.q_len++;
	spin_unlock(&pt_pool.lock);
	if (evict)
		slab_put(evict, false);
}

void pt_free_rcu(struct ptdesc *d)
{
	__atomic_store_n(&d->state, PTD_UNLINKED, __ATOMIC_RELEASE);
	__atomic_add_fetch(&pt_pool.pending, 1, __ATOMIC_RELAXED);
	mm_pending_free_start(d->mm);
	ptsim_call_rcu(&d->rcu, pt_free_rcu_cb);
}

void pt_alloc_stats(uint64_t *tables_in_use, uint64_t *slabs, uint64_t *pending)
{
	struct ptsim_lock_stats dummy = {0};

	spin_lock(&pt_pool.lock, &dummy);
	*tables_in_use = pt_pool.in_use;
	*slabs = pt_pool.nr_slabs;
	spin_unlock(&pt_pool.lock);
	*pending = __atomic_load_n(&pt_pool.pending, __ATOMIC_RELAXED);
}

// SPDX-License-Identifier: MIT
/*
 * percpu: the 2022 percpu_ref version of the pte_refcount series ("[RFC
 * PATCH 00/18] Try to free user PTE page table pages"). The owners are those
 * of `atomic` (every non-none entry, every visitor), but each table's count
 * is a percpu_ref: in percpu mode a get or put only adds to this thread's
 * slot (this_cpu_add(): no atomic RMW, no shared cache line), so nobody can
 * tell when the sum reaches zero. Zero is only looked for by MADV_DONTNEED
 * (try_to_free_user_pte(), from zap_pte_done()): take a temporary reference,
 * switch the table to atomic mode synchronously — which costs an RCU grace
 * period (urcu synchronize_rcu(), with no lock held and outside any read
 * section) —, drop the temporary reference, and if that was the last free
 * the table under the PMD lock after re-checking the PMD. Once atomic a
 * table stays atomic (Qi: switching back "will drastically reduce
 * performance"), so later gets and puts on it are atomic RMWs.
 *
 * The release callback is a no-op, as in the series: a put that drops an
 * atomic-mode count to zero frees nothing; the next visitor whose tryget
 * fails frees the table (free_user_pte()), and so does the next DONTNEED.
 *
 * The model of a percpu_ref: a side structure per table (pointed to by
 * ptdesc.pt_ref, allocated from the library's arena by the first visitor,
 * freed an RCU grace period after the table is unlinked) holds an atomic
 * count that carries a large bias while in percpu mode, a mode word, and
 * PCPU_SLOTS per-thread slots, one cache line each (threads share a slot
 * modulo PCPU_SLOTS, so a slot is updated with a relaxed atomic add; it is
 * not counted as a refcount atomic, since the kernel's per-CPU add is not
 * one). Getters read the mode
 * inside an RCU read section; the switch sets the mode, waits for a grace
 * period so that every getter that saw percpu mode has finished, then folds
 * the slots into the atomic count and removes the bias
 * (percpu_ref_switch_to_atomic_sync()).
 */
#include "strategy.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "memalloc.h"
#include "pgalloc.h"

#define PCPU_SLOTS 16
#define PCPU_BIAS  (1LL << 40) /* PERCPU_COUNT_BIAS */

enum { PCPU_MODE_PERCPU = 0, PCPU_MODE_ATOMIC = 1 };

struct pcpu_slot {
	int64_t v;
} __attribute__((aligned(64)));

struct pcpu_ref {
	int64_t count;   /* atomic_t count; holds PCPU_BIAS while in percpu mode */
	uint32_t mode;   /* __PERCPU_REF_ATOMIC once set */
	uint32_t folded; /* the slots are in count: the switch is complete */
	struct rcu_head_ptsim rcu;
	struct pcpu_slot slot[PCPU_SLOTS];
};

static unsigned next_slot;
static _Thread_local unsigned my_slot = UINT32_MAX;

static inline unsigned this_slot(void)
{
	if (my_slot == UINT32_MAX)
		my_slot = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED) % PCPU_SLOTS;
	return my_slot;
}

static inline void count_rmw(struct ptsim_mm *mm, uint64_t n)
{
	stat_inc(&mm_ts(mm)->refcount_atomics, n);
}

static inline struct pcpu_ref *pcpu_of(struct ptdesc *pte)
{
	return (struct pcpu_ref *)(uintptr_t)__atomic_load_n(&pte->pt_ref, __ATOMIC_ACQUIRE);
}

/* The constructor's percpu_ref_init(): done by the first visitor, lazily,
 * so that a table the allocator throws away needs no destructor. */
static struct pcpu_ref *pcpu_ensure(struct ptdesc *pte)
{
	struct pcpu_ref *p = pcpu_of(pte), *n;
	uint64_t expected = 0;

	if (likely(p))
		return p;
	n = ptsim_alloc_aligned(sizeof(*n), 64);
	if (!n) {
		/* The visitor sees no table; a fault fails with -ENOMEM
		 * rather than retrying a table that is not going away. */
		ptsim_current.pte_map_enomem = true;
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->count = PCPU_BIAS;
	if (__atomic_compare_exchange_n(&pte->pt_ref, &expected, (uint64_t)(uintptr_t)n, false,
	                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return n;
	ptsim_free(n);
	return (struct pcpu_ref *)(uintptr_t)expected;
}

static inline bool pcpu_is_percpu(struct pcpu_ref *p)
{
	return __atomic_load_n(&p->mode, __ATOMIC_ACQUIRE) == PCPU_MODE_PERCPU;
}

/* percpu_ref_get_many() / percpu_ref_put_many(): inside an RCU read section.
 * Returns the atomic count after the update, or PCPU_BIAS in percpu mode. */
static int64_t pcpu_add(struct ptsim_mm *mm, struct pcpu_ref *p, int64_t n)
{
	if (pcpu_is_percpu(p)) {
		__atomic_add_fetch(&p->slot[this_slot()].v, n, __ATOMIC_RELAXED);
		return PCPU_BIAS;
	}
	count_rmw(mm, 1);
	return __atomic_add_fetch(&p->count, n, __ATOMIC_ACQ_REL);
}

/* In atomic mode with no reference left: free_user_pte() may free it. */
static bool pcpu_dead(struct ptdesc *pte)
{
	struct pcpu_ref *p = pcpu_of(pte);

	return __atomic_load_n(&p->folded, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&p->count, __ATOMIC_ACQUIRE) == 0;
}

/* free_user_pte(): inside an RCU read section. */
static void free_user_pte(struct ptsim_mm *mm, struct ptdesc *pte, bool zap)
{
	pte_table_free_if_dead(mm, pte, pcpu_dead, zap);
}

/* pte_tryget(): inside the RCU read section. percpu_ref_tryget() always
 * succeeds in percpu mode; in atomic mode it is inc-not-zero, and a failure
 * frees the table it found dead so that no free is missed. */
static bool pcpu_try_get(struct ptsim_mm *mm, struct ptdesc *pte, struct pcpu_ref *p)
{
	int64_t c;
	uint64_t rmw = 0;

	if (pcpu_is_percpu(p)) {
		__atomic_add_fetch(&p->slot[this_slot()].v, 1, __ATOMIC_RELAXED);
		return true;
	}
	c = __atomic_load_n(&p->count, __ATOMIC_RELAXED);
	while (c) {
		rmw++;
		if (__atomic_compare_exchange_n(&p->count, &c, c + 1, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED)) {
			count_rmw(mm, rmw);
			return true;
		}
	}
	if (rmw)
		count_rmw(mm, rmw);
	free_user_pte(mm, pte, false);
	return false;
}

static bool percpu_pte_tryget(struct ptsim_mm *mm, struct ptdesc *pte)
{
	struct pcpu_ref *p = pcpu_ensure(pte);

	return p && pcpu_try_get(mm, pte, p);
}

/* pte_put(): outside the RCU section; the release callback is a no-op. */
static void percpu_pte_put(struct ptsim_mm *mm, struct ptdesc *pte)
{
	ptsim_rcu_read_lock();
	pcpu_add(mm, pcpu_of(pte), -1);
	ptsim_rcu_read_unlock();
}

/* track_pte_set(): under the PTL and the visitor's RCU section. */
static void percpu_ptes_set(struct ptdesc *pte, unsigned n, unsigned nzero)
{
	(void)nzero;
	pcpu_add(pte->mm, pcpu_of(pte), (int64_t)n);
}

/* track_pte_clear() */
static void percpu_ptes_cleared(struct ptdesc *pte, unsigned n, unsigned nzero)
{
	(void)nzero;
	pcpu_add(pte->mm, pcpu_of(pte), -(int64_t)n);
}

/* synchronize_rcu(), seen by TSan as ordering every earlier read section. */
static void pcpu_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
#ifdef PTSIM_TSAN
	rcu_tsan_acquire(&ptsim_rcu_gp_sync);
#endif
}

/* percpu_ref_switch_to_atomic_sync(): no lock held, not in a read section. */
static void pcpu_switch_to_atomic_sync(struct ptsim_mm *mm, struct pcpu_ref *p)
{
	uint32_t mode = PCPU_MODE_PERCPU;
	int64_t sum = 0;

	if (__atomic_load_n(&p->folded, __ATOMIC_ACQUIRE))
		return;
	if (!__atomic_compare_exchange_n(&p->mode, &mode, PCPU_MODE_ATOMIC, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		/* Another zapper is switching (the per-ref switch lock). */
		while (!__atomic_load_n(&p->folded, __ATOMIC_ACQUIRE))
			sched_yield();
		return;
	}
	count_rmw(mm, 1);
	pcpu_synchronize_rcu(); /* every getter that saw percpu mode is done */
	for (unsigned i = 0; i < PCPU_SLOTS; i++)
		sum += __atomic_load_n(&p->slot[i].v, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->count, sum - PCPU_BIAS, __ATOMIC_ACQ_REL);
	count_rmw(mm, 1);
	__atomic_store_n(&p->folded, 1, __ATOMIC_RELEASE);
}

/* try_to_free_user_pte(): after a DONTNEED zapped (part of) the table. */
static void try_to_free_user_pte(struct ptsim_mm *mm, pte_t *pmdp)
{
	struct ptdesc *pte;
	struct pcpu_ref *p;
	pte_t pmdval;

	ptsim_rcu_read_lock();
	pmdval = pt_entry_read(pmdp);
	if (pte_none(pmdval) || !(pmdval & _PAGE_PRESENT)) {
		ptsim_rcu_read_unlock();
		return;
	}
	pte = ptdesc_of(entry_table(pmdval));
	p = pcpu_ensure(pte);
	if (!p || !pcpu_try_get(mm, pte, p)) { /* the temporary reference */
		ptsim_rcu_read_unlock();
		return;
	}
	ptsim_rcu_read_unlock();
	/* Our reference keeps the table, and p, alive across the grace period. */
	pcpu_switch_to_atomic_sync(mm, p);
	ptsim_rcu_read_lock();
	if (pcpu_add(mm, p, -1) == 0)
		free_user_pte(mm, pte, true);
	ptsim_rcu_read_unlock();
}

static void percpu_zap_pte_done(struct zap_pte_state *z)
{
	if (z->reclaim_pt)
		try_to_free_user_pte(z->mm, z->pmdp);
}

static void pcpu_free_cb(struct rcu_head_ptsim *head)
{
	ptsim_rcu_callback_enter(head);
	ptsim_free(container_of(head, struct pcpu_ref, rcu));
}

/* The destructor's percpu_ref_exit(), after readers of p are gone. */
static void percpu_free_table(struct ptdesc *d)
{
	struct pcpu_ref *p = d->level == PT_LEVEL_PTE ? pcpu_of(d) : NULL;

	if (p)
		ptsim_call_rcu(&p->rcu, pcpu_free_cb);
	pt_free_rcu(d);
}

static int percpu_check_pte_table(struct ptdesc *pte, unsigned nonnone, unsigned nzero, char *msg,
                                  size_t len)
{
	struct pcpu_ref *p = pcpu_of(pte);
	int64_t c = 0;

	(void)nzero;
	if (p) {
		c = __atomic_load_n(&p->count, __ATOMIC_ACQUIRE);
		if (!__atomic_load_n(&p->folded, __ATOMIC_ACQUIRE)) {
			c -= PCPU_BIAS;
			for (unsigned i = 0; i < PCPU_SLOTS; i++)
				c += __atomic_load_n(&p->slot[i].v, __ATOMIC_RELAXED);
		}
	}
	if (c == (int64_t)nonnone)
		return 0;
	snprintf(msg, len, "percpu: PTE table %p (%s mode) count %lld but %u non-none entries",
	         (void *)ptdesc_table(pte), p && p->folded ? "atomic" : "percpu", (long long)c,
	         nonnone);
	return -1;
}

const struct pt_strategy strategy_percpu = {
        .name = "percpu",
        .id = PTSIM_STRATEGY_PERCPU,
        .era = &era_5_x,
        .ptes_set = percpu_ptes_set,
        .ptes_cleared = percpu_ptes_cleared,
        .pte_tryget = percpu_pte_tryget,
        .pte_put = percpu_pte_put,
        .zap_pte_done = percpu_zap_pte_done,
        .free_table = percpu_free_table,
        .check_pte_table = percpu_check_pte_table,
};

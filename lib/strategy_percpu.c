// SPDX-License-Identifier: MIT
/*
 * percpu: the 2022 percpu_ref version of the pte_refcount series ("[RFC
 * PATCH 00/18] Try to free user PTE page table pages"). Era 5.x. The owners
 * are those of `atomic` (every non-none entry, every visitor), but each
 * table's count is a percpu_ref: in percpu mode a get or put only adds to
 * this CPU's counter (this_cpu_add(): a plain add, no lock prefix, no
 * shared cache line), so nobody can tell when the sum reaches zero. Zero is
 * only looked for by MADV_DONTNEED and MADV_FREE (try_to_free_user_pte(),
 * patch 15/18 for MADV_FREE): take a temporary reference, switch the table
 * to atomic mode synchronously — which waits for a grace period, normal or
 * expedited (PTSIM_OPT_GP_EXPEDITED), with no lock held —, drop the
 * temporary reference, and if that was the last free the table under the
 * PMD lock after re-checking the PMD. Once atomic a table stays atomic (Qi:
 * switching back "will drastically reduce performance"), so later gets and
 * puts on it are atomic RMWs.
 *
 * The release callback is a no-op, as in the series: a put that drops an
 * atomic-mode count to zero frees nothing; the next visitor whose tryget
 * fails frees the table (free_user_pte()), and so does the next DONTNEED.
 *
 * Simulated CPUs: each thread claims a CPU number (the lowest free one,
 * given back when the thread exits) and is the only writer of that CPU's
 * counter in every table, so its add is a plain load and store (relaxed
 * atomics only so that the C memory model and TSan see no data race; on
 * x86-64 they compile to a plain mov/add/mov). A thread whose number is not
 * below the mm's nr_cpu_ids has no counter of its own (more threads than
 * CPUs): it adds to the shared atomic count instead, and that RMW is
 * counted in refcount_atomics.
 *
 * The side block: the series kmalloc'ed a struct percpu_ref (16 B, from
 * kmalloc-16) and percpu_ref_init() kmalloc'ed its percpu_ref_data (56 B,
 * kmalloc-64) and an unsigned long per possible CPU: 80 B + 8 B x
 * nr_cpu_ids per table, none of it in VmPTE (mm_inc_nr_ptes() counts the
 * 4 KiB table only). That is what pt_side_bytes reports. The simulator lays
 * each CPU's counter on a cache line of its own, as the kernel's per-CPU
 * areas are; that layout is the simulator's, not the figure reported.
 *
 * Getters read the mode inside an RCU read section; the switch sets the
 * mode, waits for a grace period so that every getter that saw percpu mode
 * has finished, then folds the counters into the atomic count and removes
 * the bias (percpu_ref_switch_to_atomic_sync()).
 *
 * Mutant PTSIM_MUTANT_PERCPU_NO_GP: the switch folds without waiting, so a
 * getter that saw percpu mode adds to a counter already folded, and its
 * reference is lost.
 */
#include "strategy.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "memalloc.h"
#include "pgalloc.h"
#include "series_hook.h"

#define PCPU_BIAS         (1LL << 40) /* PERCPU_COUNT_BIAS */
#define PCPU_REF_BYTES    80          /* kmalloc-16 (percpu_ref) + kmalloc-64 (its data) */
#define PCPU_MAX_CPUS     8192        /* PTSIM_OPT_NR_CPU_IDS's limit */
#define PCPU_GP_NORMAL_NS 1000000ULL  /* a normal grace period: about a tick at HZ=1000 */

enum { PCPU_MODE_PERCPU = 0, PCPU_MODE_ATOMIC = 1 };

struct pcpu_slot {
	int64_t v;
} __attribute__((aligned(64)));

struct pcpu_ref {
	int64_t count;   /* atomic_long_t count; holds PCPU_BIAS while in percpu mode */
	uint32_t mode;   /* __PERCPU_REF_ATOMIC once set */
	uint32_t folded; /* the counters are in count: the switch is complete */
	uint32_t nr_cpus;
	struct ptsim_mm *mm; /* for the accounting at free */
	struct rcu_head_ptsim rcu;
	struct pcpu_slot slot[];
};

/* Simulated CPU numbers: a bitmap of those claimed by live threads. */
static uint64_t cpus_claimed[PCPU_MAX_CPUS / 64];
static pthread_key_t cpu_key;
static pthread_once_t cpu_key_once = PTHREAD_ONCE_INIT;
static _Thread_local int my_cpu = -1;

static void cpu_release(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg - 1;

	__atomic_and_fetch(&cpus_claimed[cpu / 64], ~(1ULL << (cpu % 64)), __ATOMIC_RELEASE);
}

static void cpu_key_init(void)
{
	pthread_key_create(&cpu_key, cpu_release);
}

/* smp_processor_id(): this thread's simulated CPU, claimed on first use. */
static int this_cpu(void)
{
	if (likely(my_cpu >= 0))
		return my_cpu;
	pthread_once(&cpu_key_once, cpu_key_init);
	for (unsigned w = 0; w < PCPU_MAX_CPUS / 64; w++) {
		uint64_t v = __atomic_load_n(&cpus_claimed[w], __ATOMIC_RELAXED);

		while (~v) {
			unsigned b = (unsigned)__builtin_ctzll(~v);

			if (__atomic_compare_exchange_n(&cpus_claimed[w], &v, v | (1ULL << b),
			                                false, __ATOMIC_ACQUIRE,
			                                __ATOMIC_RELAXED)) {
				my_cpu = (int)(w * 64 + b);
				pthread_setspecific(cpu_key, (void *)(uintptr_t)(my_cpu + 1));
				return my_cpu;
			}
		}
	}
	my_cpu = PCPU_MAX_CPUS; /* none left: shares the atomic count */
	return my_cpu;
}

static inline void count_rmw(struct ptsim_mm *mm, uint64_t n)
{
	stat_inc(&mm_ts(mm)->refcount_atomics, n);
}

static inline struct pcpu_ref *pcpu_of(struct ptdesc *pte)
{
	return (struct pcpu_ref *)(uintptr_t)__atomic_load_n(&pte->pt_ref, __ATOMIC_ACQUIRE);
}

static inline int64_t pcpu_ref_bytes(unsigned nr_cpus)
{
	return PCPU_REF_BYTES + 8 * (int64_t)nr_cpus;
}

/* The constructor's percpu_ref_init(): done by the first visitor, lazily,
 * so that a table the allocator throws away needs no destructor. */
static struct pcpu_ref *pcpu_ensure(struct ptsim_mm *mm, struct ptdesc *pte)
{
	struct pcpu_ref *p = pcpu_of(pte), *n;
	uint64_t expected = 0;
	unsigned nr = READ_ONCE(mm->nr_cpu_ids);
	size_t size;

	if (likely(p))
		return p;
	size = sizeof(*n) + (size_t)nr * sizeof(struct pcpu_slot);
	n = ptsim_alloc_aligned(size, 64);
	if (!n) {
		/* The visitor sees no table; a fault fails with -ENOMEM
		 * rather than retrying a table that is not going away. */
		ptsim_current.pte_map_enomem = true;
		return NULL;
	}
	memset(n, 0, size);
	n->count = PCPU_BIAS;
	n->nr_cpus = nr;
	n->mm = mm;
	if (__atomic_compare_exchange_n(&pte->pt_ref, &expected, (uint64_t)(uintptr_t)n, false,
	                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		atomic_add(&mm->pt_side_bytes, pcpu_ref_bytes(nr));
		return n;
	}
	ptsim_free(n);
	return (struct pcpu_ref *)(uintptr_t)expected;
}

static inline bool pcpu_is_percpu(struct pcpu_ref *p)
{
	return __atomic_load_n(&p->mode, __ATOMIC_ACQUIRE) == PCPU_MODE_PERCPU;
}

/* this_cpu_add() on the table's counter, in percpu mode. */
static void pcpu_this_cpu_add(struct ptsim_mm *mm, struct pcpu_ref *p, int64_t n)
{
	unsigned cpu = (unsigned)this_cpu();

	if (likely(cpu < p->nr_cpus)) {
		int64_t *v = &p->slot[cpu].v;

		/* One writer per counter: a plain add, no lock prefix. */
		__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&p->count, n, __ATOMIC_RELAXED);
	count_rmw(mm, 1);
}

/* percpu_ref_get_many() / percpu_ref_put_many(): inside an RCU read section.
 * Returns the atomic count after the update, or PCPU_BIAS in percpu mode. */
static int64_t pcpu_add(struct ptsim_mm *mm, struct pcpu_ref *p, int64_t n)
{
	if (pcpu_is_percpu(p)) {
		series_hook(SERIES_HOOK_PCPU_SAW_PERCPU, mm, (uintptr_t)p);
		pcpu_this_cpu_add(mm, p, n);
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
		series_hook(SERIES_HOOK_PCPU_SAW_PERCPU, mm, (uintptr_t)p);
		pcpu_this_cpu_add(mm, p, 1);
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
	struct pcpu_ref *p = pcpu_ensure(mm, pte);

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

/* synchronize_rcu() / synchronize_rcu_expedited(), seen by TSan as ordering
 * every earlier read section. liburcu's wait polls the registered readers
 * at once, which is what an expedited grace period does; a normal one also
 * waits for every CPU to report a quiescent state from its tick, modelled
 * as a sleep up to PCPU_GP_NORMAL_NS. */
static void pcpu_synchronize_rcu(struct ptsim_mm *mm)
{
	uint64_t t0 = ptsim_now_ns(), dt;

	urcu_memb_synchronize_rcu();
#ifdef PTSIM_TSAN
	rcu_tsan_acquire(&ptsim_rcu_gp_sync);
#endif
	dt = ptsim_now_ns() - t0;
	if (!READ_ONCE(mm->gp_expedited) && dt < PCPU_GP_NORMAL_NS) {
		struct timespec ts = {0, (long)(PCPU_GP_NORMAL_NS - dt)};

		while (nanosleep(&ts, &ts))
			;
		dt = ptsim_now_ns() - t0;
	}
	stat_inc(&mm_ts(mm)->gp_waits, 1);
	stat_inc(&mm_ts(mm)->gp_wait_ns, dt);
}

/* percpu_ref_switch_to_atomic_sync(): no lock held, not in a read section. */
static void pcpu_switch_to_atomic_sync(struct ptsim_mm *mm, struct pcpu_ref *p)
{
	bool no_gp = READ_ONCE(mm->mutant) == PTSIM_MUTANT_PERCPU_NO_GP;
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
	series_hook(SERIES_HOOK_PCPU_SWITCH, mm, !no_gp);
	/* every getter that saw percpu mode is done */
	if (!no_gp)
		pcpu_synchronize_rcu(mm);
	for (unsigned i = 0; i < p->nr_cpus; i++)
		sum += __atomic_load_n(&p->slot[i].v, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->count, sum - PCPU_BIAS, __ATOMIC_ACQ_REL);
	count_rmw(mm, 1);
	__atomic_store_n(&p->folded, 1, __ATOMIC_RELEASE);
}

/* try_to_free_user_pte(): after a DONTNEED or MADV_FREE on (part of) the table. */
static void try_to_free_user_pte(struct ptsim_mm *mm, pte_t *pmdp, bool zap)
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
	p = pcpu_ensure(mm, pte);
	if (!p || !pcpu_try_get(mm, pte, p)) { /* the temporary reference */
		ptsim_rcu_read_unlock();
		return;
	}
	ptsim_rcu_read_unlock();
	/* Our reference keeps the table, and p, alive across the grace period. */
	pcpu_switch_to_atomic_sync(mm, p);
	ptsim_rcu_read_lock();
	if (pcpu_add(mm, p, -1) == 0)
		free_user_pte(mm, pte, zap);
	ptsim_rcu_read_unlock();
}

static void percpu_zap_pte_done(struct zap_pte_state *z)
{
	if (z->reclaim_pt)
		try_to_free_user_pte(z->mm, z->pmdp, true);
}

/* Patch 15/18: MADV_FREE looks for a table to free too. */
static void percpu_madv_free_pte_done(struct ptsim_mm *mm, pte_t *pmdp)
{
	try_to_free_user_pte(mm, pmdp, false);
}

static void pcpu_free_cb(struct rcu_head_ptsim *head)
{
	struct pcpu_ref *p = container_of(head, struct pcpu_ref, rcu);

	ptsim_rcu_callback_enter(head);
	ptsim_free(p);
}

/* The destructor's percpu_ref_exit(), after readers of p are gone. */
static void percpu_free_table(struct ptdesc *d)
{
	struct pcpu_ref *p = d->level == PT_LEVEL_PTE ? pcpu_of(d) : NULL;

	if (p) {
		atomic_add(&p->mm->pt_side_bytes, -pcpu_ref_bytes(p->nr_cpus));
		ptsim_call_rcu(&p->rcu, pcpu_free_cb);
	}
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
			for (unsigned i = 0; i < p->nr_cpus; i++)
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
        .mutants = 1u << PTSIM_MUTANT_PERCPU_NO_GP,
        .ptes_set = percpu_ptes_set,
        .ptes_cleared = percpu_ptes_cleared,
        .pte_tryget = percpu_pte_tryget,
        .pte_put = percpu_pte_put,
        .zap_pte_done = percpu_zap_pte_done,
        .madv_free_pte_done = percpu_madv_free_pte_done,
        .free_table = percpu_free_table,
        .check_pte_table = percpu_check_pte_table,
};

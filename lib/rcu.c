// SPDX-License-Identifier: MIT
/* liburcu (memb flavour) behind the library's own names. */
#include "rcu.h"

#include <pthread.h>

_Static_assert(sizeof(struct rcu_head_ptsim) == sizeof(struct rcu_head),
               "rcu_head_ptsim must mirror liburcu's rcu_head");

#ifdef PTSIM_TSAN
char ptsim_rcu_gp_sync;
#endif

/*
 * liburcu starts its call_rcu worker thread on the first call_rcu() and
 * aborts the process when it cannot (urcu_die()), which would make
 * ptsim_mm_destroy() abort in a program at its thread limit. So the first
 * call_rcu() checks that a thread can be started and has liburcu start its
 * worker at once; when no thread can be started, callbacks wait on a list
 * here instead and run after a grace period at the next point where no
 * lock is held (the next public call, or ptsim_synchronize()).
 */
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;
static bool no_worker;
static struct rcu_head_ptsim *deferred; /* pushed with a CAS, taken whole */
bool ptsim_rcu_deferred_pending;

static void *worker_probe_fn(void *arg)
{
	return arg;
}

static void worker_probe(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, worker_probe_fn, NULL)) {
		__atomic_store_n(&no_worker, true, __ATOMIC_RELEASE);
		return;
	}
	pthread_join(t, NULL);
	urcu_memb_get_default_call_rcu_data(); /* the worker, while threads can start */
}

void ptsim_rcu_drain_deferred(void)
{
	struct rcu_head_ptsim *list, *next;

	/* synchronize_rcu() inside a read-side section (the program's own)
	 * would never return: leave the list for a later call. */
	if (urcu_memb_read_ongoing())
		return;
	WRITE_ONCE(ptsim_rcu_deferred_pending, false);
	list = __atomic_exchange_n(&deferred, NULL, __ATOMIC_ACQ_REL);
	if (!list)
		return;
	urcu_memb_synchronize_rcu();
#ifdef PTSIM_TSAN
	rcu_tsan_acquire(&ptsim_rcu_gp_sync);
#endif
	for (; list; list = next) {
		next = list->next;
		list->func(list);
	}
}

void ptsim_call_rcu(struct rcu_head_ptsim *head, void (*func)(struct rcu_head_ptsim *))
{
	rcu_tsan_release(head);
	pthread_once(&worker_once, worker_probe);
	if (likely(!__atomic_load_n(&no_worker, __ATOMIC_ACQUIRE))) {
		urcu_memb_call_rcu((struct rcu_head *)head, (void (*)(struct rcu_head *))func);
		return;
	}
	head->func = func;
	head->next = __atomic_load_n(&deferred, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&deferred, (struct rcu_head_ptsim **)&head->next, head,
	                                    true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	WRITE_ONCE(ptsim_rcu_deferred_pending, true);
}

void ptsim_rcu_barrier(void)
{
	if (__atomic_load_n(&no_worker, __ATOMIC_ACQUIRE)) {
		ptsim_rcu_drain_deferred();
		return;
	}
	urcu_memb_barrier();
}

void ptsim_rcu_register(void)
{
	urcu_memb_register_thread();
}

void ptsim_rcu_unregister(void)
{
	urcu_memb_unregister_thread();
}

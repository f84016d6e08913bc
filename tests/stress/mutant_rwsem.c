/* SPDX-License-Identifier: MIT */
/*
 * The rwsem strategy's mutant (label `stress`), against the real strategy
 * on the same schedule, the window opened with the library's test hooks
 * (lib/test_hook.h) so that the outcome is the same in every round:
 *
 *   BASE   [w.......]  2 MiB written, alone in its 512 GiB slot (one PUD,
 *                      one PMD, one PTE table); page 0 DONTNEEDed
 *
 *   the hooked thread faults page 0 back in; it holds the page-table rwsem
 *   for read, has read the PMD and is about to take the PTL when the actor
 *   thread DONTNEEDs the whole 2 MiB:
 *
 *   real rwsem   the actor zaps (read side, like the fault), then wants the
 *       write side to free what is empty and waits: the hooked thread goes
 *       on only once the actor is a waiting writer, maps page 0 and drops
 *       the rwsem; the actor's free pass then finds page 0 and keeps every
 *       table. Exactly one contended write acquisition, page 0 present,
 *       tables 1/1/1, ptsim_mm_check() clean, no detector report.
 *
 *   mutant PTSIM_MUTANT_RWSEM_READ_FREE   the free pass takes the rwsem for
 *       read, finds the PTE, PMD and PUD tables empty and frees them (at
 *       once, after the flush) under the fault: the fault locks a freed
 *       table and reads a freed PMD table, and the use-after-free detector
 *       reports it.
 *
 * Each round is a fresh mm in checked mode; the actor thread and the round
 * loop are mutant_actor.c's.
 */
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>

#include <ptsim/ptsim.h>

#include "mutant_actor.h"
#include "strategy_rwsem.h"
#include "test_hook.h"

#define BASE MUTANT_BASE
#define LEN  MUTANT_LEN

static sem_t at_free;       /* the actor reached the free pass's lock */
static __thread bool armed; /* this thread's next map opens the window */
static bool mutant_round;
static int fired;

/* The actor is about to lock the rwsem to free: tell the hooked thread. */
static void at_free_lock(enum test_hook_point point, struct ptsim_mm *mm, uint64_t addr, void *arg)
{
	(void)point;
	(void)addr;
	(void)arg;
	if (on_actor && mm == actor.mm)
		sem_post(&at_free);
}

static void open_window(enum test_hook_point point, struct ptsim_mm *mm, uint64_t addr, void *arg)
{
	(void)point;
	(void)addr;
	(void)arg;
	if (!armed || mm != actor.mm)
		return;
	armed = false;
	fired++;
	sem_post(&actor.go);
	sem_wait(&at_free);
	if (mutant_round) {
		sem_wait(&actor.done); /* it frees under us */
		return;
	}
	/* Real: go on only once the actor waits for the write side. */
	while (!(__atomic_load_n(&rwsem_strategy_sem(mm)->state, __ATOMIC_ACQUIRE) & RWSEM_WAITERS))
		sched_yield();
}

/* One round; returns true if ptsim_mm_check() or the detector caught it. */
static bool round_caught(unsigned mutant)
{
	struct ptsim_mm *mm = mutant_mm_filled(PTSIM_STRATEGY_RWSEM, mutant);
	struct ptsim_mm_stats st;
	char msg[256];
	uint64_t uaf0 = ptsim_uaf_count(), pte;
	int rc, bad;

	/* Page 0 absent, every table kept (the free pass finds the rest). */
	if ((rc = ptsim_madvise(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_MADV_DONTNEED)))
		mutant_fail("ptsim_madvise (page 0)", rc);
	actor.mm = mm;
	actor.job = mutant_dontneed_all;
	mutant_round = mutant != PTSIM_MUTANT_NONE;
	fired = 0;
	armed = true;
	rc = ptsim_touch(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE);
	armed = false;
	if (!mutant_round)
		sem_wait(&actor.done);
	if (fired != 1)
		mutant_fail("the window did not open (hook calls)", fired);
	if (actor.rc)
		mutant_fail("the actor's DONTNEED", actor.rc);
	if (rc && !mutant_round)
		mutant_fail("the hooked fault (real rwsem)", rc);
	bad = ptsim_mm_check(mm, msg, sizeof(msg));
	if (bad)
		printf("  caught: %s\n", msg);
	if (!mutant_round) {
		if (ptsim_mm_get_stats(mm, &st))
			mutant_fail("ptsim_mm_get_stats", -1);
		if (ptsim_get_pte(mm, BASE, &pte) || !(pte & PTSIM_PTE_PRESENT))
			mutant_fail("real rwsem lost page 0", 0);
		if (st.pt_rwsem_write.contended != 1 || st.nr_pte_tables != 1 ||
		    st.nr_pmd_tables != 1 || st.nr_pud_tables != 1 || st.rss_anon_pages != 1)
			mutant_fail("real rwsem: not 1 contended write, tables 1/1/1, 1 page",
			            (int)st.pt_rwsem_write.contended);
	}
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	if (ptsim_uaf_count() != uaf0)
		printf("  caught: %llu use-after-free report(s), the fault returned %d\n",
		       (unsigned long long)(ptsim_uaf_count() - uaf0), rc);
	return bad || ptsim_uaf_count() != uaf0;
}

int main(void)
{
	int status;

	sem_init(&at_free, 0, 0);
	test_hook_set(TEST_HOOK_PTE_MAP_SNAPSHOT, open_window, NULL);
	test_hook_set(TEST_HOOK_PT_FREE_LOCK, at_free_lock, NULL);
	status = mutant_main("mutant_rwsem", "read_free", PTSIM_MUTANT_RWSEM_READ_FREE,
	                     round_caught);
	test_hook_set(TEST_HOOK_PTE_MAP_SNAPSHOT, NULL, NULL);
	test_hook_set(TEST_HOOK_PT_FREE_LOCK, NULL, NULL);
	return status;
}

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
 * Each round is a fresh mm in checked mode. Exit 0 when every mutant round
 * was caught and every real round was clean; 77 (skip) when this build has
 * no test hooks.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptsim/ptsim.h>

#include "strategy_rwsem.h"
#include "test_hook.h"

#define ROUNDS 10
#define BASE   0x500000000000ULL
#define LEN    PTSIM_PMD_SIZE
#define PROT   (PTSIM_PROT_READ | PTSIM_PROT_WRITE)

/* The other thread: runs the DONTNEED when asked. */
static struct {
	sem_t go, at_free, done;
	struct ptsim_mm *mm;
	int rc;
	bool quit;
} actor;

static __thread bool armed;    /* this thread's next map opens the window */
static __thread bool is_actor; /* the actor thread */
static bool mutant_round;
static int fired;

static void *actor_main(void *arg)
{
	(void)arg;
	is_actor = true;
	for (;;) {
		sem_wait(&actor.go);
		if (actor.quit)
			return NULL;
		actor.rc = ptsim_madvise(actor.mm, BASE, LEN, PTSIM_MADV_DONTNEED);
		sem_post(&actor.done);
	}
}

/* The actor is about to lock the rwsem to free: tell the hooked thread. */
static void at_free_lock(enum test_hook_point point, struct ptsim_mm *mm, uint64_t addr, void *arg)
{
	(void)point;
	(void)addr;
	(void)arg;
	if (is_actor && mm == actor.mm)
		sem_post(&actor.at_free);
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
	sem_wait(&actor.at_free);
	if (mutant_round) {
		sem_wait(&actor.done); /* it frees under us */
		return;
	}
	/* Real: go on only once the actor waits for the write side. */
	while (!(__atomic_load_n(&rwsem_strategy_sem(mm)->state, __ATOMIC_ACQUIRE) & RWSEM_WAITERS))
		sched_yield();
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "mutant_rwsem: %s: %d (%s)\n", what, rc, strerror(rc < 0 ? -rc : rc));
	exit(1);
}

/* One round; returns true if ptsim_mm_check() or the detector caught it. */
static bool round_caught(unsigned mutant)
{
	struct ptsim_mm_stats st;
	struct ptsim_mm *mm;
	char msg[256];
	uint64_t uaf0 = ptsim_uaf_count(), pte;
	int rc, bad;

	rc = ptsim_mm_create(PTSIM_STRATEGY_RWSEM, &mm);
	if (rc)
		fail("ptsim_mm_create", rc);
	rc = ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, mutant);
	if (rc)
		fail("PTSIM_OPT_MUTANT", rc);
	if ((rc = ptsim_mmap(mm, BASE, LEN, PROT, PTSIM_MAP_FIXED, NULL)))
		fail("ptsim_mmap", rc);
	if ((rc = ptsim_touch(mm, BASE, LEN, PTSIM_ACCESS_WRITE)))
		fail("ptsim_touch (fill)", rc);
	/* Page 0 absent, every table kept (the free pass finds the rest). */
	if ((rc = ptsim_madvise(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_MADV_DONTNEED)))
		fail("ptsim_madvise (page 0)", rc);
	actor.mm = mm;
	mutant_round = mutant != PTSIM_MUTANT_NONE;
	fired = 0;
	armed = true;
	rc = ptsim_touch(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE);
	armed = false;
	if (!mutant_round)
		sem_wait(&actor.done);
	if (fired != 1)
		fail("the window did not open (hook calls)", fired);
	if (actor.rc)
		fail("the actor's DONTNEED", actor.rc);
	if (rc && !mutant_round)
		fail("the hooked fault (real rwsem)", rc);
	bad = ptsim_mm_check(mm, msg, sizeof(msg));
	if (bad)
		printf("  caught: %s\n", msg);
	if (!mutant_round) {
		if (ptsim_mm_get_stats(mm, &st))
			fail("ptsim_mm_get_stats", -1);
		if (ptsim_get_pte(mm, BASE, &pte) || !(pte & PTSIM_PTE_PRESENT))
			fail("real rwsem lost page 0", 0);
		if (st.pt_rwsem_write.contended != 1 || st.nr_pte_tables != 1 ||
		    st.nr_pmd_tables != 1 || st.nr_pud_tables != 1 || st.rss_anon_pages != 1)
			fail("real rwsem: not 1 contended write, tables 1/1/1, 1 page",
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
	unsigned caught = 0, clean = 0;
	pthread_t t;

#ifndef PTSIM_CHECKED
	return 77;
#endif
	if (ptsim_set_checked(1) < 0)
		return 77;
	sem_init(&actor.go, 0, 0);
	sem_init(&actor.at_free, 0, 0);
	sem_init(&actor.done, 0, 0);
	if (pthread_create(&t, NULL, actor_main, NULL))
		return 1;
	test_hook_set(TEST_HOOK_PTE_MAP_SNAPSHOT, open_window, NULL);
	test_hook_set(TEST_HOOK_PT_FREE_LOCK, at_free_lock, NULL);
	for (int i = 0; i < ROUNDS; i++) {
		caught += round_caught(PTSIM_MUTANT_RWSEM_READ_FREE);
		clean += !round_caught(PTSIM_MUTANT_NONE);
	}
	test_hook_set(TEST_HOOK_PTE_MAP_SNAPSHOT, NULL, NULL);
	test_hook_set(TEST_HOOK_PT_FREE_LOCK, NULL, NULL);
	actor.quit = true;
	sem_post(&actor.go);
	pthread_join(t, NULL);
	printf("read_free: mutant caught in %u/%d rounds, real rwsem clean in %u/%d\n", caught,
	       ROUNDS, clean, ROUNDS);
	return caught == ROUNDS && clean == ROUNDS ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * The rcu strategy's two mutants (label `stress`), each against the real
 * strategy on the same schedule. The race windows are opened with the
 * library's test hooks (lib/test_hook.h), not left to the scheduler, so the
 * mutant is caught in every round and the real strategy passes every round:
 *
 *   mutant_rcu no_pmd_recheck   a fault has read the PMD and is about to
 *       take the PTL when a DONTNEED of the whole 2 MiB unlinks the table
 *       (PT_RECLAIM fast path). Real rcu re-checks the PMD under the PTL,
 *       retries and allocates a new table; the mutant trusts its snapshot
 *       and maps the page in the unlinked table: the page is lost, which
 *       ptsim_mm_check() reports (RSS says one page more than is mapped).
 *
 *   mutant_rcu feb2025   a DONTNEED of the whole 2 MiB with a gather batch
 *       of 8 drops the PTL after 8 pages; in that window another thread
 *       faults page 0 back in (xfstests generic/437's race, Feb 2025). Real
 *       rcu sees the PTL was dropped, takes the slow path, rescans and keeps
 *       the table; the mutant takes the fast path and frees the table with
 *       page 0 in it: ptsim_mm_check() reports the lost page.
 *
 * Each round is a fresh mm in checked mode. Exit 0 when every mutant round
 * was caught and every real round was clean; 77 (skip) when this build has
 * no test hooks.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptsim/ptsim.h>

#include "test_hook.h"

#define ROUNDS 10
#define BASE   0x500000000000ULL
#define LEN    PTSIM_PMD_SIZE
#define PROT   (PTSIM_PROT_READ | PTSIM_PROT_WRITE)

enum scenario { NO_PMD_RECHECK, FEB2025 };

/* The other thread: runs one job when asked, while the hooked thread waits. */
static struct {
	sem_t go, done;
	struct ptsim_mm *mm;
	enum scenario sc;
	int rc;
	bool quit;
} actor;

static __thread bool armed; /* this thread's next hook call opens the window */
static int fired;

static void *actor_main(void *arg)
{
	(void)arg;
	for (;;) {
		sem_wait(&actor.go);
		if (actor.quit)
			return NULL;
		if (actor.sc == NO_PMD_RECHECK) /* unlink the table the fault is about to lock */
			actor.rc = ptsim_madvise(actor.mm, BASE, LEN, PTSIM_MADV_DONTNEED);
		else /* refill page 0, already zapped, while the zap is between batches */
			actor.rc = ptsim_touch(actor.mm, BASE, PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE);
		sem_post(&actor.done);
	}
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
	sem_wait(&actor.done);
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "mutant_rcu: %s: %d (%s)\n", what, rc, strerror(rc < 0 ? -rc : rc));
	exit(1);
}

/* One round; returns true if ptsim_mm_check() or the detector caught it. */
static bool round_caught(enum scenario sc, unsigned mutant)
{
	struct ptsim_mm *mm;
	char msg[256];
	uint64_t uaf0 = ptsim_uaf_count(), pte;
	int rc, bad;

	rc = ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm);
	if (rc)
		fail("ptsim_mm_create", rc);
	rc = ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, mutant);
	if (rc)
		fail("PTSIM_OPT_MUTANT", rc);
	if (sc == FEB2025 && (rc = ptsim_mm_set_option(mm, PTSIM_OPT_GATHER_BATCH, 8)))
		fail("PTSIM_OPT_GATHER_BATCH", rc);
	rc = ptsim_mmap(mm, BASE, LEN, PROT, PTSIM_MAP_FIXED, NULL);
	if (rc)
		fail("ptsim_mmap", rc);
	rc = ptsim_touch(mm, BASE, LEN, PTSIM_ACCESS_WRITE);
	if (rc)
		fail("ptsim_touch (fill)", rc);
	actor.mm = mm;
	actor.sc = sc;
	fired = 0;
	if (sc == NO_PMD_RECHECK) {
		/* Page 0 absent, the table kept (a partial DONTNEED frees none). */
		rc = ptsim_madvise(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_MADV_DONTNEED);
		if (rc)
			fail("ptsim_madvise (page 0)", rc);
		armed = true;
		rc = ptsim_touch(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE);
	} else {
		armed = true;
		rc = ptsim_madvise(mm, BASE, LEN, PTSIM_MADV_DONTNEED);
	}
	armed = false;
	if (rc)
		fail("the hooked call", rc);
	if (actor.rc)
		fail("the actor's call", actor.rc);
	if (fired != 1)
		fail("the window did not open (hook calls)", fired);
	bad = ptsim_mm_check(mm, msg, sizeof(msg));
	if (bad)
		printf("  caught: %s\n", msg);
	else if (!mutant && (ptsim_get_pte(mm, BASE, &pte) || !(pte & 1)))
		fail("real rcu lost page 0", 0); /* the refilled page must survive */
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	return bad || ptsim_uaf_count() != uaf0;
}

int main(int argc, char **argv)
{
	enum scenario sc;
	unsigned mutant, caught = 0, clean = 0;
	pthread_t t;

	if (argc != 2 || (strcmp(argv[1], "no_pmd_recheck") && strcmp(argv[1], "feb2025"))) {
		fprintf(stderr, "usage: %s no_pmd_recheck|feb2025\n", argv[0]);
		return 2;
	}
#ifndef PTSIM_CHECKED
	return 77;
#endif
	if (ptsim_set_checked(1) < 0)
		return 77;
	sc = strcmp(argv[1], "feb2025") ? NO_PMD_RECHECK : FEB2025;
	mutant = sc == FEB2025 ? PTSIM_MUTANT_RCU_FEB2025 : PTSIM_MUTANT_RCU_NO_PMD_RECHECK;
	sem_init(&actor.go, 0, 0);
	sem_init(&actor.done, 0, 0);
	if (pthread_create(&t, NULL, actor_main, NULL))
		return 1;
	test_hook_set(sc == FEB2025 ? TEST_HOOK_ZAP_PTL_DROPPED : TEST_HOOK_PTE_MAP_SNAPSHOT,
	              open_window, NULL);
	for (int i = 0; i < ROUNDS; i++) {
		caught += round_caught(sc, mutant);
		clean += !round_caught(sc, PTSIM_MUTANT_NONE);
	}
	test_hook_set(sc == FEB2025 ? TEST_HOOK_ZAP_PTL_DROPPED : TEST_HOOK_PTE_MAP_SNAPSHOT, NULL,
	              NULL);
	actor.quit = true;
	sem_post(&actor.go);
	pthread_join(t, NULL);
	printf("%s: mutant caught in %u/%d rounds, real rcu clean in %u/%d\n", argv[1], caught,
	       ROUNDS, clean, ROUNDS);
	return caught == ROUNDS && clean == ROUNDS ? 0 : 1;
}

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
 * Each round is a fresh mm in checked mode; the actor thread and the round
 * loop are mutant_actor.c's.
 */
#include <stdio.h>
#include <string.h>

#include <ptsim/ptsim.h>

#include "mutant_actor.h"
#include "test_hook.h"

#define BASE MUTANT_BASE
#define LEN  MUTANT_LEN

enum scenario { NO_PMD_RECHECK, FEB2025 };

static enum scenario sc;
static __thread bool armed; /* this thread's next hook call opens the window */
static int fired;

/* The actor's job: refill page 0, already zapped, while the zap is between batches. */
static int refill_page0(struct ptsim_mm *mm)
{
	return ptsim_touch(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE);
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
	mutant_actor_run();
}

/* One round; returns true if ptsim_mm_check() or the detector caught it. */
static bool round_caught(unsigned mutant)
{
	struct ptsim_mm *mm = mutant_mm_filled(PTSIM_STRATEGY_RCU, mutant);
	char msg[256];
	uint64_t uaf0 = ptsim_uaf_count(), pte;
	int rc, bad;

	if (sc == FEB2025 && (rc = ptsim_mm_set_option(mm, PTSIM_OPT_GATHER_BATCH, 8)))
		mutant_fail("PTSIM_OPT_GATHER_BATCH", rc);
	actor.mm = mm;
	/* no_pmd_recheck: unlink the table the fault is about to lock */
	actor.job = sc == NO_PMD_RECHECK ? mutant_dontneed_all : refill_page0;
	fired = 0;
	if (sc == NO_PMD_RECHECK) {
		/* Page 0 absent, the table kept (a partial DONTNEED frees none). */
		rc = ptsim_madvise(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_MADV_DONTNEED);
		if (rc)
			mutant_fail("ptsim_madvise (page 0)", rc);
		armed = true;
		rc = ptsim_touch(mm, BASE, PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE);
	} else {
		armed = true;
		rc = ptsim_madvise(mm, BASE, LEN, PTSIM_MADV_DONTNEED);
	}
	armed = false;
	if (rc)
		mutant_fail("the hooked call", rc);
	if (actor.rc)
		mutant_fail("the actor's call", actor.rc);
	if (fired != 1)
		mutant_fail("the window did not open (hook calls)", fired);
	bad = ptsim_mm_check(mm, msg, sizeof(msg));
	if (bad)
		printf("  caught: %s\n", msg);
	else if (!mutant && (ptsim_get_pte(mm, BASE, &pte) || !(pte & 1)))
		mutant_fail("real rcu lost page 0", 0); /* the refilled page must survive */
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	return bad || ptsim_uaf_count() != uaf0;
}

int main(int argc, char **argv)
{
	enum test_hook_point point;
	int status;

	if (argc != 2 || (strcmp(argv[1], "no_pmd_recheck") && strcmp(argv[1], "feb2025"))) {
		fprintf(stderr, "usage: %s no_pmd_recheck|feb2025\n", argv[0]);
		return 2;
	}
	sc = strcmp(argv[1], "feb2025") ? NO_PMD_RECHECK : FEB2025;
	point = sc == FEB2025 ? TEST_HOOK_ZAP_PTL_DROPPED : TEST_HOOK_PTE_MAP_SNAPSHOT;
	test_hook_set(point, open_window, NULL);
	status = mutant_main("mutant_rcu", argv[1],
	                     sc == FEB2025 ? PTSIM_MUTANT_RCU_FEB2025
	                                   : PTSIM_MUTANT_RCU_NO_PMD_RECHECK,
	                     round_caught);
	test_hook_set(point, NULL, NULL);
	return status;
}

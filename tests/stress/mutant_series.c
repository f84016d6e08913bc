// SPDX-License-Identifier: MIT
/*
 * The guards of the 2021/2022 series matter (issue 8): for atomic, percpu
 * and bitfield, the mutant that removes its era's guard is caught by the
 * use-after-free detector or ptsim_mm_check() in every round, while the
 * real strategy passes the same rounds clean.
 *
 *   atomic   PTSIM_MUTANT_ATOMIC_NO_TRYGET   a fault maps a table with no
 *            reference; a DONTNEED of the table's last entry frees it under
 *            the fault, which (no PMD re-check in era 5.x) maps its page in
 *            the unlinked table.
 *   percpu   PTSIM_MUTANT_PERCPU_NO_GP        a fault saw percpu mode; a
 *            DONTNEED switches the table to atomic mode without the grace
 *            period and folds the counters before the fault's get lands:
 *            the reference is lost and the count no longer matches.
 *   bitfield PTSIM_MUTANT_BITFIELD_READ_LOCK  a fault is setting an entry
 *            in an empty table; the reclaimer, under the read lock instead
 *            of the write lock, frees the table under it.
 *
 * Each round runs two real threads: the faulter W, paused at a series test
 * hook inside the strategy (lib/series_hook.h) at the start of the race
 * window, and this thread R, which does the other side. W goes on as soon as
 * R either finished or reached the point where the real protocol makes it
 * wait for W (a grace period, the mmap write lock): the window is opened
 * the same way in every round, with no sleeps and no timing.
 *
 * The test links the library's objects to set the internal hook.
 *
 *   test_mutant_series STRATEGY [ROUNDS]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptsim/ptsim.h>

#include "series_hook.h"

#define MiB  (1024ULL * 1024)
#define PG   PTSIM_PAGE_SIZE
#define BASE 0x500000000000ULL

struct round {
	struct ptsim_mm *mm;
	int w_point;         /* the series hook W pauses at, once */
	uint64_t w_addr;     /* the page W faults */
	atomic_int w_paused; /* W is inside the window */
	atomic_int w_go;     /* R finished, or R will wait for W */
	atomic_int w_rc;
};

static struct round *cur;
static _Thread_local int am_w, w_done_pausing;

/* R's side: the points where the real protocol waits for W, or where the
 * mutant has already done the damage, let W go on. */
static void series_hook_fn(int point, struct ptsim_mm *mm, uintptr_t arg)
{
	struct round *r = cur;

	if (!r || mm != r->mm)
		return;
	if (!am_w) {
		if ((point == SERIES_HOOK_PCPU_SWITCH && arg) ||
		    (point == SERIES_HOOK_BF_PMD_LOCKING && arg) ||
		    point == SERIES_HOOK_BF_UNLINKED)
			atomic_store(&r->w_go, 1);
		return;
	}
	if (point != r->w_point || w_done_pausing)
		return;
	w_done_pausing = 1;
	atomic_store(&r->w_paused, 1);
	while (!atomic_load(&r->w_go))
		sched_yield();
}

static void *w_thread(void *a)
{
	struct round *r = a;

	am_w = 1;
	w_done_pausing = 0;
	atomic_store(&r->w_rc, ptsim_touch(r->mm, r->w_addr, PG, PTSIM_ACCESS_WRITE));
	return NULL;
}

static int die(const char *what, long rc)
{
	fprintf(stderr, "mutant_series: %s failed: %ld\n", what, rc);
	exit(1);
}
#define CHECK(call)                      \
	do {                             \
		long rc_ = (long)(call); \
		if (rc_ < 0)             \
			die(#call, rc_); \
	} while (0)

/* One round; returns 1 if the detector or the checker caught something. */
static int run_round(enum ptsim_strategy s, int mutant)
{
	struct round r = {0};
	uint64_t uaf0 = ptsim_uaf_count();
	char msg[256] = "";
	pthread_t th;
	int caught, chk;

	CHECK(ptsim_mm_create(s, &r.mm));
	CHECK(ptsim_mm_set_option(r.mm, PTSIM_OPT_MUTANT, (uint64_t)mutant));
	CHECK(ptsim_mm_set_option(r.mm, PTSIM_OPT_GP_EXPEDITED, 1));
	CHECK(ptsim_mmap(r.mm, BASE, 2 * MiB, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
	                 NULL));
	switch (s) {
	case PTSIM_STRATEGY_ATOMIC: /* [w ......]: W faults page 1, R zaps page 0 */
		CHECK(ptsim_touch(r.mm, BASE, PG, PTSIM_ACCESS_WRITE));
		r.w_point = SERIES_HOOK_VISITOR_GOT;
		r.w_addr = BASE + PG;
		break;
	case PTSIM_STRATEGY_PERCPU: /* [ww .....]: W faults page 2, R zaps page 0 */
		CHECK(ptsim_touch(r.mm, BASE, 2 * PG, PTSIM_ACCESS_WRITE));
		r.w_point = SERIES_HOOK_PCPU_SAW_PERCPU;
		r.w_addr = BASE + 2 * PG;
		break;
	default: /* [ .......] an empty table: W faults page 1, R reclaims */
		CHECK(ptsim_touch(r.mm, BASE, PG, PTSIM_ACCESS_WRITE));
		CHECK(ptsim_madvise(r.mm, BASE, PG, PTSIM_MADV_DONTNEED));
		r.w_point = SERIES_HOOK_BF_PTES_SET;
		r.w_addr = BASE + PG;
		break;
	}
	cur = &r;
	if (pthread_create(&th, NULL, w_thread, &r))
		die("pthread_create", -1);
	while (!atomic_load(&r.w_paused))
		sched_yield();
	if (s == PTSIM_STRATEGY_BITFIELD) {
		int64_t got = ptsim_reclaim(r.mm);

		if (got < 0)
			die("ptsim_reclaim", (long)got);
	} else {
		CHECK(ptsim_madvise(r.mm, BASE, PG, PTSIM_MADV_DONTNEED));
	}
	atomic_store(&r.w_go, 1);
	pthread_join(th, NULL);
	cur = NULL;
	if (atomic_load(&r.w_rc))
		die("W's ptsim_touch", atomic_load(&r.w_rc));
	ptsim_synchronize(); /* let every pending free land in the quarantine */
	chk = ptsim_mm_check(r.mm, msg, sizeof(msg));
	caught = chk != 0 || ptsim_uaf_count() != uaf0;
	if (caught && !mutant)
		fprintf(stderr, "  real %s: uaf %llu, check: %s\n", ptsim_strategy_name(s),
		        (unsigned long long)(ptsim_uaf_count() - uaf0), chk ? msg : "ok");
	ptsim_mm_destroy(r.mm);
	return caught;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum ptsim_strategy s;
		int mutant;
	} cases[] = {
	        {"atomic", PTSIM_STRATEGY_ATOMIC, PTSIM_MUTANT_ATOMIC_NO_TRYGET},
	        {"percpu", PTSIM_STRATEGY_PERCPU, PTSIM_MUTANT_PERCPU_NO_GP},
	        {"bitfield", PTSIM_STRATEGY_BITFIELD, PTSIM_MUTANT_BITFIELD_READ_LOCK},
	};
	int rounds = argc > 2 ? atoi(argv[2]) : 20, c = -1, real_caught = 0, mutant_caught = 0;

	for (unsigned i = 0; argc > 1 && i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(argv[1], cases[i].name))
			c = (int)i;
	if (c < 0) {
		fprintf(stderr, "usage: %s atomic|percpu|bitfield [ROUNDS]\n", argv[0]);
		return 2;
	}
	if (!ptsim_strategy_available(cases[c].s) || ptsim_set_checked(1)) {
		printf("mutant_series %s: skipped (strategy or checked mode not built)\n", argv[1]);
		return 77;
	}
	series_test_hook = series_hook_fn;
	for (int i = 0; i < rounds; i++) {
		real_caught += run_round(cases[c].s, PTSIM_MUTANT_NONE);
		mutant_caught += run_round(cases[c].s, cases[c].mutant);
	}
	series_test_hook = NULL;
	printf("mutant_series %s: real flagged in %d of %d rounds, mutant caught in %d of %d\n",
	       argv[1], real_caught, rounds, mutant_caught, rounds);
	return real_caught == 0 && mutant_caught == rounds ? 0 : 1;
}

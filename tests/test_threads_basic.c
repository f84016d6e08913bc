/* SPDX-License-Identifier: MIT */
/*
 * A short smoke test with real threads on one mm (label `stress`): it ends
 * by itself after a fixed number of iterations and asserts no timing.
 *
 *   AT(0): [0|1|2|3|4|5|6|7]   16 MiB, eight 2 MiB chunks (one PTE table each)
 *
 *   zapper 0: chunks 0-3, write-faults a whole chunk, then DONTNEEDs it
 *   zapper 1: chunks 4-7, the same (disjoint from zapper 0)
 *   overlap:  reads and writes [c+1M, c+3M), straddling two chunks, and
 *             DONTNEEDs it: it races both zappers on their tables
 *   walker:   ptsim_walk_page_range() over everything, and GUP-fast pins
 *             of 16 pages, unpinned at once
 *
 * At the end the mm must pass ptsim_mm_check(), and RSS, zero-page entries
 * and PTE tables must equal what a final walk counts.
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define NCHUNKS 8
#define CHUNK   PTSIM_PMD_SIZE
#define MAP_LEN (NCHUNKS * CHUNK)
#define ITERS   5000

struct shared {
	struct ptsim_mm *mm;
	atomic_int failures;
	char first_failure[256];
	atomic_flag reported;
};

struct worker {
	struct shared *sh;
	int id;
	unsigned int seed;
};

/* Records the first failure; cmocka's asserts are not for other threads. */
static void report(struct shared *sh, const char *what, long rc)
{
	atomic_fetch_add(&sh->failures, 1);
	if (!atomic_flag_test_and_set(&sh->reported))
		snprintf(sh->first_failure, sizeof(sh->first_failure), "%s = %ld", what, rc);
}

#define CALL(sh, call)                            \
	do {                                      \
		long rc_ = (call);                \
		if (rc_ != 0)                     \
			report((sh), #call, rc_); \
	} while (0)

static unsigned int next_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static void *zapper(void *arg)
{
	struct worker *w = arg;
	struct ptsim_mm *mm = w->sh->mm;

	for (int i = 0; i < ITERS; i++) {
		uint64_t chunk = AT((uint64_t)(w->id * 4 + i % 4) * CHUNK);

		CALL(w->sh, ptsim_touch(mm, chunk, CHUNK, PTSIM_ACCESS_WRITE));
		CALL(w->sh, ptsim_madvise(mm, chunk, CHUNK, PTSIM_MADV_DONTNEED));
	}
	return NULL;
}

static void *overlapper(void *arg)
{
	struct worker *w = arg;
	struct ptsim_mm *mm = w->sh->mm;

	for (int i = 0; i < ITERS; i++) {
		/* [c + 1M, c + 3M): the second half of chunk c, the first of c + 1 */
		uint64_t start = AT(next_rand(&w->seed) % (NCHUNKS - 1) * CHUNK + CHUNK / 2);

		CALL(w->sh, ptsim_touch(mm, start, CHUNK, PTSIM_ACCESS_READ));
		CALL(w->sh, ptsim_touch(mm, start + CHUNK / 4, 16 * PG, PTSIM_ACCESS_WRITE));
		CALL(w->sh, ptsim_madvise(mm, start, CHUNK, PTSIM_MADV_DONTNEED));
	}
	return NULL;
}

/* Counts what the locked walk sees. */
struct tally {
	uint64_t frames, zero, pmds, bad;
};

static int tally_pmd(uint64_t pmd, uint64_t addr, uint64_t next, void *priv)
{
	struct tally *t = priv;

	(void)pmd;
	(void)addr;
	(void)next;
	t->pmds++;
	return 0;
}

static int tally_pte(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	struct tally *t = priv;

	(void)addr;
	(void)next;
	if (!(pte & PTSIM_PTE_PRESENT)) {
		t->bad += pte != 0; /* no swap entries in this test */
		return 0;
	}
	if (PTSIM_PTE_PFN(pte) == ptsim_zero_pfn())
		t->zero++;
	else
		t->frames++;
	return 0;
}

static const struct ptsim_walk_ops tally_ops = {
        .pmd_entry = tally_pmd,
        .pte_entry = tally_pte,
};

static void *walker(void *arg)
{
	struct worker *w = arg;
	struct ptsim_mm *mm = w->sh->mm;
	uint64_t pfns[16];

	for (int i = 0; i < ITERS; i++) {
		struct tally t = {0};
		uint64_t at = AT(next_rand(&w->seed) % (MAP_LEN / PG - 16) * PG);
		int n;

		CALL(w->sh, ptsim_walk_page_range(mm, AT(0), AT(MAP_LEN), &tally_ops, &t));
		if (t.bad || t.pmds > NCHUNKS || t.frames + t.zero > MAP_LEN / PG)
			report(w->sh, "walk tally out of range", (long)t.bad);
		n = ptsim_gup_fast(mm, at, 16, i & 1, pfns);
		if (n < 0 || n > 16)
			report(w->sh, "ptsim_gup_fast", n);
		else
			ptsim_unpin(pfns, n);
	}
	return NULL;
}

static void test_threads_fault_zap_walk(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm;
	struct shared sh = {.mm = mm, .reported = ATOMIC_FLAG_INIT};
	struct worker w[4];
	pthread_t tid[4];
	void *(*fn[4])(void *) = {zapper, zapper, overlapper, walker};
	struct ptsim_mm_stats st;
	struct tally t = {0};

	map_fixed(mm, AT(0), MAP_LEN, PROT_RW);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.sh = &sh, .id = i, .seed = 12345u + (unsigned int)i};
		assert_int_equal(pthread_create(&tid[i], NULL, fn[i], &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);
	if (atomic_load(&sh.failures))
		fail_msg("%d failed calls in the threads; first: %s", atomic_load(&sh.failures),
		         sh.first_failure);
	assert_mm_ok(mm);

	/* what the stats say equals what a walk counts */
	STEP(mm, ptsim_walk_page_range(mm, AT(0), AT(MAP_LEN), &tally_ops, &t));
	st = pt_stats(mm);
	assert_int_equal(t.bad, 0);
	assert_int_equal(st.rss_anon_pages, t.frames);
	assert_int_equal(st.zero_page_ptes, t.zero);
	assert_int_equal(st.nr_pte_tables, t.pmds);
	if (pt_expect == PTSIM_STRATEGY_RWSEM) /* every clearing is followed by a free pass */
		assert_tables(mm, t.pmds ? 1 : 0, t.pmds ? 1 : 0, t.pmds);
	else
		assert_tables(mm, 1, 1, t.pmds);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + t.frames);

	/* a whole DONTNEED: no frame left; tables as the strategy decides */
	STEP(mm, ptsim_madvise(mm, AT(0), MAP_LEN, PTSIM_MADV_DONTNEED));
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_int_equal(st.zero_page_ptes, 0);
	if (pt_expect == PTSIM_STRATEGY_NONE || pt_expect == PTSIM_STRATEGY_NONE_5X ||
	    pt_expect == PTSIM_STRATEGY_BITFIELD)
		assert_tables(mm, 1, 1, NCHUNKS); /* every chunk was written at least once */
	else if (pt_expect == PTSIM_STRATEGY_RWSEM)
		assert_tables(mm, 0, 0, 0); /* the emptied PMD and PUD tables go too */
	else
		assert_tables(mm, 1, 1, 0);
	ptsim_synchronize();
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_threads_fault_zap_walk, pt_setup, pt_teardown),
	};
	char group[64];
	int rc = pt_strategy_from_args(argc, argv, PTSIM_STRATEGY_RCU);

	if (rc >= 0)
		return rc;
	snprintf(group, sizeof(group), "threads_basic_%s", ptsim_strategy_name(pt_strategy));
	return _cmocka_run_group_tests(group, tests, 1, NULL, NULL);
}

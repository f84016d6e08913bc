/* SPDX-License-Identifier: MIT */
/*
 * Per-VMA locks seen from the public API (label `stress` for the threaded
 * part): in era 6.18 anonymous faults take no mmap lock once the VMA has
 * its anon_vma, in era 5.x every fault takes it; and faults under per-VMA
 * locks race munmap, mmap(MAP_FIXED), mprotect and MADV_DONTNEED for a
 * fixed number of operations, after which the mm must pass ptsim_mm_check().
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define RW      (PTSIM_PROT_READ | PTSIM_PROT_WRITE)
#define NCHUNKS 8
#define CHUNK   PTSIM_PMD_SIZE
#define MAP_LEN (NCHUNKS * CHUNK)
#define ITERS   3000

static bool era_6_18(void)
{
	return strcmp(ptsim_strategy_era(pt_strategy), "6.18") == 0;
}

/* mmap lock acquisitions between two snapshots (reading them takes none;
 * ptsim_mm_get_stats() is lockless). */
static uint64_t mmap_locks(const struct ptsim_mm_stats *a, const struct ptsim_mm_stats *b)
{
	return b->mmap_lock.acquisitions - a->mmap_lock.acquisitions;
}

static void test_faults_take_no_mmap_lock(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm_stats s0, s1;
	uint64_t n = 4 * PTSIM_PMD_SIZE / PTSIM_PAGE_SIZE - 1;

	STEP(f->mm, ptsim_mmap(f->mm, AT(0), 4 * PTSIM_PMD_SIZE, RW, PTSIM_MAP_FIXED, NULL));
	/* The first write fault picks the anon_vma: that needs the mmap lock. */
	STEP(f->mm, ptsim_touch(f->mm, AT(0), PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE));
	s0 = pt_stats(f->mm);
	assert_int_equal(
	        ptsim_touch(f->mm, AT(PTSIM_PAGE_SIZE), n * PTSIM_PAGE_SIZE, PTSIM_ACCESS_WRITE),
	        0);
	s1 = pt_stats(f->mm);
	assert_int_equal(s1.faults_write - s0.faults_write, n);
	if (era_6_18()) {
		assert_int_equal(mmap_locks(&s0, &s1), 0);
		assert_int_equal(s1.vma_lock.acquisitions - s0.vma_lock.acquisitions, n);
		assert_int_equal(s1.vma_lock_fallbacks, s0.vma_lock_fallbacks);
	} else {
		/* One for the access check, one per fault. */
		assert_int_equal(mmap_locks(&s0, &s1), n + 1);
		assert_int_equal(s1.vma_lock.acquisitions, 0);
	}
}

static void test_madvise_lock_choice(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm_stats s0, s1, s2;

	STEP(f->mm, ptsim_mmap(f->mm, AT(0), 2 * CHUNK, RW, PTSIM_MAP_FIXED, NULL));
	STEP(f->mm,
	     ptsim_mmap(f->mm, AT(2 * CHUNK), CHUNK, PTSIM_PROT_READ, PTSIM_MAP_FIXED, NULL));
	STEP(f->mm, ptsim_touch(f->mm, AT(0), 2 * CHUNK, PTSIM_ACCESS_WRITE));
	s0 = pt_stats(f->mm);
	/* Inside one VMA: the per-VMA read lock in 6.18. */
	assert_int_equal(ptsim_madvise(f->mm, AT(0), CHUNK, PTSIM_MADV_DONTNEED), 0);
	s1 = pt_stats(f->mm);
	/* Across two VMAs: the mmap read lock in both eras. */
	assert_int_equal(ptsim_madvise(f->mm, AT(CHUNK), 2 * CHUNK, PTSIM_MADV_DONTNEED), 0);
	s2 = pt_stats(f->mm);
	assert_mm_ok(f->mm);
	if (era_6_18()) {
		assert_int_equal(mmap_locks(&s0, &s1), 0);
		assert_int_equal(s1.vma_lock.acquisitions - s0.vma_lock.acquisitions, 1);
		assert_int_equal(mmap_locks(&s1, &s2), 1);
		assert_int_equal(s2.vma_lock_fallbacks - s1.vma_lock_fallbacks, 1);
	} else {
		assert_int_equal(mmap_locks(&s0, &s1), 1);
		assert_int_equal(s2.vma_lock.acquisitions, 0);
	}
}

#define NFAULTERS 3

struct shared {
	struct ptsim_mm *mm;
	atomic_int writers_left;
	atomic_int faulters_ready; /* faulters past their first touch */
	atomic_int failures;
	char first_failure[256];
	atomic_flag reported;
};

struct worker {
	struct shared *sh;
	int id;
	unsigned int seed;
};

static void report(struct shared *sh, const char *what, long rc)
{
	atomic_fetch_add(&sh->failures, 1);
	if (!atomic_flag_test_and_set(&sh->reported))
		snprintf(sh->first_failure, sizeof(sh->first_failure), "%s = %ld", what, rc);
}

static unsigned int next_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/*
 * Faults anywhere: the layout changes under it, so holes and PROT_READ are
 * expected. The first touch comes before any change (the changers wait for
 * it), on memory nobody has touched: so faults happen whatever the
 * scheduler does, and keep happening while the layout changes.
 */
static void *faulter(void *p)
{
	struct worker *w = p;
	struct shared *sh = w->sh;
	bool first = true;

	do {
		/* Eight pages inside the mapping: holes come from munmap only. */
		uint64_t page = next_rand(&w->seed) % (MAP_LEN / PTSIM_PAGE_SIZE - 7);
		int access = next_rand(&w->seed) & 1 ? PTSIM_ACCESS_WRITE : PTSIM_ACCESS_READ;
		long rc = ptsim_touch(sh->mm, AT(page * PTSIM_PAGE_SIZE), 8 * PTSIM_PAGE_SIZE,
		                      access);

		if (rc && rc != -EFAULT && rc != -EACCES)
			report(sh, "ptsim_touch", rc);
		if (first)
			atomic_fetch_add(&sh->faulters_ready, 1);
		first = false;
	} while (atomic_load(&sh->writers_left) > 0);
	return NULL;
}

/* Changes the layout: one kind of change per thread, a fixed number of times. */
static void *changer(void *p)
{
	struct worker *w = p;
	struct shared *sh = w->sh;

	/* Else a loaded machine may run all the changes before any fault. */
	while (atomic_load(&sh->faulters_ready) < NFAULTERS)
		sched_yield();
	for (int i = 0; i < ITERS; i++) {
		uint64_t c = next_rand(&w->seed) % NCHUNKS;
		uint64_t off = (next_rand(&w->seed) % 256) * PTSIM_PAGE_SIZE;
		long rc = 0;

		switch (w->id) {
		case 0: /* munmap part of a chunk, then map it again */
			rc = ptsim_munmap(sh->mm, AT(c * CHUNK + off), 64 * PTSIM_PAGE_SIZE);
			if (!rc)
				rc = ptsim_mmap(sh->mm, AT(c * CHUNK + off), 64 * PTSIM_PAGE_SIZE,
				                RW, PTSIM_MAP_FIXED, NULL);
			break;
		case 1: /* split by mprotect, then merge back */
			rc = ptsim_mprotect(sh->mm, AT(c * CHUNK + off), CHUNK / 2,
			                    PTSIM_PROT_READ);
			if (!rc)
				rc = ptsim_mprotect(sh->mm, AT(c * CHUNK + off), CHUNK / 2, RW);
			if (rc == -ENOMEM)
				rc = 0; /* a hole munmap left for a moment */
			break;
		default: /* DONTNEED in one VMA or across several */
			rc = ptsim_madvise(sh->mm, AT(c * CHUNK), (i & 1) ? CHUNK : CHUNK / 4,
			                   PTSIM_MADV_DONTNEED);
			if (rc == -ENOMEM)
				rc = 0; /* a hole munmap left for a moment */
			break;
		}
		if (rc)
			report(sh, "changer", rc);
	}
	atomic_fetch_sub(&sh->writers_left, 1);
	return NULL;
}

static void test_faults_race_layout_changes(void **state)
{
	struct pt_fixture *f = *state;
	struct shared sh = {.mm = f->mm, .reported = ATOMIC_FLAG_INIT};
	struct worker w[3 + NFAULTERS];
	pthread_t t[3 + NFAULTERS];
	struct ptsim_mm_stats st;

	STEP(f->mm, ptsim_mmap(f->mm, AT(0), MAP_LEN, RW, PTSIM_MAP_FIXED, NULL));
	atomic_store(&sh.writers_left, 3);
	for (int i = 0; i < 3 + NFAULTERS; i++) {
		w[i] = (struct worker){.sh = &sh, .id = i % 3, .seed = 7u * (unsigned)i + 1};
		assert_int_equal(pthread_create(&t[i], NULL, i < 3 ? changer : faulter, &w[i]), 0);
	}
	for (int i = 0; i < 3 + NFAULTERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	if (atomic_load(&sh.failures))
		fail_msg("%d failures, first: %s", atomic_load(&sh.failures), sh.first_failure);
	assert_mm_ok(f->mm);
	st = pt_stats(f->mm);
	assert_true(st.faults_read + st.faults_write > 0);
	if (era_6_18())
		assert_true(st.vma_lock.acquisitions > 0);
	else
		assert_int_equal(st.vma_lock.acquisitions, 0);
}

/*
 * Past VMA_PUBLISH_EAGER_MAX (4096) VMAs the lockless layout is withdrawn
 * at each change and rebuilt by the first fault that falls back: faults
 * still resolve, the first takes the mmap lock once, the rest (with
 * their VMA's anon_vma already picked) go by the VMA lock again.
 */
static void test_many_vmas_lazy_layout(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm_stats s0, s1;
	const int n = 5000;

	/* Alternate protections so that neighbours never merge. */
	for (int i = 0; i < n; i++)
		STEP(f->mm, ptsim_mmap(f->mm, AT((uint64_t)i * PTSIM_PAGE_SIZE), PTSIM_PAGE_SIZE,
		                       i % 2 ? RW : PTSIM_PROT_READ, PTSIM_MAP_FIXED, NULL));
	for (int i = 0; i < n; i += 2)
		STEP(f->mm,
		     ptsim_touch(f->mm, AT((uint64_t)i * PTSIM_PAGE_SIZE), 1, PTSIM_ACCESS_READ));
	s0 = pt_stats(f->mm);
	for (int i = 0; i < n; i += 2)
		STEP(f->mm, ptsim_touch(f->mm, AT((uint64_t)i * PTSIM_PAGE_SIZE + 64), 1,
		                        PTSIM_ACCESS_READ));
	s1 = pt_stats(f->mm);
	assert_int_equal(s1.nr_vmas, (uint64_t)n);
	if (era_6_18())
		assert_int_equal(s1.vma_lock_fallbacks, s0.vma_lock_fallbacks);
	assert_mm_ok(f->mm);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_faults_take_no_mmap_lock, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_madvise_lock_choice, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_faults_race_layout_changes, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_many_vmas_lazy_layout, pt_setup, pt_teardown),
	};
	int r = pt_strategy_from_args(argc, argv, PTSIM_STRATEGY_RCU);

	if (r >= 0)
		return r;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

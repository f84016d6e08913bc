// SPDX-License-Identifier: MIT
/*
 * Robustness defects that only the library's internals can observe: frames
 * lost in an unregistered thread's cache, an invariant check that runs out
 * of memory, the parsing of on/off environment values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "frame.h"
#include "memalloc.h"
#include "uaf.h"

#define BASE  0x500000000000ULL
#define PAGES 32 /* fewer than a thread's frame cache holds */

struct unpin_arg {
	uint64_t *pfns;
	int n;
};

/* A thread that makes no call but ptsim_unpin(). */
static void *unpin_thread(void *p)
{
	struct unpin_arg *a = p;

	ptsim_unpin(a->pfns, a->n);
	return NULL;
}

/* The last unpin frees the frames into the unpinning thread's cache: its
 * exit must give them back to the pool even though it never registered. */
static void test_unpin_from_fresh_thread(void **state)
{
	struct ptsim_mm *mm;
	uint64_t pfns[PAGES];
	struct unpin_arg a = {pfns, PAGES};
	pthread_t th;
	uint32_t before;

	(void)state;
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, BASE, PAGES * 4096ULL, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                            PTSIM_MAP_FIXED, NULL),
	                 0);
	assert_int_equal(ptsim_touch(mm, BASE, PAGES * 4096ULL, PTSIM_ACCESS_WRITE), 0);
	assert_int_equal(ptsim_gup_fast(mm, BASE, PAGES, 1, pfns), PAGES);
	/* Only the pins hold the frames now. */
	assert_int_equal(ptsim_munmap(mm, BASE, PAGES * 4096ULL), 0);
	frame_cache_drain();
	before = frame_pool_nr_free();
	assert_int_equal(pthread_create(&th, NULL, unpin_thread, &a), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(frame_pool_nr_free(), before + PAGES);
	ptsim_mm_destroy(mm);
}

/* Out of memory inside the check is not corruption. */
static void test_check_enomem(void **state)
{
	struct ptsim_mm *mm;
	char msg[128];

	(void)state;
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, BASE, 1 << 20, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                            PTSIM_MAP_FIXED, NULL),
	                 0);
	assert_int_equal(ptsim_touch(mm, BASE, 1 << 20, PTSIM_ACCESS_WRITE), 0);
	assert_int_equal(ptsim_mm_check(mm, msg, sizeof(msg)), 0);
	ptsim_memalloc_fail_nth(1); /* the check's frame list */
	assert_int_equal(ptsim_mm_check(mm, msg, sizeof(msg)), -ENOMEM);
	ptsim_memalloc_fail_nth(0);
	assert_non_null(strstr(msg, "out of memory"));
	assert_int_equal(ptsim_mm_check(mm, msg, sizeof(msg)), 0);
	ptsim_mm_destroy(mm);
}

static void test_parse_bool(void **state)
{
	(void)state;
	assert_int_equal(ptsim_parse_bool("1"), 1);
	assert_int_equal(ptsim_parse_bool("on"), 1);
	assert_int_equal(ptsim_parse_bool("TRUE"), 1);
	assert_int_equal(ptsim_parse_bool("yes"), 1);
	assert_int_equal(ptsim_parse_bool("0"), 0);
	assert_int_equal(ptsim_parse_bool("off"), 0);
	assert_int_equal(ptsim_parse_bool("False"), 0);
	assert_int_equal(ptsim_parse_bool("no"), 0);
	assert_int_equal(ptsim_parse_bool(""), 0);
	assert_int_equal(ptsim_parse_bool("2"), -1);
	assert_int_equal(ptsim_parse_bool("offf"), -1);
	assert_int_equal(ptsim_parse_bool(NULL), -1);
}

/* A failed fork leaves the parent's entries write-protected, as dup_mmap()
 * does; the parent's next write reuses its frame (the child is gone). */
static void test_failed_fork_leaves_parent_wrprotected(void **state)
{
	for (int s = 0; s < PTSIM_STRATEGY_COUNT; s++) {
		struct ptsim_mm *mm, *child = NULL;
		struct ptsim_mm_stats before, after;
		uint64_t pte, pte2;
		int ret = -ENOMEM;

		(void)state;
		if (!ptsim_strategy_available((enum ptsim_strategy)s))
			continue;
		assert_int_equal(ptsim_mm_create((enum ptsim_strategy)s, &mm), 0);
		/* Two PMDs' worth, so the copy can fail after the first table. */
		assert_int_equal(ptsim_mmap(mm, BASE, 4 << 20, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
		                            PTSIM_MAP_FIXED, NULL),
		                 0);
		assert_int_equal(ptsim_touch(mm, BASE, 4 << 20, PTSIM_ACCESS_WRITE), 0);
		/* A failure after the first PTE table was copied. */
		for (unsigned n = 1; n < 64; n++) {
			ptsim_memalloc_fail_nth(n);
			ret = ptsim_fork(mm, &child);
			ptsim_memalloc_fail_nth(0);
			if (ret == 0) {
				ptsim_mm_destroy(child);
				break;
			}
			assert_int_equal(ret, -ENOMEM);
			assert_int_equal(ptsim_get_pte(mm, BASE, &pte), 0);
			if (!(pte & PTSIM_PTE_RW))
				break; /* the first table was write-protected, then it failed */
		}
		assert_int_not_equal(ret, 0);
		assert_int_equal(ptsim_mm_check(mm, NULL, 0), 0);
		assert_int_equal(ptsim_mm_get_stats(mm, &before), 0);
		assert_int_equal(ptsim_touch(mm, BASE, 4096, PTSIM_ACCESS_WRITE), 0);
		assert_int_equal(ptsim_get_pte(mm, BASE, &pte2), 0);
		assert_true(pte2 & PTSIM_PTE_RW);
		assert_int_equal(PTSIM_PTE_PFN(pte2), PTSIM_PTE_PFN(pte)); /* reused */
		assert_int_equal(ptsim_mm_get_stats(mm, &after), 0);
		assert_int_equal(after.faults_cow, before.faults_cow + 1);
		assert_int_equal(after.rss_anon_pages, before.rss_anon_pages);
		ptsim_mm_destroy(mm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unpin_from_fresh_thread),
	        cmocka_unit_test(test_check_enomem),
	        cmocka_unit_test(test_parse_bool),
	        cmocka_unit_test(test_failed_fork_leaves_parent_wrprotected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

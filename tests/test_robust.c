// SPDX-License-Identifier: MIT
/*
 * Robustness defects of issue 10, each with the call that used to go wrong,
 * under every strategy where the strategy matters:
 *  - fork of an mm that never had a mapping;
 *  - PTSIM_CHECKED values (run with the variable set, see CMakeLists.txt);
 *  - errnos that differed from Linux (mmap/munmap/mprotect/madvise).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ptsim_test.h"

#define HOLE_ADDR AT(1 * GiB) /* nothing is ever mapped there */

static void assert_consistent(struct ptsim_mm *mm)
{
	char msg[256];

	if (ptsim_mm_check(mm, msg, sizeof(msg)) != 0)
		fail_msg("ptsim_mm_check: %s", msg);
}

#define for_each_strategy(s)                                           \
	for (enum ptsim_strategy s = 0; s < PTSIM_STRATEGY_COUNT; s++) \
		if (ptsim_strategy_available(s))

/* dup_mmap() of an empty mm: nothing to copy, and a child that works. */
static void test_fork_never_mapped(void **state)
{
	(void)state;
	for_each_strategy(s)
	{
		struct ptsim_mm *mm, *child;
		struct ptsim_mm_stats st;

		assert_int_equal(ptsim_mm_create(s, &mm), 0);
		assert_int_equal(ptsim_fork(mm, &child), 0);
		assert_int_equal(ptsim_mm_get_stats(child, &st), 0);
		assert_int_equal(st.nr_vmas, 0);
		assert_int_equal(st.pgtables_bytes, 0);
		assert_consistent(child);
		/* Both still work, independently. */
		assert_int_equal(ptsim_mmap(child, AT(0), 2 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL),
		                 0);
		assert_int_equal(ptsim_touch(child, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE), 0);
		assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
		assert_int_equal(st.nr_vmas, 0);
		assert_consistent(child);
		assert_consistent(mm);
		ptsim_mm_destroy(child);
		ptsim_mm_destroy(mm);
	}
}

/* Adjacent 4-page VMAs, alternating protections so none merge, up to
 * vm.max_map_count (65530). */
#define MAP_LIMIT 65530
#define VMA_LEN   (4 * PG)
#define VMA(i)    AT((uint64_t)(i)*VMA_LEN)

static uint64_t nr_vmas(struct ptsim_mm *mm)
{
	struct ptsim_mm_stats st;

	assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
	return st.nr_vmas;
}

/* An rcu mm with MAP_LIMIT VMAs, VMA(0) to VMA(MAP_LIMIT - 1). */
static struct ptsim_mm *mm_at_map_limit(void)
{
	struct ptsim_mm *mm;

	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	for (int i = 0; i < MAP_LIMIT; i++)
		assert_int_equal(ptsim_mmap(mm, VMA(i), VMA_LEN, i % 2 ? PTSIM_PROT_READ : PROT_RW,
		                            PTSIM_MAP_FIXED, NULL),
		                 0);
	return mm;
}

/*
 * At the limit, Linux refuses only an unmap that punches a hole inside one
 * VMA (vms_gather_munmap_vmas()); a range that ends inside another VMA
 * splits two and removes at least one, and is allowed. The same holds for
 * the unmap a MAP_FIXED mmap does first.
 */
static void test_map_count_limit(void **state)
{
	struct ptsim_mm *mm;

	(void)state;
	mm = mm_at_map_limit();
	assert_int_equal(nr_vmas(mm), MAP_LIMIT);
	/* From inside VMA 10 to inside VMA 11: two splits, count unchanged. */
	assert_int_equal(ptsim_munmap(mm, VMA(10) + PG, VMA_LEN), 0);
	assert_int_equal(nr_vmas(mm), MAP_LIMIT);
	/* A hole inside VMA 20 would make one more. */
	assert_int_equal(ptsim_munmap(mm, VMA(20) + PG, PG), -ENOMEM);
	assert_int_equal(nr_vmas(mm), MAP_LIMIT);
	/* MAP_FIXED across VMAs 30 and 31 (the new VMA merges with 30's head). */
	assert_int_equal(ptsim_mmap(mm, VMA(30) + PG, VMA_LEN, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(nr_vmas(mm), MAP_LIMIT);
	/* Even a hole that would merge back (same protection) is refused first. */
	assert_int_equal(ptsim_mmap(mm, VMA(50) + PG, PG, PROT_RW, PTSIM_MAP_FIXED, NULL), -ENOMEM);
	/* One whole VMA gone: below the limit, the hole is allowed. */
	assert_int_equal(ptsim_munmap(mm, VMA(60), VMA_LEN), 0);
	assert_int_equal(ptsim_munmap(mm, VMA(20) + PG, PG), 0);
	assert_int_equal(nr_vmas(mm), MAP_LIMIT);
	assert_consistent(mm);
	ptsim_mm_destroy(mm);
}

/* At exactly the limit, a MAP_FIXED hole inside one VMA is refused. */
static void test_map_fixed_hole_at_limit(void **state)
{
	struct ptsim_mm *mm;

	(void)state;
	mm = mm_at_map_limit();
	assert_int_equal(ptsim_mmap(mm, VMA(41) + PG, PG, PROT_RW, PTSIM_MAP_FIXED, NULL), -ENOMEM);
	assert_int_equal(nr_vmas(mm), MAP_LIMIT);
	/* Replacing whole VMAs is fine. */
	assert_int_equal(ptsim_mmap(mm, VMA(41), VMA_LEN, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_consistent(mm);
	ptsim_mm_destroy(mm);
}

/* __get_unmapped_area(): the range check comes before the alignment one. */
static void test_map_fixed_above_task_size(void **state)
{
	struct ptsim_mm *mm;

	(void)state;
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, PTSIM_TASK_SIZE + 1, PG, PROT_RW, PTSIM_MAP_FIXED, NULL),
	                 -ENOMEM);
	assert_int_equal(
	        ptsim_mmap(mm, PTSIM_TASK_SIZE + 1, PG, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, NULL),
	        -ENOMEM);
	assert_int_equal(ptsim_mmap(mm, PTSIM_TASK_SIZE, PG, PROT_RW, PTSIM_MAP_FIXED, NULL),
	                 -ENOMEM);
	/* Inside the user range, misalignment is still -EINVAL, a low page -EPERM. */
	assert_int_equal(ptsim_mmap(mm, AT(1), PG, PROT_RW, PTSIM_MAP_FIXED, NULL), -EINVAL);
	assert_int_equal(ptsim_mmap(mm, 0x1001, PG, PROT_RW, PTSIM_MAP_FIXED, NULL), -EINVAL);
	assert_int_equal(ptsim_mmap(mm, 0x1000, PG, PROT_RW, PTSIM_MAP_FIXED, NULL), -EPERM);
	assert_int_equal(nr_vmas(mm), 0);
	ptsim_mm_destroy(mm);
}

/* do_mprotect_pkey(): an empty range succeeds before prot is looked at. */
static void test_mprotect_bad_prot_order(void **state)
{
	struct ptsim_mm *mm;

	(void)state;
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, AT(0), 2 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_mprotect(mm, AT(0), 0, 0x40), 0);
	assert_int_equal(ptsim_mprotect(mm, HOLE_ADDR, 0, 0x40), 0);
	assert_int_equal(ptsim_mprotect(mm, AT(1), 0, 0x40), -EINVAL); /* alignment first */
	assert_int_equal(ptsim_mprotect(mm, AT(0), PG, 0x40), -EINVAL);
	assert_int_equal(ptsim_mprotect(mm, AT(0), -PG, 0x40), -ENOMEM); /* wraps: before prot */
	assert_int_equal(ptsim_mprotect(mm, PTSIM_TASK_SIZE, PG, 0x40), -EINVAL);
	assert_int_equal(ptsim_mprotect(mm, PTSIM_TASK_SIZE, PG, PTSIM_PROT_READ), -ENOMEM);
	assert_consistent(mm);
	ptsim_mm_destroy(mm);
}

/*
 * MADV_NORMAL and MADV_WILLNEED: accepted, no effect on anonymous memory
 * without swap. MADV_COLD and MADV_PAGEOUT: entries of frames only this mm
 * maps become old; shared frames and the zero page are left alone; RSS and
 * tables stay. A hole makes each of them -ENOMEM, after the mapped parts.
 */
static void test_madvise_accepted(void **state)
{
	static const int advice[] = {PTSIM_MADV_NORMAL, PTSIM_MADV_WILLNEED, PTSIM_MADV_COLD,
	                             PTSIM_MADV_PAGEOUT};

	(void)state;
	for_each_strategy(s)
	{
		for (unsigned a = 0; a < sizeof(advice) / sizeof(advice[0]); a++) {
			bool old = advice[a] == PTSIM_MADV_COLD || advice[a] == PTSIM_MADV_PAGEOUT;
			struct ptsim_mm *mm, *child;
			struct ptsim_mm_stats before, after;
			uint64_t pte;

			assert_int_equal(ptsim_mm_create(s, &mm), 0);
			assert_int_equal(
			        ptsim_mmap(mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
			assert_int_equal(ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE), 0);
			assert_int_equal(ptsim_touch(mm, AT(2 * MiB), PG, PTSIM_ACCESS_READ), 0);
			assert_int_equal(ptsim_mm_get_stats(mm, &before), 0);
			assert_int_equal(ptsim_madvise(mm, AT(0), 4 * MiB, advice[a]), 0);
			assert_int_equal(ptsim_mm_get_stats(mm, &after), 0);
			assert_int_equal(after.rss_anon_pages, before.rss_anon_pages);
			assert_int_equal(after.zero_page_ptes, before.zero_page_ptes);
			assert_int_equal(after.pgtables_bytes, before.pgtables_bytes);
			assert_int_equal(after.nr_vmas, before.nr_vmas);
			assert_int_equal(ptsim_get_pte(mm, AT(PG), &pte), 0);
			assert_true(pte & PTSIM_PTE_PRESENT);
			assert_int_equal(!(pte & PTSIM_PTE_ACCESSED), old);
			assert_true(pte & PTSIM_PTE_DIRTY);
			assert_int_equal(ptsim_get_pte(mm, AT(2 * MiB), &pte), 0);
			assert_true(pte & PTSIM_PTE_ACCESSED); /* the zero page */
			/* Shared with a child: left young. */
			assert_int_equal(ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_READ), 0);
			assert_int_equal(ptsim_fork(mm, &child), 0);
			assert_int_equal(ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_READ), 0);
			assert_int_equal(ptsim_madvise(mm, AT(0), PG, advice[a]), 0);
			assert_int_equal(ptsim_get_pte(mm, AT(0), &pte), 0);
			assert_true(pte & PTSIM_PTE_ACCESSED);
			/* A hole: the mapped part is done, then -ENOMEM. */
			assert_int_equal(ptsim_madvise(mm, AT(0), 8 * MiB, advice[a]), -ENOMEM);
			assert_consistent(mm);
			assert_consistent(child);
			ptsim_mm_destroy(child);
			ptsim_mm_destroy(mm);
		}
	}
}

/* What Linux leaves behind when a range call fails part-way (the header's
 * conventions): checked against the host with mincore(). */
static void test_partial_failures(void **state)
{
	(void)state;
	for_each_strategy(s)
	{
		struct ptsim_mm *mm;
		struct ptsim_mm_stats st;

		assert_int_equal(ptsim_mm_create(s, &mm), 0);
		/* [rw rw rw rw][ro ro ro ro]: POPULATE_WRITE fills the rw VMA, then -EINVAL. */
		assert_int_equal(ptsim_mmap(mm, AT(0), 4 * PG, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
		assert_int_equal(
		        ptsim_mmap(mm, AT(4 * PG), 4 * PG, PTSIM_PROT_READ, PTSIM_MAP_FIXED, NULL),
		        0);
		assert_int_equal(ptsim_madvise(mm, AT(0), 8 * PG, PTSIM_MADV_POPULATE_WRITE),
		                 -EINVAL);
		assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
		assert_int_equal(st.rss_anon_pages, 4);
		assert_consistent(mm);
		/* [rw x4][hole]: POPULATE_WRITE fills the VMA, then -ENOMEM. */
		assert_int_equal(ptsim_mmap(mm, AT(MiB), 4 * PG, PROT_RW, PTSIM_MAP_FIXED, NULL),
		                 0);
		assert_int_equal(ptsim_madvise(mm, AT(MiB), 8 * PG, PTSIM_MADV_POPULATE_WRITE),
		                 -ENOMEM);
		assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
		assert_int_equal(st.rss_anon_pages, 8);
		/* DONTNEED over [rw x4][hole] zaps the VMA, then -ENOMEM. */
		assert_int_equal(ptsim_madvise(mm, AT(MiB), 8 * PG, PTSIM_MADV_DONTNEED), -ENOMEM);
		assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
		assert_int_equal(st.rss_anon_pages, 4);
		/* mprotect over a hole: nothing changes (libptsim's one departure). */
		assert_int_equal(ptsim_mprotect(mm, AT(MiB), 8 * PG, PTSIM_PROT_READ), -ENOMEM);
		assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
		assert_int_equal(st.nr_vmas, 3);
		assert_consistent(mm);
		ptsim_mm_destroy(mm);
	}
}

/* Checked mode: a destroyed mm handle is reported at the mm level and the
 * call fails with -EINVAL, a second destroy does nothing. */
static void test_stale_mm_handle(void **state)
{
	(void)state;
	if (!ptsim_checked_available())
		skip();
	for_each_strategy(s)
	{
		struct ptsim_mm *mm;
		struct ptsim_uaf_report r;
		struct ptsim_mm_stats st;
		uint64_t pfn, v;
		int was = ptsim_set_checked(1);

		ptsim_uaf_reset();
		assert_int_equal(ptsim_mm_create(s, &mm), 0);
		assert_int_equal(ptsim_mmap(mm, AT(0), 2 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
		assert_int_equal(ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE), 0);
		ptsim_mm_destroy(mm);
		assert_int_equal(ptsim_uaf_count(), 0);

		assert_int_equal(ptsim_mmap(mm, AT(0), PG, PROT_RW, PTSIM_MAP_FIXED, NULL),
		                 -EINVAL);
		assert_int_equal(ptsim_uaf_count(), 1);
		assert_int_equal(ptsim_uaf_get(0, &r), 0);
		assert_int_equal(r.level, PTSIM_UAF_LEVEL_MM);
		assert_int_equal(r.table, (uint64_t)(uintptr_t)mm);
		assert_int_equal(r.strategy, s);
		assert_string_equal(r.op, "ptsim_mmap");
		assert_int_equal(ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_READ), -EINVAL);
		assert_int_equal(ptsim_gup_fast(mm, AT(0), 1, 0, &pfn), -EINVAL);
		assert_int_equal(ptsim_mm_get_stats(mm, &st), -EINVAL);
		assert_int_equal(ptsim_stat_get(mm, "nr_vmas", &v), -EINVAL);
		assert_int_equal(ptsim_mm_check(mm, NULL, 0), -EINVAL);
		assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_GATHER_BATCH, 4), -EINVAL);
		assert_int_equal(ptsim_uaf_count(), 7);
		/* Double destroy: reported, nothing else happens. */
		ptsim_mm_destroy(mm);
		assert_int_equal(ptsim_uaf_count(), 8);
		assert_int_equal(ptsim_uaf_get(7, &r), 0);
		assert_string_equal(r.op, "ptsim_mm_destroy");
		assert_int_equal(r.level, PTSIM_UAF_LEVEL_MM);
		ptsim_uaf_reset();
		ptsim_set_checked(was);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fork_never_mapped),
	        cmocka_unit_test(test_map_count_limit),
	        cmocka_unit_test(test_map_fixed_hole_at_limit),
	        cmocka_unit_test(test_map_fixed_above_task_size),
	        cmocka_unit_test(test_mprotect_bad_prot_order),
	        cmocka_unit_test(test_madvise_accepted),
	        cmocka_unit_test(test_partial_failures),
	        cmocka_unit_test(test_stale_mm_handle),
	};

	/* test_robust env-checked EXPECTED: PTSIM_CHECKED as set by ctest
	 * must have left checked mode at EXPECTED (0 or 1). */
	if (argc == 3 && !strcmp(argv[1], "env-checked")) {
		int want = atoi(argv[2]), got;

		if (!ptsim_checked_available())
			return 77;
		got = ptsim_set_checked(want);
		if (got != want) {
			fprintf(stderr, "PTSIM_CHECKED=%s: checked mode %d, expected %d\n",
			        getenv("PTSIM_CHECKED") ? getenv("PTSIM_CHECKED") : "(unset)", got,
			        want);
			return 1;
		}
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

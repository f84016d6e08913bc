// SPDX-License-Identifier: MIT
/*
 * Allocation failure: every public call that allocates returns -ENOMEM at
 * each possible failure point and leaves an mm that passes the full check
 * and still works (lib/memalloc.c's failure injection).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "memalloc.h"

#define BASE 0x500000000000ULL
#define MiB  (1ULL << 20)

static void assert_consistent(struct ptsim_mm *mm)
{
	char msg[256];

	if (ptsim_mm_check(mm, msg, sizeof(msg)) != 0)
		fail_msg("ptsim_mm_check: %s", msg);
}

/* Runs op with the nth allocation failing, for n = 1.. until it succeeds. */
static unsigned each_failure_point(struct ptsim_mm *mm, int (*op)(struct ptsim_mm *))
{
	int ret = -ENOMEM;
	unsigned failures = 0;

	for (unsigned n = 1; ret == -ENOMEM && n < 256; n++) {
		ptsim_memalloc_fail_nth(n);
		ret = op(mm);
		ptsim_memalloc_fail_nth(0);
		assert_true(ret == 0 || ret == -ENOMEM);
		failures += ret == -ENOMEM;
		assert_consistent(mm);
	}
	assert_int_equal(ret, 0);
	return failures;
}

static int op_mmap(struct ptsim_mm *mm)
{
	return ptsim_mmap(mm, BASE + 64 * MiB, 4 * MiB, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                  PTSIM_MAP_FIXED, NULL);
}

static int op_touch(struct ptsim_mm *mm)
{
	/* A fresh 1 GiB slot: PUD, PMD and PTE tables and frames are all new. */
	return ptsim_touch(mm, BASE + (1ULL << 30) * 3, 64 * 1024, PTSIM_ACCESS_WRITE);
}

static int op_munmap_middle(struct ptsim_mm *mm)
{
	return ptsim_munmap(mm, BASE + 65 * MiB, MiB);
}

static int op_mprotect_middle(struct ptsim_mm *mm)
{
	return ptsim_mprotect(mm, BASE + 66 * MiB + 4096, 4096, PTSIM_PROT_READ);
}

static int op_fork(struct ptsim_mm *mm)
{
	struct ptsim_mm *child;
	int ret = ptsim_fork(mm, &child);

	if (ret == 0) {
		ptsim_memalloc_fail_nth(0); /* the check itself must not be failed */
		assert_consistent(child);
		ptsim_mm_destroy(child);
	}
	return ret;
}

/* Every strategy: each has its own allocations (percpu's lazy percpu_ref
 * blocks, bitfield's reclaim set) on the fault and fork paths. */
static void test_every_failure_point(void **state)
{
	for (int s = 0; s < PTSIM_STRATEGY_COUNT; s++) {
		struct ptsim_mm *mm;

		(void)state;
		if (!ptsim_strategy_available((enum ptsim_strategy)s))
			continue;
		print_message("strategy %s\n", ptsim_strategy_name((enum ptsim_strategy)s));
		assert_int_equal(ptsim_mm_create((enum ptsim_strategy)s, &mm), 0);
		assert_int_equal(ptsim_mmap(mm, BASE + (1ULL << 30) * 3, 16 * MiB,
		                            PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
		                            NULL),
		                 0);
		each_failure_point(mm, op_mmap); /* may find its memory already reserved */
		/* A failed layout copy (era 6.18) is rebuilt by the next fault that
		 * falls back; let that happen here, outside the slot op_touch uses,
		 * so that op_touch's failure points are its own tables and frames. */
		assert_int_equal(ptsim_touch(mm, BASE + 64 * MiB, 1, PTSIM_ACCESS_READ), 0);
		/* New PUD, PMD and PTE tables and a frame chunk: several failure points. */
		assert_true(each_failure_point(mm, op_touch) >= 3);
		each_failure_point(mm, op_munmap_middle);
		each_failure_point(mm, op_mprotect_middle);
		/* The child's mm, its PGD, its VMAs and its tables can each fail. */
		assert_true(each_failure_point(mm, op_fork) >= 4);
		ptsim_mm_destroy(mm);
	}
}

/* percpu allocates a table's percpu_ref block on the first visit: when that
 * fails, the fault must fail, not retry a table that is not going away. */
static void test_percpu_lazy_ref_failure(void **state)
{
	struct ptsim_mm *mm;
	struct ptsim_mm_stats st;

	(void)state;
	if (!ptsim_strategy_available(PTSIM_STRATEGY_PERCPU))
		skip();
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_PERCPU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, BASE, 4 * MiB, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                            PTSIM_MAP_FIXED, NULL),
	                 0);
	/* Upper tables first (a fault on the other PMD), so that a fault in
	 * this one allocates its PTE table and then the percpu_ref block. */
	assert_int_equal(ptsim_touch(mm, BASE + 2 * MiB, 4096, PTSIM_ACCESS_WRITE), 0);
	ptsim_memalloc_fail_nth(2);
	assert_int_equal(ptsim_touch(mm, BASE, 4096, PTSIM_ACCESS_WRITE), -ENOMEM);
	ptsim_memalloc_fail_nth(0);
	assert_consistent(mm);
	assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
	assert_int_equal(st.rss_anon_pages, 1);
	assert_int_equal(ptsim_touch(mm, BASE, 4096, PTSIM_ACCESS_WRITE), 0);
	assert_consistent(mm);
	ptsim_mm_destroy(mm);
}

static struct ptsim_mm_stats stats_of(struct ptsim_mm *mm)
{
	struct ptsim_mm_stats st;

	assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
	return st;
}

static int count_present(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	(void)addr;
	(void)next;
	*(unsigned *)priv += (pte & PTSIM_PTE_PRESENT) != 0;
	return 0;
}

/*
 * A table whose lazy percpu_ref block could not be allocated (the fault
 * failed) has no entries: entries are set only by a visitor holding a
 * reference, which needs the block. With every allocation failing from
 * then on, the paths that visit it must neither loop nor crash: a walk
 * sees a hole, mprotect and MADV_FREE have nothing to change there, a
 * zap (which cannot fail) has nothing to zap and keeps the table, as
 * try_to_free_user_pte() does when it cannot take its temporary
 * reference, fork fails with -ENOMEM, munmap frees the table. The tables
 * that do have a block are changed, zapped and freed as usual meanwhile.
 */
static void test_percpu_lazy_ref_failure_other_paths(void **state)
{
	static const struct ptsim_walk_ops walk = {.pte_entry = count_present};
	struct ptsim_mm *mm, *child = NULL;
	struct ptsim_mm_stats st;
	uint64_t pte, side1;
	unsigned present = 0;

	(void)state;
	if (!ptsim_strategy_available(PTSIM_STRATEGY_PERCPU))
		skip();
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_PERCPU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, BASE, 8 * MiB, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                            PTSIM_MAP_FIXED, NULL),
	                 0);
	/* [2 MiB written][one page][no table][block-less table] */
	assert_int_equal(ptsim_touch(mm, BASE, 2 * MiB, PTSIM_ACCESS_WRITE), 0);
	assert_int_equal(ptsim_touch(mm, BASE + 2 * MiB, 4096, PTSIM_ACCESS_WRITE), 0);
	side1 = stats_of(mm).pt_side_bytes / 2;
	ptsim_memalloc_fail_nth(2); /* the PTE table, then its block */
	assert_int_equal(ptsim_touch(mm, BASE + 6 * MiB, 4096, PTSIM_ACCESS_WRITE), -ENOMEM);
	ptsim_memalloc_fail_nth(0);
	st = stats_of(mm);
	assert_int_equal(st.nr_pte_tables, 3);
	assert_int_equal(st.pt_side_bytes, 2 * side1); /* no block for the third */
	assert_consistent(mm);

	ptsim_memalloc_fail_from(1);
	assert_int_equal(ptsim_get_pte(mm, BASE + 6 * MiB, &pte), 0);
	assert_int_equal(pte, 0);
	assert_int_equal(ptsim_walk_page_range(mm, BASE, BASE + 8 * MiB, &walk, &present), 0);
	assert_int_equal(present, 513);
	/* The whole VMA: no split, nothing to allocate but the block. */
	assert_int_equal(ptsim_mprotect(mm, BASE, 8 * MiB, PTSIM_PROT_READ), 0);
	assert_int_equal(ptsim_get_pte(mm, BASE + 2 * MiB, &pte), 0);
	assert_true((pte & PTSIM_PTE_PRESENT) && !(pte & PTSIM_PTE_RW));
	assert_int_equal(ptsim_madvise(mm, BASE, 8 * MiB, PTSIM_MADV_FREE), 0);
	assert_int_equal(ptsim_fork(mm, &child), -ENOMEM);
	assert_null(child);
	assert_int_equal(ptsim_madvise(mm, BASE, 8 * MiB, PTSIM_MADV_DONTNEED), 0);
	st = stats_of(mm);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_int_equal(st.nr_pte_tables, 1); /* the two with a block freed, not this one */
	assert_int_equal(st.pt_side_bytes, 0);
	ptsim_memalloc_fail_nth(0);
	assert_consistent(mm);

	/* Memory again, failing once at each point: fork (copy_pte_range()
	 * visits the parent's table too), then the table is used and freed
	 * as any other. */
	assert_true(each_failure_point(mm, op_fork) >= 4);
	assert_int_equal(ptsim_touch(mm, BASE + 6 * MiB, 4096, PTSIM_ACCESS_READ), 0);
	assert_int_equal(stats_of(mm).pt_side_bytes, side1);
	ptsim_memalloc_fail_from(1);
	assert_int_equal(ptsim_munmap(mm, BASE, 8 * MiB), 0);
	ptsim_memalloc_fail_nth(0);
	st = stats_of(mm);
	assert_int_equal(st.nr_pte_tables, 0);
	assert_int_equal(st.pt_side_bytes, 0);
	assert_consistent(mm);
	ptsim_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_failure_point),
	        cmocka_unit_test(test_percpu_lazy_ref_failure),
	        cmocka_unit_test(test_percpu_lazy_ref_failure_other_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

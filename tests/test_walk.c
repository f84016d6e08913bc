/* SPDX-License-Identifier: MIT */
/*
 * ptsim_walk_page_range() (the kernel's walk_page_range(): callbacks per
 * entry, holes by level, -ENOMEM over a hole, early stop) and
 * ptsim_gup_fast() / ptsim_unpin() (the kernel's GUP-fast: what it pins,
 * where it stops, references given back). Run per strategy.
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* What the callbacks saw. */
#define MAX_HOLES 16
struct walk_log {
	int pmd_calls, pte_calls, present, zero, none;
	uint64_t first_pte_addr, last_pte_next;
	uint64_t pmd_addr[8];
	int nholes;
	struct {
		uint64_t addr, next;
		int level;
	} hole[MAX_HOLES];
	int stop_after; /* pte_entry returns stop_ret on this call (0: never) */
	int stop_ret;
	struct ptsim_mm *mm; /* to compare each entry with ptsim_get_pte() */
	int mismatches;
};

static int on_pmd(uint64_t pmd, uint64_t addr, uint64_t next, void *priv)
{
	struct walk_log *log = priv;

	/* a present PMD entry points at a PTE table: P set, PS clear */
	if (!(pmd & PTSIM_PTE_PRESENT) || (pmd & PTSIM_PTE_PSE) || next - addr > PTSIM_PMD_SIZE)
		log->mismatches++;
	if (log->pmd_calls < 8)
		log->pmd_addr[log->pmd_calls] = addr;
	log->pmd_calls++;
	return 0;
}

static int on_pte(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	struct walk_log *log = priv;

	if (log->pte_calls == 0)
		log->first_pte_addr = addr;
	log->last_pte_next = next;
	log->pte_calls++;
	if (next != addr + PG)
		log->mismatches++;
	if (pte == 0)
		log->none++;
	else if (PTSIM_PTE_PFN(pte) == ptsim_zero_pfn())
		log->zero++;
	else if (pte & PTSIM_PTE_PRESENT)
		log->present++;
	if (log->stop_after && log->pte_calls == log->stop_after)
		return log->stop_ret;
	return 0;
}

static int on_hole(uint64_t addr, uint64_t next, int level, void *priv)
{
	struct walk_log *log = priv;

	if (log->nholes < MAX_HOLES) {
		log->hole[log->nholes].addr = addr;
		log->hole[log->nholes].next = next;
		log->hole[log->nholes].level = level;
	}
	log->nholes++;
	return 0;
}

static const struct ptsim_walk_ops all_ops = {
        .pmd_entry = on_pmd,
        .pte_entry = on_pte,
        .pte_hole = on_hole,
};

static void assert_hole(const struct walk_log *log, int i, uint64_t addr, uint64_t next, int level)
{
	assert_true(i < log->nholes);
	assert_int_equal(log->hole[i].addr, addr);
	assert_int_equal(log->hole[i].next, next);
	assert_int_equal(log->hole[i].level, level);
}

static struct ptsim_mm *fmm(void **state)
{
	return ((struct pt_fixture *)*state)->mm;
}

/* --- walk_page_range ---------------------------------------------------- */

static void test_walk_entries_and_pte_hole(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	struct walk_log log = {0};

	/*
	 * [w...]   (one char per MiB) the first table has 256 frames and
	 *          256 none entries; [2, 4) has no PTE table
	 */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 1 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_walk_page_range(mm, AT(0), AT(4 * MiB), &all_ops, &log));
	assert_int_equal(log.mismatches, 0);
	assert_int_equal(log.pmd_calls, 1);
	assert_int_equal(log.pmd_addr[0], AT(0));
	assert_int_equal(log.pte_calls, 512);
	assert_int_equal(log.present, 256);
	assert_int_equal(log.none, 256);
	assert_int_equal(log.first_pte_addr, AT(0));
	assert_int_equal(log.last_pte_next, AT(2 * MiB));
	assert_int_equal(log.nholes, 1);
	assert_hole(&log, 0, AT(2 * MiB), AT(4 * MiB), 3);
}

static void test_walk_part_of_a_table(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	struct walk_log log = {0};

	/* only the entries inside [start, end) are visited */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(4 * PG), 4 * PG, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_walk_page_range(mm, AT(2 * PG), AT(10 * PG), &all_ops, &log));
	assert_int_equal(log.pte_calls, 8);
	assert_int_equal(log.present, 2);
	assert_int_equal(log.zero, 4);
	assert_int_equal(log.none, 2);
	assert_int_equal(log.first_pte_addr, AT(2 * PG));
	assert_int_equal(log.last_pte_next, AT(10 * PG));
	assert_int_equal(log.pmd_calls, 1);
	assert_int_equal(log.nholes, 0);
}

static void test_walk_hole_levels(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	struct walk_log log = {0};

	/*
	 * AT(0):     [w.]   a PTE table
	 * AT(1G):    [..]   same PUD table, no PMD table: hole at level 2
	 * AT(512G):  [..]   no PUD table: hole at level 1
	 */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	map_fixed(mm, AT(GiB), 2 * MiB, PROT_RW);
	map_fixed(mm, AT(512 * GiB), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_tables(mm, 1, 1, 1);

	STEP(mm, ptsim_walk_page_range(mm, AT(GiB), AT(GiB + 2 * MiB), &all_ops, &log));
	assert_int_equal(log.pte_calls, 0);
	assert_int_equal(log.nholes, 1);
	assert_hole(&log, 0, AT(GiB), AT(GiB + 2 * MiB), 2);

	memset(&log, 0, sizeof(log));
	STEP(mm, ptsim_walk_page_range(mm, AT(512 * GiB), AT(512 * GiB + 2 * MiB), &all_ops, &log));
	assert_int_equal(log.nholes, 1);
	assert_hole(&log, 0, AT(512 * GiB), AT(512 * GiB + 2 * MiB), 1);

	/* the walk allocates nothing */
	assert_tables(mm, 1, 1, 1);
}

static void test_walk_over_unmapped_range(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	struct walk_log log = {0};

	/*
	 * [ww  ]   [0, 4) walked, [2, 4) has no VMA: the mapped part is walked,
	 * the gap is a level -1 hole, and the walk returns -ENOMEM
	 */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE));
	STEP_ERR(mm, ptsim_walk_page_range(mm, AT(0), AT(4 * MiB), &all_ops, &log), -ENOMEM);
	assert_int_equal(log.pte_calls, 512);
	assert_int_equal(log.present, 512);
	assert_int_equal(log.nholes, 1);
	assert_hole(&log, 0, AT(2 * MiB), AT(4 * MiB), -1);

	/* and a range with no VMA at all */
	memset(&log, 0, sizeof(log));
	STEP_ERR(mm, ptsim_walk_page_range(mm, AT(8 * MiB), AT(10 * MiB), &all_ops, &log), -ENOMEM);
	assert_int_equal(log.pte_calls, 0);
	assert_int_equal(log.nholes, 1);
	assert_hole(&log, 0, AT(8 * MiB), AT(10 * MiB), -1);
}

static void test_walk_early_stop(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	struct walk_log log = {.stop_after = 10, .stop_ret = 7};

	/* a callback's non-zero return stops the walk and is returned */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	STEP_ERR(mm, ptsim_walk_page_range(mm, AT(0), AT(4 * MiB), &all_ops, &log), 7);
	assert_int_equal(log.pte_calls, 10);
	assert_int_equal(log.pmd_calls, 1);

	/* a negative one too */
	memset(&log, 0, sizeof(log));
	log.stop_after = 600;
	log.stop_ret = -EINTR;
	STEP_ERR(mm, ptsim_walk_page_range(mm, AT(0), AT(4 * MiB), &all_ops, &log), -EINTR);
	assert_int_equal(log.pte_calls, 600);
	assert_int_equal(log.pmd_calls, 2);
}

static void test_walk_null_callbacks_and_errors(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	const struct ptsim_walk_ops none = {0};
	struct walk_log log = {0};

	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_walk_page_range(mm, AT(0), AT(2 * MiB), &none, NULL));
	/* start >= end, and no mm: -EINVAL, as walk_page_range() */
	STEP_ERR(mm, ptsim_walk_page_range(mm, AT(PG), AT(PG), &all_ops, &log), -EINVAL);
	STEP_ERR(mm, ptsim_walk_page_range(mm, AT(2 * PG), AT(PG), &all_ops, &log), -EINVAL);
	assert_int_equal(ptsim_walk_page_range(NULL, AT(0), AT(PG), &all_ops, &log), -EINVAL);
	assert_int_equal(log.pte_calls + log.pmd_calls + log.nholes, 0);
}

static void test_walk_after_dontneed(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	struct walk_log log = {0};
	bool freed = pt_expect == PTSIM_STRATEGY_RCU || pt_expect == PTSIM_STRATEGY_ATOMIC ||
	             pt_expect == PTSIM_STRATEGY_PERCPU || pt_expect == PTSIM_STRATEGY_RWSEM;
	/* rwsem also frees the PMD and PUD tables left empty: the hole is a PUD's */
	int hole_level = pt_expect == PTSIM_STRATEGY_RWSEM ? 1 : 3;

	/* [rr..]   zero-page table DONTNEEDed whole: freed (rcu) or kept empty (none) */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_madvise(mm, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	STEP(mm, ptsim_walk_page_range(mm, AT(0), AT(2 * MiB), &all_ops, &log));
	if (freed) {
		assert_int_equal(log.pte_calls, 0);
		assert_int_equal(log.nholes, 1);
		assert_hole(&log, 0, AT(0), AT(2 * MiB), hole_level);
	} else {
		assert_int_equal(log.pte_calls, 512);
		assert_int_equal(log.none, 512);
		assert_int_equal(log.nholes, 0);
	}
}

/* --- GUP-fast ----------------------------------------------------------- */

static uint64_t frames(void)
{
	return pt_global().frames_in_use;
}

static void test_gup_pins_present_pages(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm;
	uint64_t pfns[32] = {0};
	int n;

	/* [wwww wwww wwww wwww ....]   (pages) 16 written, then none entries */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 16 * PG, PTSIM_ACCESS_WRITE));
	n = ptsim_gup_fast(mm, AT(0), 32, 1, pfns);
	assert_int_equal(n, 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(pfns[i], PTSIM_PTE_PFN(pt_pte(mm, AT(i * PG))));
	/* pins are references, not frames; the mm stays consistent while they are held */
	assert_int_equal(frames(), f->g0.frames_in_use + 16);
	assert_mm_ok(mm);
	ptsim_unpin(pfns, n);
	assert_mm_ok(mm);

	/* read pins of written pages work the same; nr_pages 0 pins nothing */
	n = ptsim_gup_fast(mm, AT(4 * PG), 8, 0, pfns);
	assert_int_equal(n, 8);
	ptsim_unpin(pfns, n);
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 0, 1, pfns), 0);
	assert_mm_ok(mm);
}

static void test_gup_stops(void **state)
{
	struct ptsim_mm *mm = fmm(state);
	uint64_t pfns[16] = {0};

	/*
	 * (pages) [ww rr RR NN]  at AT(0): written; AT(2M): read (zero page);
	 * AT(4M): written, then made read-only; AT(6M): PROT_NONE
	 */
	map_fixed(mm, AT(0), 8 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), 2 * PG, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_touch(mm, AT(4 * MiB), 2 * PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(6 * MiB), 2 * PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_mprotect(mm, AT(4 * MiB), 2 * MiB, PTSIM_PROT_READ));
	STEP(mm, ptsim_mprotect(mm, AT(6 * MiB), 2 * MiB, PTSIM_PROT_NONE));

	/* none entry, and no table at all */
	assert_int_equal(ptsim_gup_fast(mm, AT(2 * PG), 1, 0, pfns), 0);
	assert_int_equal(ptsim_gup_fast(mm, AT(1 * MiB), 4, 0, pfns), 0);
	assert_int_equal(ptsim_gup_fast(mm, AT(64 * MiB), 4, 0, pfns), 0);
	/* the zero page is mapped special: GUP-fast leaves it to the slow path */
	assert_int_equal(ptsim_gup_fast(mm, AT(2 * MiB), 2, 0, pfns), 0);
	/* read-only for a write pin, but fine for a read pin */
	assert_int_equal(ptsim_gup_fast(mm, AT(4 * MiB), 2, 1, pfns), 0);
	assert_int_equal(ptsim_gup_fast(mm, AT(4 * MiB), 2, 0, pfns), 2);
	ptsim_unpin(pfns, 2);
	/* PROT_NONE entries are not present */
	assert_int_equal(ptsim_gup_fast(mm, AT(6 * MiB), 2, 0, pfns), 0);
	/* it stops at the first page it cannot pin: 2 written, then none */
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 4, 1, pfns), 2);
	ptsim_unpin(pfns, 2);
	assert_mm_ok(mm);

	assert_int_equal(ptsim_gup_fast(NULL, AT(0), 1, 0, pfns), -EINVAL);
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 1, 0, NULL), -EINVAL);
}

static void test_gup_after_fork_is_read_only(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm, *child = NULL;
	uint64_t pfns[4];

	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);
	/* COW write-protected both sides: no write pin until a write fault unshares */
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 4, 1, pfns), 0);
	assert_int_equal(ptsim_gup_fast(child, AT(0), 4, 1, pfns), 0);
	assert_int_equal(ptsim_gup_fast(child, AT(0), 4, 0, pfns), 4);
	ptsim_unpin(pfns, 4);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 4, 1, pfns), 1);
	ptsim_unpin(pfns, 1);
	assert_mm_ok(mm);
	assert_mm_ok(child);
}

static void test_gup_pin_outlives_mapping(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm;
	uint64_t pfns[4];

	/* a pinned frame survives munmap, and goes with the last unpin */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 8 * PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 4, 1, pfns), 4);
	STEP(mm, ptsim_munmap(mm, AT(0), 2 * MiB));
	ptsim_synchronize();
	assert_int_equal(pt_stats(mm).rss_anon_pages, 0);
	assert_int_equal(frames(), f->g0.frames_in_use + 4);
	ptsim_unpin(pfns, 4);
	assert_int_equal(frames(), f->g0.frames_in_use);
	assert_mm_ok(mm);
}

static void test_gup_pin_survives_dontneed(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm;
	uint64_t pfns[4];

	/* DONTNEED drops the mapping, not the pinned frame (and may free the table) */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 4, 1, pfns), 4);
	STEP(mm, ptsim_madvise(mm, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	ptsim_synchronize();
	assert_int_equal(frames(), f->g0.frames_in_use + 4);
	ptsim_unpin(pfns, 4);
	assert_int_equal(frames(), f->g0.frames_in_use);
	assert_mm_ok(mm);
}

static void test_gup_pinned_pages_copied_at_fork(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm, *child = NULL;
	uint64_t pfns[4], pinned0, shared4, child0, child4, parent0, frames_after_fork;
	struct ptsim_mm_stats st;

	/*
	 * (pages) [PPPP wwww]   4 of 8 written pages pinned, then fork. The
	 * kernel copies a maybe-DMA-pinned anonymous page at fork instead of
	 * sharing it (copy_present_page(), "do early cow for pinned pages
	 * during fork()"): the child gets its own frame and the parent's entry
	 * stays writable. Seen on this machine with io_uring fixed buffers
	 * (FOLL_PIN): child PFN differs, the parent's next write takes no fault.
	 */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 8 * PG, PTSIM_ACCESS_WRITE));
	pinned0 = PTSIM_PTE_PFN(pt_pte(mm, AT(0)));
	shared4 = PTSIM_PTE_PFN(pt_pte(mm, AT(4 * PG)));
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 4, 1, pfns), 4);
	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);
	assert_mm_ok(child);

	/* read everything, unpin, then judge: a failed assert must not leak the pins */
	child0 = PTSIM_PTE_PFN(pt_pte(child, AT(0)));
	child4 = PTSIM_PTE_PFN(pt_pte(child, AT(4 * PG)));
	parent0 = pt_pte(mm, AT(0));
	frames_after_fork = frames();
	ptsim_unpin(pfns, 4);

	assert_int_not_equal(child0, pinned0);
	assert_int_equal(child4, shared4);
	assert_true(parent0 & PTSIM_PTE_RW);
	assert_int_equal(frames_after_fork, f->g0.frames_in_use + 8 + 4);
	st = pt_stats(mm);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).faults, st.faults);
	assert_int_equal(PTSIM_PTE_PFN(pt_pte(mm, AT(0))), pinned0);
	assert_mm_ok(mm);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pt_setup, pt_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        T(test_walk_entries_and_pte_hole),
	        T(test_walk_part_of_a_table),
	        T(test_walk_hole_levels),
	        T(test_walk_over_unmapped_range),
	        T(test_walk_early_stop),
	        T(test_walk_null_callbacks_and_errors),
	        T(test_walk_after_dontneed),
	        T(test_gup_pins_present_pages),
	        T(test_gup_stops),
	        T(test_gup_after_fork_is_read_only),
	        T(test_gup_pin_outlives_mapping),
	        T(test_gup_pin_survives_dontneed),
	        T(test_gup_pinned_pages_copied_at_fork),
	};
	char group[64];
	int rc = pt_strategy_from_args(argc, argv, PTSIM_STRATEGY_RCU);

	if (rc >= 0)
		return rc;
	snprintf(group, sizeof(group), "walk_%s", ptsim_strategy_name(pt_strategy));
	return _cmocka_run_group_tests(group, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}

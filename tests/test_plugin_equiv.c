/* SPDX-License-Identifier: MIT */
/*
 * A plugin strategy against the built-in it re-implements: the same
 * single-threaded script on one mm of each must leave every counter of
 * ptsim_mm_stats the same (tables, RSS, faults, frees by path, atomics,
 * TLB flushes, and how often each lock was taken), so the public API costs
 * the strategy nothing it would not pay inside the library.
 *
 *   test_plugin_equiv PLUGIN.so BUILTIN=PLUGIN_STRATEGY...
 */
#include "common/ptsim_test.h"

#include <stdio.h>
#include <string.h>

/*
 *   AT(0)   [wwww|rrrr|wwrr|    ]  8 MiB: written, read, half each, untouched
 *   then DONTNEED of table 0 (whole), half of table 2, MADV_FREE of table 1,
 *   mprotect read-only of table 3, a fork whose child writes and zaps, GUP,
 *   munmap of the middle, and a rewrite of what is left.
 */
static void script(struct ptsim_mm *mm)
{
	struct ptsim_mm *child;
	uint64_t pfns[8];

	STEP(mm, ptsim_mmap(mm, AT(0), 8 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL));
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 8, 1, pfns), 8);
	ptsim_unpin(pfns, 8);
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), 2 * MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_touch(mm, AT(4 * MiB), 1 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(5 * MiB), 1 * MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_madvise(mm, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	STEP(mm, ptsim_madvise(mm, AT(4 * MiB), 1 * MiB, PTSIM_MADV_DONTNEED));
	STEP(mm, ptsim_madvise(mm, AT(2 * MiB), 2 * MiB, PTSIM_MADV_FREE));
	STEP(mm, ptsim_mprotect(mm, AT(6 * MiB), 2 * MiB, PTSIM_PROT_READ));
	assert_int_equal(ptsim_fork(mm, &child), 0);
	STEP(child, ptsim_touch(child, AT(4 * MiB), 2 * MiB, PTSIM_ACCESS_WRITE));
	STEP(child, ptsim_madvise(child, AT(4 * MiB), 2 * MiB, PTSIM_MADV_DONTNEED));
	ptsim_mm_destroy(child);
	STEP(mm, ptsim_munmap(mm, AT(3 * MiB), 2 * MiB));
	STEP(mm, ptsim_touch(mm, AT(0), 3 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_madvise(mm, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	ptsim_synchronize();
}

static struct ptsim_mm_stats run(enum ptsim_strategy s)
{
	struct ptsim_mm *mm;
	struct ptsim_mm_stats st;

	assert_int_equal(ptsim_mm_create(s, &mm), 0);
	script(mm);
	st = pt_stats(mm);
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	return st;
}

#define SAME(f)                                                                                 \
	do {                                                                                    \
		if (a.f != b.f) {                                                               \
			print_error("%s: %s %llu, %s %llu\n", #f, ptsim_strategy_name(builtin), \
			            (unsigned long long)a.f, ptsim_strategy_name(ext),          \
			            (unsigned long long)b.f);                                   \
			diff++;                                                                 \
		}                                                                               \
	} while (0)

static enum ptsim_strategy builtin, ext;

static void test_same_counters(void **state)
{
	struct ptsim_mm_stats a, b;
	int diff = 0;

	(void)state;
	a = run(builtin);
	b = run(ext);
	SAME(pgtables_bytes);
	SAME(nr_pte_tables);
	SAME(nr_pmd_tables);
	SAME(nr_pud_tables);
	SAME(rss_anon_pages);
	SAME(zero_page_ptes);
	SAME(nr_vmas);
	SAME(total_vm_pages);
	SAME(faults);
	SAME(faults_read);
	SAME(faults_write);
	SAME(faults_cow);
	SAME(access_hits);
	SAME(pte_tables_allocated);
	SAME(pte_tables_freed);
	SAME(pte_tables_freed_zap);
	SAME(pte_tables_freed_unmap);
	SAME(pte_tables_freed_reclaim);
	SAME(pte_tables_freed_walker);
	SAME(tables_pending_free);
	SAME(refcount_atomics);
	SAME(tlb_flushes);
	SAME(mmap_lock.acquisitions);
	SAME(ptl.acquisitions);
	SAME(pmd_lock.acquisitions);
	SAME(page_table_lock.acquisitions);
	SAME(vma_lock.acquisitions);
	printf("# %s vs %s: %llu PTE tables allocated, %llu freed by zap, %llu atomics, "
	       "%llu PMD-lock acquisitions, %llu TLB flushes\n",
	       ptsim_strategy_name(builtin), ptsim_strategy_name(ext),
	       (unsigned long long)a.pte_tables_allocated,
	       (unsigned long long)a.pte_tables_freed_zap, (unsigned long long)a.refcount_atomics,
	       (unsigned long long)a.pmd_lock.acquisitions, (unsigned long long)a.tlb_flushes);
	assert_int_equal(diff, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_counters)};
	int rc = 0;

	if (argc < 3 || pt_plugin_load(argv[1]) < 0)
		return 2;
	for (int i = 2; i < argc; i++) {
		char pair[64], name[80], *eq;

		snprintf(pair, sizeof(pair), "%s", argv[i]);
		eq = strchr(pair, '=');
		if (!eq)
			return 2;
		*eq = '\0';
		if (ptsim_strategy_parse(pair, &builtin) || ptsim_strategy_parse(eq + 1, &ext))
			return 2;
		snprintf(name, sizeof(name), "plugin_equiv_%s", argv[i]);
		rc |= _cmocka_run_group_tests(name, tests, 1, NULL, NULL);
	}
	return rc;
}

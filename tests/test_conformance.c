/* SPDX-License-Identifier: MIT */
/*
 * The contract every strategy shares (DESIGN.md §2), run once per strategy:
 * `test_conformance NAME`. The figures are what this machine's kernel
 * (Linux 6.18, CONFIG_PT_RECLAIM=y) shows for the same operations, measured
 * with VmPTE / RssAnon / /proc/self/maps and, for PFNs, /proc/self/pagemap.
 *
 * Drawings: one character per MiB unless said otherwise.
 *   w written   r read (zero page)   . mapped, untouched   R read-only VMA
 *   N PROT_NONE VMA   blank: no mapping
 * Tables are written PUD/PMD/PTE, e.g. 1/1/2 = one PUD, one PMD and two PTE
 * tables = 16 KiB of VmPTE.
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PTE_ALL_FLAGS (~PTSIM_PTE_PFN_MASK)

static struct pt_fixture *fx(void **state)
{
	return *state;
}

static bool is_present(uint64_t pte)
{
	return pte & PTSIM_PTE_PRESENT;
}

static bool is_writable(uint64_t pte)
{
	return (pte & (PTSIM_PTE_PRESENT | PTSIM_PTE_RW)) == (PTSIM_PTE_PRESENT | PTSIM_PTE_RW);
}

/* A present entry mapping the shared zero page. */
static bool is_zero_page(uint64_t pte)
{
	return is_present(pte) && PTSIM_PTE_PFN(pte) == ptsim_zero_pfn();
}

/* A present entry mapping a private frame. */
static bool is_frame(uint64_t pte)
{
	return is_present(pte) && PTSIM_PTE_PFN(pte) != ptsim_zero_pfn();
}

/* --- the empty mm ------------------------------------------------------ */

static void test_mm_starts_empty(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st = pt_stats(mm);

	assert_int_equal(ptsim_mm_strategy(mm), pt_strategy);
	assert_int_equal(st.pgtables_bytes, 0);
	assert_tables(mm, 0, 0, 0);
	assert_int_equal(st.nr_vmas, 0);
	assert_int_equal(st.total_vm_pages, 0);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_int_equal(st.zero_page_ptes, 0);
	assert_int_equal(st.faults, 0);
	assert_int_equal(st.access_hits, 0);
	assert_int_equal(st.pte_tables_allocated, 0);
	assert_int_equal(st.pte_tables_freed, 0);
	assert_int_equal(pt_pte(mm, AT(0)), 0);
	assert_mm_ok(mm);
}

/* --- mmap -------------------------------------------------------------- */

static void test_mmap_fixed(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st, before;
	uint64_t out = 0;

	/* AT(0): [....]   4 MiB rw, untouched: a VMA, no table yet */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.total_vm_pages, 1024);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_tables(mm, 0, 0, 0);
	assert_int_equal(pt_pte(mm, AT(0)), 0);

	/* AT(0): [....]  AT(1G): [R]   a second, read-only mapping */
	map_fixed(mm, AT(GiB), 1 * MiB, PTSIM_PROT_READ);
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 2);
	assert_int_equal(st.total_vm_pages, 1280);

	/* NOREPLACE over the middle, and over the tail and beyond: -EEXIST, nothing moves */
	before = pt_stats(mm);
	STEP_ERR(mm, ptsim_mmap(mm, AT(1 * MiB), PG, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, &out),
	         -EEXIST);
	STEP_ERR(mm, ptsim_mmap(mm, AT(3 * MiB), 2 * MiB, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, &out),
	         -EEXIST);
	st = pt_stats(mm);
	assert_same_state(&before, &st);

	/* AT(0): [.....]   NOREPLACE just after the end: joins the first VMA */
	STEP(mm, ptsim_mmap(mm, AT(4 * MiB), 1 * MiB, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, &out));
	assert_int_equal(out, AT(4 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 2);
	assert_int_equal(st.total_vm_pages, 1536);
}

static void test_mmap_populate(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;
	uint64_t out;

	/* AT(0): [wwww]   MAP_POPULATE on a writable private mapping write-faults it */
	STEP(mm,
	     ptsim_mmap(mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED | PTSIM_MAP_POPULATE, &out));
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 1024);
	assert_int_equal(st.zero_page_ptes, 0);
	assert_tables(mm, 1, 1, 2);
	assert_true(is_writable(pt_pte(mm, AT(0))));

	/* AT(1G): [rrrr]   on a read-only one it maps the zero page */
	STEP(mm, ptsim_mmap(mm, AT(GiB), 4 * MiB, PTSIM_PROT_READ,
	                    PTSIM_MAP_FIXED | PTSIM_MAP_POPULATE, &out));
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 1024);
	assert_int_equal(st.zero_page_ptes, 1024);
	assert_tables(mm, 1, 2, 4);
	assert_true(is_zero_page(pt_pte(mm, AT(GiB))));

	/* AT(2G): [NNNN]   and on PROT_NONE it does nothing, successfully */
	STEP(mm, ptsim_mmap(mm, AT(2 * GiB), 4 * MiB, PTSIM_PROT_NONE,
	                    PTSIM_MAP_FIXED | PTSIM_MAP_POPULATE, &out));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 3);
	assert_int_equal(st.rss_anon_pages, 1024);
	assert_tables(mm, 1, 2, 4);
}

static void test_mmap_fixed_replaces(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;

	/* [wwww] */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	assert_tables(mm, 1, 1, 2);

	/* [....]   MAP_FIXED over all of it: unmapped first, tables freed as by munmap */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_tables(mm, 0, 0, 0);
	assert_int_equal(pt_pte(mm, AT(0)), 0);

	/* [w..w]   over the middle: both tables still serve the ends; one VMA again */
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	map_fixed(mm, AT(1 * MiB), 2 * MiB, PROT_RW);
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.rss_anon_pages, 512);
	assert_tables(mm, 1, 1, 2);

	/* [w...]   over the second table: it has no page left of the old mapping */
	map_fixed(mm, AT(2 * MiB), 2 * MiB, PROT_RW);
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.rss_anon_pages, 256);
	assert_tables(mm, 1, 1, 1);
}

static void test_mmap_hint(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	uint64_t t, d, e, g, out;

	/* a free hint is used as it is */
	assert_int_equal(map_hint(mm, AT(GiB), 4 * PG, PROT_RW), AT(GiB));
	/* an unaligned one is rounded down to its page */
	assert_int_equal(map_hint(mm, AT(2 * GiB) + 0x123, 4 * PG, PROT_RW), AT(2 * GiB));
	/* one below mmap_min_addr is raised to it (round_hint_to_min) */
	assert_int_equal(map_hint(mm, 0x1000, PG, PROT_RW), PTSIM_MMAP_MIN_ADDR);

	/* no hint: somewhere in the user half, not over anything */
	t = map_hint(mm, 0, 4 * PG, PROT_RW);
	assert_int_equal(t % PG, 0);
	assert_true(t >= PTSIM_MMAP_MIN_ADDR && t + 4 * PG <= PTSIM_TASK_SIZE);
	STEP_ERR(mm, ptsim_mmap(mm, t, PG, PROT_RW, PTSIM_MAP_FIXED_NOREPLACE, &out), -EEXIST);

	/*
	 * A taken hint falls back to the top-down search, which finds the
	 * highest gap: just below t. Protections differ from neighbour to
	 * neighbour so that no two of these VMAs merge.
	 *   [g][e][d][t]
	 */
	d = map_hint(mm, AT(GiB), 4 * PG, PTSIM_PROT_READ);
	assert_int_equal(d, t - 4 * PG);
	/* a hint beyond TASK_SIZE is ignored */
	e = map_hint(mm, PTSIM_TASK_SIZE, 2 * PG, PROT_RW | PTSIM_PROT_EXEC);
	assert_int_equal(e, d - 2 * PG);
	/* so is one whose end would pass TASK_SIZE */
	g = map_hint(mm, PTSIM_TASK_SIZE - PG, 2 * PG, PTSIM_PROT_READ);
	assert_int_equal(g, e - 2 * PG);

	assert_int_equal(pt_stats(mm).nr_vmas, 7);
	assert_int_equal(pt_stats(mm).total_vm_pages, 4 + 4 + 1 + 4 + 4 + 2 + 2);
}

static void test_mmap_topdown(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	uint64_t a, b, c, d;

	/*
	 * Top-down: each mapping goes right below the previous one.
	 *   [c][bbbbb][aaa]
	 */
	a = map_hint(mm, 0, 3 * PG, PROT_RW);
	b = map_hint(mm, 0, 5 * PG, PTSIM_PROT_READ);
	assert_int_equal(b, a - 5 * PG);
	c = map_hint(mm, 0, 2 * PG, PROT_RW | PTSIM_PROT_EXEC);
	assert_int_equal(c, b - 2 * PG);
	assert_int_equal(pt_stats(mm).nr_vmas, 3);

	/* [c]     [aaa]   the gap b leaves is the highest one: it is reused */
	STEP(mm, ptsim_munmap(mm, b, 5 * PG));
	assert_int_equal(pt_stats(mm).nr_vmas, 2);
	d = map_hint(mm, 0, 5 * PG, PTSIM_PROT_READ);
	assert_int_equal(d, b);
	assert_int_equal(pt_stats(mm).nr_vmas, 3);
	assert_int_equal(pt_stats(mm).total_vm_pages, 10);
}

static void test_mmap_merges_adjacent(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	uint64_t a, b;

	/* [bbbb][aaaa] (pages)   two compatible anonymous mappings side by side: one VMA */
	a = map_hint(mm, 0, 4 * PG, PROT_RW);
	b = map_hint(mm, 0, 4 * PG, PROT_RW);
	assert_int_equal(b, a - 4 * PG);
	assert_int_equal(pt_stats(mm).nr_vmas, 1);
	assert_int_equal(pt_stats(mm).total_vm_pages, 8);

	/* AT(0): [..]   the same with MAP_FIXED */
	map_fixed(mm, AT(0), 1 * MiB, PROT_RW);
	map_fixed(mm, AT(1 * MiB), 1 * MiB, PROT_RW);
	assert_int_equal(pt_stats(mm).nr_vmas, 2);

	/* AT(0): [..] [.]   not adjacent (a page apart): a VMA of its own */
	map_fixed(mm, AT(2 * MiB + PG), 1 * MiB, PROT_RW);
	assert_int_equal(pt_stats(mm).nr_vmas, 3);
	assert_int_equal(pt_stats(mm).total_vm_pages, 8 + 768);
}

/* --- munmap ------------------------------------------------------------ */

static void test_munmap_whole(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;

	/* [wwww]   PUD, PMD and two PTE tables */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).rss_anon_pages, 1024);
	assert_tables(mm, 1, 1, 2);

	/* [    ]   no neighbour: every table goes, the PMD and PUD tables too */
	STEP(mm, ptsim_munmap(mm, AT(0), 4 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 0);
	assert_int_equal(st.total_vm_pages, 0);
	assert_int_equal(st.rss_anon_pages, 0);
	/* atomic: the munmap zap drops the last references, the zap frees them */
	assert_int_equal(st.pte_tables_freed_unmap, pt_expect == PTSIM_STRATEGY_ATOMIC ? 0 : 2);
	assert_int_equal(st.pte_tables_freed, 2);
	assert_tables(mm, 0, 0, 0);
	assert_int_equal(pt_pte(mm, AT(0)), 0);
}

static void test_munmap_part(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;

	/* [wwww] */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));

	/* [ www]   the first table still serves [1, 2) */
	STEP(mm, ptsim_munmap(mm, AT(0), 1 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.total_vm_pages, 768);
	assert_int_equal(st.rss_anon_pages, 768);
	assert_tables(mm, 1, 1, 2);
	assert_int_equal(pt_pte(mm, AT(1 * MiB - PG)), 0);
	assert_true(is_frame(pt_pte(mm, AT(1 * MiB))));

	/* [ w w]   a hole in the middle splits the VMA */
	STEP(mm, ptsim_munmap(mm, AT(2 * MiB), 1 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 2);
	assert_int_equal(st.total_vm_pages, 512);
	assert_int_equal(st.rss_anon_pages, 512);
	assert_tables(mm, 1, 1, 2);

	/* [ w  ]   the second table has nothing left: freed (floor: the VMA ends at 2 MiB) */
	STEP(mm, ptsim_munmap(mm, AT(3 * MiB), 1 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.total_vm_pages, 256);
	assert_int_equal(st.rss_anon_pages, 256);
	assert_tables(mm, 1, 1, 1);
}

static void test_munmap_hole(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats before, st;

	/* [wwww]     munmap of [8, 12), where nothing is mapped: 0, nothing changes */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	before = pt_stats(mm);
	STEP(mm, ptsim_munmap(mm, AT(8 * MiB), 4 * MiB));
	st = pt_stats(mm);
	assert_same_state(&before, &st);

	/* [www]     [3, 6): the part that is mapped goes; the second table still serves [2, 3) */
	STEP(mm, ptsim_munmap(mm, AT(3 * MiB), 3 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.total_vm_pages, 768);
	assert_int_equal(st.rss_anon_pages, 768);
	assert_tables(mm, 1, 1, 2);
}

static void test_munmap_spanning(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;

	/* [ww  ww]   two mappings, a hole between */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	map_fixed(mm, AT(4 * MiB), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(4 * MiB), 2 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).nr_vmas, 2);
	assert_tables(mm, 1, 1, 2);

	/* [        ]   one munmap over both and the hole */
	STEP(mm, ptsim_munmap(mm, AT(0), 8 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 0);
	assert_int_equal(st.total_vm_pages, 0);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_tables(mm, 0, 0, 0);
}

/* --- mprotect ---------------------------------------------------------- */

static void test_mprotect_split_merge(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;
	uint64_t pfn0, pte;

	/* [wwww] */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	pfn0 = PTSIM_PTE_PFN(pt_pte(mm, AT(0)));

	/* [wRww]   a read-only MiB in the middle: three VMAs, its entries lose RW */
	STEP(mm, ptsim_mprotect(mm, AT(1 * MiB), 1 * MiB, PTSIM_PROT_READ));
	assert_int_equal(pt_stats(mm).nr_vmas, 3);
	pte = pt_pte(mm, AT(1 * MiB));
	assert_true(is_frame(pte));
	assert_false(pte & PTSIM_PTE_RW);
	assert_true(is_writable(pt_pte(mm, AT(1 * MiB - PG))));
	assert_true(is_writable(pt_pte(mm, AT(2 * MiB))));

	/* [wRRw]   the next MiB joins its read-only neighbour */
	STEP(mm, ptsim_mprotect(mm, AT(2 * MiB), 1 * MiB, PTSIM_PROT_READ));
	assert_int_equal(pt_stats(mm).nr_vmas, 3);

	/* [wwww]   back to rw: one VMA again */
	STEP(mm, ptsim_mprotect(mm, AT(1 * MiB), 2 * MiB, PROT_RW));
	assert_int_equal(pt_stats(mm).nr_vmas, 1);

	/* [Nwww]   PROT_NONE head: entries stay (not present, PROTNONE), frames stay */
	STEP(mm, ptsim_mprotect(mm, AT(0), 1 * MiB, PTSIM_PROT_NONE));
	assert_int_equal(pt_stats(mm).nr_vmas, 2);
	pte = pt_pte(mm, AT(0));
	assert_false(pte & PTSIM_PTE_PRESENT);
	assert_true(pte & PTSIM_PTE_PROTNONE);
	assert_int_equal(PTSIM_PTE_PFN(pte), pfn0);

	/* [RRRR]   all read-only: one VMA */
	STEP(mm, ptsim_mprotect(mm, AT(0), 4 * MiB, PTSIM_PROT_READ));
	st = pt_stats(mm);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.total_vm_pages, 1024);
	assert_int_equal(st.rss_anon_pages, 1024);
	assert_tables(mm, 1, 1, 2);
	pte = pt_pte(mm, AT(0));
	assert_true(is_frame(pte));
	assert_false(pte & PTSIM_PTE_RW);
	assert_int_equal(PTSIM_PTE_PFN(pte), pfn0);

	/* reading read-only frames hits; writing them is refused */
	st = pt_stats(mm);
	STEP(mm, ptsim_touch(mm, AT(0), 1 * MiB, PTSIM_ACCESS_READ));
	assert_int_equal(pt_stats(mm).access_hits, st.access_hits + 256);
	assert_int_equal(pt_stats(mm).faults, st.faults);
	STEP_ERR(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE), -EACCES);
}

static void test_mprotect_restores_write(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;

	/*
	 * (pages) [w r ...]   page 0 written, page 2 read. mprotect r, then rw:
	 * change_pte_range() makes an exclusive anonymous frame writable again
	 * at once (MM_CP_TRY_CHANGE_WRITABLE), so the next write is no fault;
	 * the zero page stays read-only and its write is a COW fault. (On this
	 * machine: 0 and 1 minor faults.)
	 */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(2 * PG), PG, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_mprotect(mm, AT(0), 2 * MiB, PTSIM_PROT_READ));
	assert_false(pt_pte(mm, AT(0)) & PTSIM_PTE_RW);
	STEP(mm, ptsim_mprotect(mm, AT(0), 2 * MiB, PROT_RW));
	assert_true(is_writable(pt_pte(mm, AT(0))));
	assert_false(pt_pte(mm, AT(2 * PG)) & PTSIM_PTE_RW);

	st = pt_stats(mm);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).faults, st.faults);
	assert_int_equal(pt_stats(mm).access_hits, st.access_hits + 1);
	STEP(mm, ptsim_touch(mm, AT(2 * PG), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).faults_cow, st.faults_cow + 1);

	/* PROT_NONE then read-only: the entries are present again, a read is a hit */
	STEP(mm, ptsim_mprotect(mm, AT(0), 2 * MiB, PTSIM_PROT_NONE));
	STEP(mm, ptsim_mprotect(mm, AT(0), 2 * MiB, PTSIM_PROT_READ));
	st = pt_stats(mm);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_READ));
	assert_int_equal(pt_stats(mm).faults, st.faults);
	assert_int_equal(pt_stats(mm).access_hits, st.access_hits + 1);
}

static void test_mprotect_merges_written_neighbours(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;

	/*
	 * [A|B]   A rw, B rwx, both written; then B becomes rw. The kernel
	 * merges them: B's fault reused A's anon_vma (the neighbours differ
	 * only in access flags), so the two are compatible. This machine: 1 VMA.
	 */
	map_fixed(mm, AT(0), 1 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	map_fixed(mm, AT(1 * MiB), 1 * MiB, PROT_RW | PTSIM_PROT_EXEC);
	STEP(mm, ptsim_touch(mm, AT(1 * MiB), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).nr_vmas, 2);
	STEP(mm, ptsim_mprotect(mm, AT(1 * MiB), 1 * MiB, PROT_RW));
	assert_int_equal(pt_stats(mm).nr_vmas, 1);
}

static void test_mmap_no_merge_across_anon_vmas(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;

	/*
	 * [A B]   A and B written while apart: two anon_vmas.
	 * [ACB]   C fills the gap: it joins A, but A+C and B cannot merge
	 *         (different anon_vmas). This machine: 2 VMAs, also after C is written.
	 */
	map_fixed(mm, AT(0), 1 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	map_fixed(mm, AT(2 * MiB), 1 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), PG, PTSIM_ACCESS_WRITE));
	map_fixed(mm, AT(1 * MiB), 1 * MiB, PROT_RW);
	assert_int_equal(pt_stats(mm).nr_vmas, 2);
	STEP(mm, ptsim_touch(mm, AT(1 * MiB), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).nr_vmas, 2);
	assert_int_equal(pt_stats(mm).total_vm_pages, 768);
}

/* --- touch ------------------------------------------------------------- */

static void test_touch_read_maps_zero_page(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm;
	struct ptsim_mm_stats st;
	uint64_t pte;

	/* [r...]   reading the first MiB: zero page, no frame, one PTE table */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 1 * MiB, PTSIM_ACCESS_READ));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 256);
	assert_int_equal(st.faults_read, 256);
	assert_int_equal(st.access_hits, 0);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_int_equal(st.zero_page_ptes, 256);
	assert_int_equal(st.pte_tables_allocated, 1);
	assert_tables(mm, 1, 1, 1);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use);
	pte = pt_pte(mm, AT(0));
	assert_true(is_zero_page(pte));
	assert_false(pte & PTSIM_PTE_RW);
	assert_int_equal(pt_pte(mm, AT(1 * MiB)), 0);

	/* reading them again hits */
	STEP(mm, ptsim_touch(mm, AT(0), 1 * MiB, PTSIM_ACCESS_READ));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 256);
	assert_int_equal(st.access_hits, 256);
}

static void test_touch_write_maps_frames(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm;
	struct ptsim_mm_stats st;
	uint64_t *pfns = calloc(256, sizeof(*pfns));

	/* [w...] */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 1 * MiB, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 256);
	assert_int_equal(st.faults_write, 256);
	assert_int_equal(st.rss_anon_pages, 256);
	assert_int_equal(st.zero_page_ptes, 0);
	assert_tables(mm, 1, 1, 1);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 256);

	/* every page has a frame of its own, writable and dirty */
	for (int i = 0; i < 256; i++) {
		uint64_t pte = pt_pte(mm, AT(i * PG));

		assert_true(is_frame(pte));
		assert_true(is_writable(pte));
		assert_true(pte & PTSIM_PTE_DIRTY);
		pfns[i] = PTSIM_PTE_PFN(pte);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(pfns[j], pfns[i]);
	}
	free(pfns);

	/* writes and reads of those pages hit; nothing faults */
	STEP(mm, ptsim_touch(mm, AT(0), 1 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(0), 1 * MiB, PTSIM_ACCESS_READ));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 256);
	assert_int_equal(st.access_hits, 512);
	assert_int_equal(st.rss_anon_pages, 256);
}

static void test_cow_write_after_read(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm;
	struct ptsim_mm_stats st;
	uint64_t pte;

	/* 16 pages read, then written: each write breaks COW on the zero page */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 16 * PG, PTSIM_ACCESS_READ));
	assert_int_equal(pt_stats(mm).zero_page_ptes, 16);
	STEP(mm, ptsim_touch(mm, AT(0), 16 * PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 32);
	assert_int_equal(st.faults_read, 16);
	assert_int_equal(st.faults_cow, 16);
	assert_int_equal(st.rss_anon_pages, 16);
	assert_int_equal(st.zero_page_ptes, 0);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 16);
	pte = pt_pte(mm, AT(15 * PG));
	assert_true(is_frame(pte));
	assert_true(is_writable(pte));
	assert_true(pte & PTSIM_PTE_DIRTY);

	/* now they are ordinary writable frames: writes hit */
	STEP(mm, ptsim_touch(mm, AT(0), 16 * PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 32);
	assert_int_equal(st.access_hits, 16);
}

static void test_touch_unaligned_range(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;

	/* one access per page the byte range [addr, addr + len) overlaps */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(100), 1, PTSIM_ACCESS_READ));
	st = pt_stats(mm);
	assert_int_equal(st.faults_read, 1);
	assert_true(is_zero_page(pt_pte(mm, AT(0))));
	assert_int_equal(pt_pte(mm, AT(PG)), 0);

	/* the last byte of page 0 and the first of page 1: COW of page 0, new page 1 */
	STEP(mm, ptsim_touch(mm, AT(PG - 1), 2, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 3);
	assert_int_equal(st.faults_cow, 1);
	assert_int_equal(st.faults_write, 1);
	assert_int_equal(st.rss_anon_pages, 2);
}

/*
 * The entry bits the x86-64 kernel builds for a private anonymous mapping:
 * vm_page_prot of a private mapping has P|US|A (and NX unless PROT_EXEC)
 * and never RW; a write fault adds RW and D; the zero page is mapped
 * special and read-only.
 */
static void test_pte_bits_x86(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	const uint64_t base = PTSIM_PTE_PRESENT | PTSIM_PTE_USER | PTSIM_PTE_ACCESSED;
	const uint64_t ignore = PTSIM_PTE_SOFT_DIRTY; /* set or not, as CONFIG_MEM_SOFT_DIRTY */
	uint64_t pte;

	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	map_fixed(mm, AT(2 * MiB), 2 * MiB, PTSIM_PROT_READ | PTSIM_PROT_EXEC);

	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	pte = pt_pte(mm, AT(0));
	assert_int_equal(pte & PTE_ALL_FLAGS & ~ignore,
	                 base | PTSIM_PTE_RW | PTSIM_PTE_DIRTY | PTSIM_PTE_NX);

	STEP(mm, ptsim_touch(mm, AT(PG), PG, PTSIM_ACCESS_READ));
	pte = pt_pte(mm, AT(PG));
	assert_int_equal(PTSIM_PTE_PFN(pte), ptsim_zero_pfn());
	assert_int_equal(pte & PTE_ALL_FLAGS & ~ignore, base | PTSIM_PTE_SPECIAL | PTSIM_PTE_NX);

	/* PROT_EXEC: no NX */
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), PG, PTSIM_ACCESS_READ));
	pte = pt_pte(mm, AT(2 * MiB));
	assert_int_equal(pte & PTE_ALL_FLAGS & ~ignore, base | PTSIM_PTE_SPECIAL);
}

/* --- fork -------------------------------------------------------------- */

static void test_fork_copies_written_mappings(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child = NULL;
	struct ptsim_mm_stats st, cst;
	uint64_t ppte, cpte;

	/*
	 * AT(0):  [ww]   written: copied
	 * AT(1G): [rr]   only read: it has no anon_vma in the kernel, and
	 *                fork skips such a VMA's page tables
	 */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	map_fixed(mm, AT(GiB), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(GiB), 2 * MiB, PTSIM_ACCESS_READ));
	assert_tables(mm, 1, 2, 2);
	st = pt_stats(mm);

	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);
	assert_mm_ok(child);
	cst = pt_stats(child);
	assert_tables(child, 1, 1, 1);
	assert_int_equal(cst.nr_vmas, 2);
	assert_int_equal(cst.total_vm_pages, st.total_vm_pages);
	assert_int_equal(cst.rss_anon_pages, 512);
	assert_int_equal(cst.zero_page_ptes, 0);
	assert_int_equal(pt_pte(child, AT(GiB)), 0);
	/* the parent keeps its tables; the frames are shared, not copied */
	assert_tables(mm, 1, 2, 2);
	assert_int_equal(pt_stats(mm).rss_anon_pages, 512);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 512);

	/* both sides map the same frame, write-protected for COW */
	ppte = pt_pte(mm, AT(0));
	cpte = pt_pte(child, AT(0));
	assert_true(is_frame(ppte) && is_frame(cpte));
	assert_int_equal(PTSIM_PTE_PFN(ppte), PTSIM_PTE_PFN(cpte));
	assert_false(ppte & PTSIM_PTE_RW);
	assert_false(cpte & PTSIM_PTE_RW);

	/* the child reads the skipped mapping: its own PMD and PTE tables */
	STEP(child, ptsim_touch(child, AT(GiB), PG, PTSIM_ACCESS_READ));
	assert_true(is_zero_page(pt_pte(child, AT(GiB))));
	assert_tables(child, 1, 2, 2);
}

static void test_fork_cow(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child = NULL;
	struct ptsim_mm_stats before;
	uint64_t frames0 = f->g0.frames_in_use, a0, a1, pte;

	/* two written pages, A0 and A1 */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * PG, PTSIM_ACCESS_WRITE));
	a0 = PTSIM_PTE_PFN(pt_pte(mm, AT(0)));
	a1 = PTSIM_PTE_PFN(pt_pte(mm, AT(PG)));
	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);
	assert_int_equal(pt_global().frames_in_use, frames0 + 2);

	/* the parent writes page 0: COW fault, a new frame; the child keeps A0 */
	before = pt_stats(mm);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).faults_cow, before.faults_cow + 1);
	assert_int_equal(pt_stats(mm).faults, before.faults + 1);
	pte = pt_pte(mm, AT(0));
	assert_true(is_writable(pte));
	assert_int_not_equal(PTSIM_PTE_PFN(pte), a0);
	assert_int_equal(PTSIM_PTE_PFN(pt_pte(child, AT(0))), a0);
	assert_int_equal(pt_global().frames_in_use, frames0 + 3);
	assert_mm_ok(child);

	/* the child writes page 0: A0 is its alone now, so it is reused in place */
	before = pt_stats(child);
	STEP(child, ptsim_touch(child, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(child).faults_cow, before.faults_cow + 1);
	pte = pt_pte(child, AT(0));
	assert_int_equal(PTSIM_PTE_PFN(pte), a0);
	assert_true(is_writable(pte));
	assert_int_equal(pt_global().frames_in_use, frames0 + 3);

	/* the child writes page 1, still shared: it gets a copy; the parent keeps A1 */
	STEP(child, ptsim_touch(child, AT(PG), PG, PTSIM_ACCESS_WRITE));
	assert_int_not_equal(PTSIM_PTE_PFN(pt_pte(child, AT(PG))), a1);
	assert_int_equal(pt_global().frames_in_use, frames0 + 4);

	/* then the parent writes page 1: reused, no copy */
	STEP(mm, ptsim_touch(mm, AT(PG), PG, PTSIM_ACCESS_WRITE));
	pte = pt_pte(mm, AT(PG));
	assert_int_equal(PTSIM_PTE_PFN(pte), a1);
	assert_true(is_writable(pte));
	assert_int_equal(pt_global().frames_in_use, frames0 + 4);
	assert_int_equal(pt_stats(mm).rss_anon_pages, 2);
	assert_int_equal(pt_stats(child).rss_anon_pages, 2);

	/* the child goes: its two frames with it */
	pt_destroy(f, child);
	assert_mm_ok(mm);
	assert_int_equal(pt_global().frames_in_use, frames0 + 2);
}

static void test_fork_child_zaps(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child = NULL;
	uint64_t a0 = 0;

	/* 4 written pages, 4 read ones (zero page); fork copies all eight entries */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(4 * PG), 4 * PG, PTSIM_ACCESS_READ));
	a0 = PTSIM_PTE_PFN(pt_pte(mm, AT(0)));
	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);
	assert_int_equal(pt_stats(child).rss_anon_pages, 4);
	assert_int_equal(pt_stats(child).zero_page_ptes, 4);
	assert_true(is_zero_page(pt_pte(child, AT(4 * PG))));

	/* the child zaps everything: the parent keeps its frames, none is freed */
	STEP(child, ptsim_madvise(child, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	assert_mm_ok(mm);
	assert_int_equal(pt_stats(child).rss_anon_pages, 0);
	assert_int_equal(pt_stats(child).zero_page_ptes, 0);
	assert_int_equal(pt_stats(mm).rss_anon_pages, 4);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 4);

	/* the parent's frames are its alone again: a write reuses them in place */
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(PTSIM_PTE_PFN(pt_pte(mm, AT(0))), a0);
	assert_true(is_writable(pt_pte(mm, AT(0))));
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 4);

	/* the child writes a zapped page: an ordinary write fault */
	STEP(child, ptsim_touch(child, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(child).faults_write, 1);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 5);
}

static void test_fork_populate_write_breaks_cow(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child = NULL;
	uint64_t old[4];

	/* 4 COW-shared pages; POPULATE_WRITE in the parent copies them (this machine: new PFN) */
	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * PG, PTSIM_ACCESS_WRITE));
	for (int i = 0; i < 4; i++)
		old[i] = PTSIM_PTE_PFN(pt_pte(mm, AT(i * PG)));
	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * PG, PTSIM_MADV_POPULATE_WRITE));
	for (int i = 0; i < 4; i++) {
		uint64_t pte = pt_pte(mm, AT(i * PG));

		assert_true(is_writable(pte));
		assert_int_not_equal(PTSIM_PTE_PFN(pte), old[i]);
		assert_int_equal(PTSIM_PTE_PFN(pt_pte(child, AT(i * PG))), old[i]);
	}
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 8);
	assert_mm_ok(child);
}

static void test_fork_copies_empty_tables(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child = NULL;

	/*
	 * [wwww], then DONTNEED of the first table's pages in two calls: the
	 * table is empty but (for a strategy that keeps it) still linked, and
	 * copy_pte_range() copies it as it is: the child's VmPTE equals the
	 * parent's whatever the strategy did.
	 */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_madvise(mm, AT(0), PG, PTSIM_MADV_DONTNEED));
	STEP(mm, ptsim_madvise(mm, AT(PG), 2 * MiB - PG, PTSIM_MADV_DONTNEED));
	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);
	assert_mm_ok(child);
	assert_int_equal(pt_stats(child).pgtables_bytes, pt_stats(mm).pgtables_bytes);
	assert_int_equal(pt_stats(child).rss_anon_pages, 512);
}

static void test_destroy_parent_first(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child = NULL;

	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_fork(mm, &child));
	pt_adopt(f, child);

	/* the parent goes first: the child keeps every frame, and they become its own */
	pt_destroy(f, mm);
	assert_mm_ok(child);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 1024);
	STEP(child, ptsim_touch(child, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 1024);
	assert_true(is_writable(pt_pte(child, AT(0))));
	/* the teardown checks that tables and frames are all returned */
}

/* --- madvise ----------------------------------------------------------- */

static void test_madvise_dontneed_entries(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm;
	struct ptsim_mm_stats st;

	/* [w ww]   (the blank: entries cleared, the VMA stays) */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_madvise(mm, AT(1 * MiB), 1 * MiB, PTSIM_MADV_DONTNEED));
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 768);
	assert_int_equal(st.nr_vmas, 1);
	assert_int_equal(st.total_vm_pages, 1024);
	assert_int_equal(pt_global().frames_in_use, f->g0.frames_in_use + 768);
	/* only part of each table was zapped: no strategy frees one here */
	assert_tables(mm, 1, 1, 2);
	assert_true(is_frame(pt_pte(mm, AT(1 * MiB - PG))));
	assert_int_equal(pt_pte(mm, AT(1 * MiB)), 0);
	assert_int_equal(pt_pte(mm, AT(2 * MiB - PG)), 0);
	assert_true(is_frame(pt_pte(mm, AT(2 * MiB))));

	/* [wrww]   reading a zapped page faults in the zero page */
	st = pt_stats(mm);
	STEP(mm, ptsim_touch(mm, AT(1 * MiB), PG, PTSIM_ACCESS_READ));
	assert_int_equal(pt_stats(mm).faults_read, st.faults_read + 1);
	assert_true(is_zero_page(pt_pte(mm, AT(1 * MiB))));
}

static void test_madvise_free_entries(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;
	uint64_t pte0, pte;

	/*
	 * [wwww]   MADV_FREE keeps every entry and frame (only reclaim would
	 * drop them); madvise_free_pte_range() clears A and D of the entries
	 * of frames mapped once, so that a later write shows.
	 */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	pte0 = pt_pte(mm, AT(0));
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_FREE));
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 1024);
	assert_tables(mm, 1, 1, 2);
	pte = pt_pte(mm, AT(0));
	assert_true(is_writable(pte));
	assert_int_equal(PTSIM_PTE_PFN(pte), PTSIM_PTE_PFN(pte0));
	assert_false(pte & PTSIM_PTE_DIRTY);
	assert_false(pte & PTSIM_PTE_ACCESSED);

	/* writing again is a hit that sets D again: the page is no longer free */
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).faults, st.faults);
	assert_int_equal(pt_stats(mm).access_hits, st.access_hits + 1);
	assert_true(pt_pte(mm, AT(0)) & PTSIM_PTE_DIRTY);

	/* AT(1G): [r]   zero-page entries are left alone */
	map_fixed(mm, AT(GiB), 1 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(GiB), 1 * MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_madvise(mm, AT(GiB), 1 * MiB, PTSIM_MADV_FREE));
	assert_int_equal(pt_stats(mm).zero_page_ptes, 256);
	assert_true(is_zero_page(pt_pte(mm, AT(GiB))));
}

static void test_madvise_populate(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;
	uint64_t pte;

	/* [rrrr]   POPULATE_READ of an untouched mapping: zero page everywhere */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_POPULATE_READ));
	st = pt_stats(mm);
	assert_int_equal(st.zero_page_ptes, 1024);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_tables(mm, 1, 1, 2);
	assert_true(is_zero_page(pt_pte(mm, AT(4 * MiB - PG))));

	/* [wwww]   POPULATE_WRITE over the zero page: a frame for every page */
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_POPULATE_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.zero_page_ptes, 0);
	assert_int_equal(st.rss_anon_pages, 1024);
	pte = pt_pte(mm, AT(0));
	assert_true(is_frame(pte));
	assert_true(is_writable(pte));
	assert_true(pte & PTSIM_PTE_DIRTY);

	/* populating what is already there changes nothing */
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_POPULATE_READ));
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_POPULATE_WRITE));
	assert_int_equal(pt_stats(mm).rss_anon_pages, 1024);
	assert_int_equal(PTSIM_PTE_PFN(pt_pte(mm, AT(0))), PTSIM_PTE_PFN(pte));

	/* AT(1G): [wwww]   POPULATE_WRITE of an untouched mapping */
	map_fixed(mm, AT(GiB), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_madvise(mm, AT(GiB), 4 * MiB, PTSIM_MADV_POPULATE_WRITE));
	assert_int_equal(pt_stats(mm).rss_anon_pages, 2048);
	assert_tables(mm, 1, 2, 4);
}

/* --- what each strategy frees ------------------------------------------ */

static bool dontneed_frees_whole_tables(void)
{
	/* DESIGN.md §3: rcu frees on a whole-table DONTNEED; atomic/percpu free any empty table */
	return pt_expect == PTSIM_STRATEGY_RCU || pt_expect == PTSIM_STRATEGY_ATOMIC ||
	       pt_expect == PTSIM_STRATEGY_PERCPU || pt_expect == PTSIM_STRATEGY_RWSEM;
}

/* rwsem frees the upper tables a DONTNEED leaves empty too. */
static bool dontneed_frees_upper_tables(void)
{
	return pt_expect == PTSIM_STRATEGY_RWSEM;
}

static void test_freed_counters(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats st;
	uint64_t by_zap = dontneed_frees_whole_tables() ? 2 : 0;
	uint64_t upper = dontneed_frees_upper_tables() ? 1 : 0;

	/* [wwww] then [....]: DONTNEED of two whole tables */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).pte_tables_allocated, 2);
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_DONTNEED));
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_int_equal(st.pte_tables_freed_zap, by_zap);
	assert_int_equal(st.pte_tables_freed, by_zap);
	/* rwsem: the PMD and PUD tables, now empty, go with the PTE tables
	 * (the mapping is alone in its 512 GiB slot) */
	assert_int_equal(st.pmd_tables_freed, upper);
	assert_int_equal(st.pud_tables_freed, upper);
	assert_int_equal(st.pgtables_bytes_freed, (by_zap + 2 * upper) * TABLE_BYTES);
	assert_tables(mm, 1 - upper, 1 - upper, 2 - by_zap);

	/* [    ]: munmap frees what is left */
	STEP(mm, ptsim_munmap(mm, AT(0), 4 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.pte_tables_freed_unmap, 2 - by_zap);
	assert_int_equal(st.pte_tables_freed, 2);
	assert_int_equal(st.pte_tables_freed_reclaim, 0);
	assert_int_equal(st.pmd_tables_freed, 1);
	assert_int_equal(st.pud_tables_freed, 1);
	assert_int_equal(st.pgtables_bytes_freed, 4 * TABLE_BYTES);
	assert_tables(mm, 0, 0, 0);

	/* after the grace period nothing waits */
	ptsim_synchronize();
	assert_int_equal(pt_stats(mm).tables_pending_free, 0);
}

static void test_none_reclaim_is_noop(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm;
	struct ptsim_mm_stats before, st;

	if (pt_expect != PTSIM_STRATEGY_NONE)
		skip();
	/* [....] with two empty PTE tables: none frees tables only by munmap / exit */
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_DONTNEED));
	before = pt_stats(mm);
	assert_int_equal(ptsim_reclaim(mm), 0);
	assert_mm_ok(mm);
	st = pt_stats(mm);
	assert_same_state(&before, &st);
	assert_int_equal(st.reclaimable_pt_bytes, 0);
}

/*
 * When tables are freed, and VmPTE afterwards, per strategy. Each trace
 * uses the grammar of shared/traces/README.md; the figures are KiB of VmPTE
 * at each check / fork_check. `rcu` rows are this machine's kernel (the
 * shared traces, and the same operations run here with MADV_NOHUGEPAGE);
 * `none` is the same kernel without PT_RECLAIM: DONTNEED never frees.
 * atomic/percpu/bitfield rows follow DESIGN.md §3 (not measured): a
 * refcounted table goes as soon as its last entry does, on any path;
 * bitfield frees nothing before a reclaim pass. rwsem rows (Jason
 * Gunthorpe's page-table rwsem, never implemented in Linux): after each
 * DONTNEED every table of any level that meets the range and has no entry
 * left goes, PMD and PUD tables included; munmap keeps the kernel's
 * floor/ceiling rule.
 */
#define KIB(...)      ((const int64_t[]){__VA_ARGS__})
#define PT_MAX_CHECKS 8

struct pgtable_case {
	const char *name;
	const char *trace;
	int nchecks;
	const int64_t *kib[PTSIM_STRATEGY_COUNT]; /* NULL: no figure for that strategy yet */
};

#define SAME_FOR_ALL(...)                                                                          \
	{                                                                                          \
		[PTSIM_STRATEGY_NONE] = KIB(__VA_ARGS__), [PTSIM_STRATEGY_RCU] = KIB(__VA_ARGS__), \
		[PTSIM_STRATEGY_ATOMIC] = KIB(__VA_ARGS__),                                        \
		[PTSIM_STRATEGY_PERCPU] = KIB(__VA_ARGS__),                                        \
		[PTSIM_STRATEGY_BITFIELD] = KIB(__VA_ARGS__),                                      \
		[PTSIM_STRATEGY_RWSEM] = KIB(__VA_ARGS__),                                         \
	}

static const struct pgtable_case pgtable_cases[] = {
        {"full_dontneed", /* shared trace: 1 GiB written, DONTNEED of all of it */
         "mmap 0 0x40000000\n"
         "touch 0 0x40000000 w\n"
         "check touched\n"
         "madvise 0 0x40000000 dontneed\n"
         "check dontneed\n"
         "munmap 0 0x40000000\n"
         "check unmapped\n",
         3,
         {[PTSIM_STRATEGY_NONE] = KIB(2056, 2056, 0),
          [PTSIM_STRATEGY_RCU] = KIB(2056, 8, 0),
          [PTSIM_STRATEGY_ATOMIC] = KIB(2056, 8, 0),
          [PTSIM_STRATEGY_PERCPU] = KIB(2056, 8, 0),
          [PTSIM_STRATEGY_BITFIELD] = KIB(2056, 2056, 0),
          [PTSIM_STRATEGY_RWSEM] = KIB(2056, 0, 0)}},
        {"dontneed_1g_keeps_pud", /* [1 GiB written][2 MiB written]: DONTNEED of the first
                                     GiB, 1 GiB-aligned: rcu/atomic/percpu free its 512 PTE
                                     tables, rwsem its PMD table too; the PUD table stays
                                     for the second mapping */
         "mmap 0 0x40000000\n"
         "mmap 0x40000000 0x200000\n"
         "touch 0 0x40000000 w\n"
         "touch 0x40000000 0x200000 w\n"
         "check touched\n"
         "madvise 0 0x40000000 dontneed\n"
         "check dontneed\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(2064, 2064),
          [PTSIM_STRATEGY_RCU] = KIB(2064, 16),
          [PTSIM_STRATEGY_ATOMIC] = KIB(2064, 16),
          [PTSIM_STRATEGY_PERCPU] = KIB(2064, 16),
          [PTSIM_STRATEGY_BITFIELD] = KIB(2064, 2064),
          [PTSIM_STRATEGY_RWSEM] = KIB(2064, 12)}},
        {"zero_page", /* shared trace: zero-page tables are freed by DONTNEED too */
         "mmap 0 0x4000000\n"
         "touch 0 0x4000000 r\n"
         "check read_touched\n"
         "madvise 0 0x4000000 dontneed\n"
         "check dontneed\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(136, 136),
          [PTSIM_STRATEGY_RCU] = KIB(136, 8),
          [PTSIM_STRATEGY_ATOMIC] = KIB(136, 8),
          [PTSIM_STRATEGY_PERCPU] = KIB(136, 8),
          [PTSIM_STRATEGY_BITFIELD] = KIB(136, 136),
          [PTSIM_STRATEGY_RWSEM] = KIB(136, 0)}},
        {"madv_free", /* shared trace: MADV_FREE frees no table */
         "mmap 0 0x4000000\n"
         "touch 0 0x4000000 w\n"
         "check touched\n"
         "madvise 0 0x4000000 free\n"
         "check freed_lazily\n"
         "madvise 0 0x4000000 dontneed\n"
         "check dontneed\n",
         3,
         {[PTSIM_STRATEGY_NONE] = KIB(136, 136, 136),
          [PTSIM_STRATEGY_RCU] = KIB(136, 136, 8),
          [PTSIM_STRATEGY_ATOMIC] = KIB(136, 136, 8),
          [PTSIM_STRATEGY_PERCPU] = KIB(136, 136, 8),
          [PTSIM_STRATEGY_BITFIELD] = KIB(136, 136, 136),
          [PTSIM_STRATEGY_RWSEM] = KIB(136, 136, 0)}},
        {"partial_keep_one", /* shared trace: a partial DONTNEED never frees under rcu */
         "mmap 0 0x1000000\n"
         "touch 0 0x1000000 w\n"
         "check touched\n"
         "madvise 0x1000 0x1ff000 dontneed\n"
         "madvise 0x201000 0x1ff000 dontneed\n"
         "check kept_two\n"
         "madvise 0 0x1000 dontneed\n"
         "check first_table_empty\n",
         3,
         {[PTSIM_STRATEGY_NONE] = KIB(40, 40, 40),
          [PTSIM_STRATEGY_RCU] = KIB(40, 40, 40),
          [PTSIM_STRATEGY_ATOMIC] = KIB(40, 40, 36),
          [PTSIM_STRATEGY_PERCPU] = KIB(40, 40, 36),
          [PTSIM_STRATEGY_BITFIELD] = KIB(40, 40, 40),
          [PTSIM_STRATEGY_RWSEM] = KIB(40, 40, 36)}},
        {"munmap_part", /* shared trace: munmap of part of a table keeps the table */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "check touched\n"
         "munmap 0 0x100000\n"
         "check unmapped_half_table\n"
         "munmap 0x200000 0x200000\n"
         "check unmapped_second_table\n"
         "munmap 0x100000 0x100000\n"
         "check unmapped_all\n",
         4, SAME_FOR_ALL(16, 16, 12, 0)},
        {"dontneed_unaligned_range", /* [1, 5) of [0, 6): only the table at [2, 4) is whole */
         "mmap 0 0x600000\n"
         "touch 0 0x600000 w\n"
         "check touched\n"
         "madvise 0x100000 0x400000 dontneed\n"
         "check dontneed\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(20, 20),
          [PTSIM_STRATEGY_RCU] = KIB(20, 16),
          [PTSIM_STRATEGY_ATOMIC] = KIB(20, 16),
          [PTSIM_STRATEGY_PERCPU] = KIB(20, 16),
          [PTSIM_STRATEGY_BITFIELD] = KIB(20, 20),
          [PTSIM_STRATEGY_RWSEM] = KIB(20, 16)}},
        {"dontneed_split_vmas", /* [wRww]: madvise zaps VMA by VMA, so the first table is
                                   never zapped whole in one call and stays under rcu */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "mprotect 0x100000 0x100000 r\n"
         "check split\n"
         "madvise 0 0x400000 dontneed\n"
         "check dontneed\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(16, 16),
          [PTSIM_STRATEGY_RCU] = KIB(16, 12),
          [PTSIM_STRATEGY_ATOMIC] = KIB(16, 8),
          [PTSIM_STRATEGY_PERCPU] = KIB(16, 8),
          [PTSIM_STRATEGY_BITFIELD] = KIB(16, 16),
          [PTSIM_STRATEGY_RWSEM] = KIB(16, 0)}},
        {"zero_and_written", /* [rrww]: MADV_FREE keeps both tables, DONTNEED frees both */
         "mmap 0 0x400000\n"
         "touch 0 0x200000 r\n"
         "touch 0x200000 0x200000 w\n"
         "check touched\n"
         "madvise 0 0x400000 free\n"
         "check free\n"
         "madvise 0 0x400000 dontneed\n"
         "check dontneed\n",
         3,
         {[PTSIM_STRATEGY_NONE] = KIB(16, 16, 16),
          [PTSIM_STRATEGY_RCU] = KIB(16, 16, 8),
          [PTSIM_STRATEGY_ATOMIC] = KIB(16, 16, 8),
          [PTSIM_STRATEGY_PERCPU] = KIB(16, 16, 8),
          [PTSIM_STRATEGY_BITFIELD] = KIB(16, 16, 16),
          [PTSIM_STRATEGY_RWSEM] = KIB(16, 16, 0)}},
        {"populate", /* POPULATE_READ, DONTNEED, POPULATE_WRITE: tables come back */
         "mmap 0 0x400000\n"
         "madvise 0 0x400000 populate_read\n"
         "check populated_read\n"
         "madvise 0 0x400000 dontneed\n"
         "check dontneed\n"
         "madvise 0 0x400000 populate_write\n"
         "check populated_write\n",
         3,
         {[PTSIM_STRATEGY_NONE] = KIB(16, 16, 16),
          [PTSIM_STRATEGY_RCU] = KIB(16, 8, 16),
          [PTSIM_STRATEGY_ATOMIC] = KIB(16, 8, 16),
          [PTSIM_STRATEGY_PERCPU] = KIB(16, 8, 16),
          [PTSIM_STRATEGY_BITFIELD] = KIB(16, 16, 16),
          [PTSIM_STRATEGY_RWSEM] = KIB(16, 0, 16)}},
        {"dontneed_then_write", /* a freed table is allocated again by the next fault */
         "mmap 0 0x200000\n"
         "touch 0 0x200000 w\n"
         "madvise 0 0x200000 dontneed\n"
         "check dontneed\n"
         "touch 0 0x200000 w\n"
         "check rewritten\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(12, 12),
          [PTSIM_STRATEGY_RCU] = KIB(8, 12),
          [PTSIM_STRATEGY_ATOMIC] = KIB(8, 12),
          [PTSIM_STRATEGY_PERCPU] = KIB(8, 12),
          [PTSIM_STRATEGY_BITFIELD] = KIB(12, 12),
          [PTSIM_STRATEGY_RWSEM] = KIB(0, 12)}},
        {"munmap_middle_two_tables", /* [w  w]: both tables still serve a VMA */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "check touched\n"
         "munmap 0x100000 0x200000\n"
         "check unmapped\n",
         2, SAME_FOR_ALL(16, 16)},
        {"munmap_middle_table", /* [ww  ww]: the middle table serves nothing */
         "mmap 0 0x600000\n"
         "touch 0 0x600000 w\n"
         "check touched\n"
         "munmap 0x200000 0x200000\n"
         "check unmapped\n",
         2, SAME_FOR_ALL(20, 16)},
        {"munmap_spanning_hole", /* [ww  ww] unmapped in one call, hole included */
         "mmap 0 0x200000\n"
         "mmap 0x400000 0x200000\n"
         "touch 0 0x200000 w\n"
         "touch 0x400000 0x200000 w\n"
         "check touched\n"
         "munmap 0 0x800000\n"
         "check unmapped\n",
         2, SAME_FOR_ALL(16, 0)},
        {"munmap_floor_ceiling", /* A = [0, 2M+4K), B = [2M+8K, 4M): both in the second table */
         "mmap 0 0x201000\n"
         "mmap 0x202000 0x1fe000\n"
         "touch 0 0x201000 w\n"
         "touch 0x202000 0x1fe000 w\n"
         "check touched\n"
         "munmap 0x202000 0x1fe000\n" /* floor = A's end: A still uses the second table */
         "check floor\n"
         "mmap 0x202000 0x1fe000\n"
         "touch 0x202000 0x1fe000 w\n"
         "munmap 0 0x201000\n" /* ceiling = B's start: only the first table goes */
         "check ceiling\n",
         3, SAME_FOR_ALL(16, 16, 12)},
        {"munmap_pmd_table", /* a mapping alone in its GiB: its PMD table goes too */
         "mmap 0 0x200000\n"
         "mmap 0x40000000 0x200000\n"
         "touch 0 0x200000 w\n"
         "touch 0x40000000 0x200000 w\n"
         "check touched\n"
         "munmap 0x40000000 0x200000\n"
         "check pmd_freed\n"
         "munmap 0 0x200000\n"
         "check all_freed\n",
         3, SAME_FOR_ALL(20, 12, 0)},
        {"munmap_pud_table", /* a mapping alone in its 512 GiB: its PUD table goes too */
         "mmap 0 0x200000\n"
         "mmap 0x8000000000 0x200000\n"
         "touch 0 0x200000 w\n"
         "touch 0x8000000000 0x200000 w\n"
         "check touched\n"
         "munmap 0x8000000000 0x200000\n"
         "check pud_freed\n",
         2, SAME_FOR_ALL(24, 12)},
        {"mmap_fixed_replace", /* MAP_FIXED unmaps what it covers, tables included */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "check touched\n"
         "mmap 0 0x400000\n"
         "check replaced_all\n"
         "touch 0 0x400000 w\n"
         "mmap 0x100000 0x200000\n"
         "check replaced_middle\n"
         "mmap 0x200000 0x200000\n"
         "check replaced_second_table\n",
         4, SAME_FOR_ALL(16, 0, 16, 12)},
        {"dontneed_protnone", /* PROT_NONE entries are zapped like any other */
         "mmap 0 0x200000\n"
         "touch 0 0x200000 w\n"
         "mprotect 0 0x200000 none\n"
         "check protnone\n"
         "madvise 0 0x200000 dontneed\n"
         "check dontneed\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(12, 12),
          [PTSIM_STRATEGY_RCU] = KIB(12, 8),
          [PTSIM_STRATEGY_ATOMIC] = KIB(12, 8),
          [PTSIM_STRATEGY_PERCPU] = KIB(12, 8),
          [PTSIM_STRATEGY_BITFIELD] = KIB(12, 12),
          [PTSIM_STRATEGY_RWSEM] = KIB(12, 0)}},
        {"dontneed_vmas_split_at_table", /* [wwRR]: each VMA covers a whole table: both go */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "mprotect 0x200000 0x200000 r\n"
         "check split\n"
         "madvise 0 0x400000 dontneed\n"
         "check dontneed\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(16, 16),
          [PTSIM_STRATEGY_RCU] = KIB(16, 8),
          [PTSIM_STRATEGY_ATOMIC] = KIB(16, 8),
          [PTSIM_STRATEGY_PERCPU] = KIB(16, 8),
          [PTSIM_STRATEGY_BITFIELD] = KIB(16, 16),
          [PTSIM_STRATEGY_RWSEM] = KIB(16, 0)}},
        {"gap_filled_merges_left", /* [A C B]: A and B written apart (two anon_vmas), C mapped
                                      between them: the kernel merges C into A, the left
                                      neighbour, so DONTNEED of [0, 2M) is one VMA over one
                                      whole table */
         "mmap 0 0x100000\n"
         "touch 0 0x100000 w\n"
         "mmap 0x200000 0x100000\n"
         "touch 0x200000 0x100000 w\n"
         "mmap 0x100000 0x100000\n"
         "check filled\n"
         "madvise 0 0x200000 dontneed\n"
         "check dontneed\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(16, 16),
          [PTSIM_STRATEGY_RCU] = KIB(16, 12),
          [PTSIM_STRATEGY_ATOMIC] = KIB(16, 12),
          [PTSIM_STRATEGY_PERCPU] = KIB(16, 12),
          [PTSIM_STRATEGY_BITFIELD] = KIB(16, 16),
          [PTSIM_STRATEGY_RWSEM] = KIB(16, 12)}},
        {"fork_1g", /* shared trace */
         "mmap 0 0x40000000\n"
         "touch 0 0x40000000 w\n"
         "check touched\n"
         "fork_check\n",
         2, SAME_FOR_ALL(2056, 2056)},
        {"fork_skips_read_only", /* only-read mapping: no anon_vma, not copied */
         "mmap 0 0x200000\n"
         "mmap 0x40000000 0x200000\n"
         "touch 0 0x200000 w\n"
         "touch 0x40000000 0x200000 r\n"
         "check touched\n"
         "fork_check\n",
         2, SAME_FOR_ALL(20, 12)},
        {"fork_after_one_write", /* one write gives the VMA an anon_vma: all copied */
         "mmap 0 0x200000\n"
         "touch 0 0x200000 r\n"
         "check read\n"
         "fork_check\n"
         "touch 0 0x1000 w\n"
         "check one_write\n"
         "fork_check\n",
         4, SAME_FOR_ALL(12, 0, 12, 12)},
        {"fork_populate_read", /* POPULATE_READ only: nothing to copy either */
         "mmap 0 0x400000\n"
         "madvise 0 0x400000 populate_read\n"
         "check populated\n"
         "fork_check\n",
         2, SAME_FOR_ALL(16, 0)},
        {"fork_protnone", /* PROT_NONE entries of a written mapping are copied too */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "mprotect 0 0x200000 none\n"
         "check protnone\n"
         "fork_check\n",
         2, SAME_FOR_ALL(16, 16)},
        {"fork_after_dontneed", /* the child gets what the parent still has */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "madvise 0 0x200000 dontneed\n"
         "check dontneed\n"
         "fork_check\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(16, 16),
          [PTSIM_STRATEGY_RCU] = KIB(12, 12),
          [PTSIM_STRATEGY_ATOMIC] = KIB(12, 12),
          [PTSIM_STRATEGY_PERCPU] = KIB(12, 12),
          [PTSIM_STRATEGY_BITFIELD] = KIB(16, 16),
          [PTSIM_STRATEGY_RWSEM] = KIB(12, 12)}},
        {"fork_empty_table", /* an empty table kept by the parent is copied empty */
         "mmap 0 0x400000\n"
         "touch 0 0x400000 w\n"
         "madvise 0 0x1000 dontneed\n"
         "madvise 0x1000 0x1ff000 dontneed\n"
         "check emptied\n"
         "fork_check\n",
         2,
         {[PTSIM_STRATEGY_NONE] = KIB(16, 16),
          [PTSIM_STRATEGY_RCU] = KIB(16, 16),
          [PTSIM_STRATEGY_ATOMIC] = KIB(12, 12),
          [PTSIM_STRATEGY_PERCPU] = KIB(12, 12),
          [PTSIM_STRATEGY_BITFIELD] = KIB(16, 16),
          [PTSIM_STRATEGY_RWSEM] = KIB(12, 12)}},
};

static void test_pgtable_case(void **state)
{
	struct pt_fixture *f = fx(state);
	const struct pgtable_case *c = f->param;
	const int64_t *want = (unsigned)pt_expect < PTSIM_STRATEGY_COUNT ? c->kib[pt_expect] : NULL;
	int64_t got[PT_MAX_CHECKS];
	int n;

	if (!want)
		skip();
	n = pt_run_trace(f->mm, c->trace, got, PT_MAX_CHECKS);
	assert_int_equal(n, c->nchecks);
	for (int i = 0; i < n; i++) {
		if (got[i] != want[i]) {
			char line[256] = "";

			for (int j = 0; j < n; j++)
				snprintf(line + strlen(line), sizeof(line) - strlen(line),
				         " %lld/%lld", (long long)got[j], (long long)want[j]);
			fail_msg("%s under %s: VmPTE KiB at check %d is %lld, kernel %lld "
			         "(got/expected:%s)",
			         c->name, ptsim_strategy_name(pt_strategy), i + 1,
			         (long long)got[i], (long long)want[i], line);
		}
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pt_setup, pt_teardown)

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
	        T(test_mm_starts_empty),
	        T(test_mmap_fixed),
	        T(test_mmap_populate),
	        T(test_mmap_fixed_replaces),
	        T(test_mmap_hint),
	        T(test_mmap_topdown),
	        T(test_mmap_merges_adjacent),
	        T(test_munmap_whole),
	        T(test_munmap_part),
	        T(test_munmap_hole),
	        T(test_munmap_spanning),
	        T(test_mprotect_split_merge),
	        T(test_mprotect_restores_write),
	        T(test_mprotect_merges_written_neighbours),
	        T(test_mmap_no_merge_across_anon_vmas),
	        T(test_touch_read_maps_zero_page),
	        T(test_touch_write_maps_frames),
	        T(test_cow_write_after_read),
	        T(test_touch_unaligned_range),
	        T(test_pte_bits_x86),
	        T(test_fork_copies_written_mappings),
	        T(test_fork_cow),
	        T(test_fork_child_zaps),
	        T(test_fork_populate_write_breaks_cow),
	        T(test_fork_copies_empty_tables),
	        T(test_destroy_parent_first),
	        T(test_madvise_dontneed_entries),
	        T(test_madvise_free_entries),
	        T(test_madvise_populate),
	        T(test_freed_counters),
	        T(test_none_reclaim_is_noop),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	const size_t ncases = sizeof(pgtable_cases) / sizeof(pgtable_cases[0]);
	struct CMUnitTest *tests;
	char group[64], (*names)[64];
	int rc = pt_strategy_from_args(argc, argv, PTSIM_STRATEGY_NONE);

	if (rc >= 0)
		return rc;
	tests = calloc(nfixed + ncases, sizeof(*tests));
	names = calloc(ncases, sizeof(*names));
	if (!tests || !names)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < ncases; i++) {
		snprintf(names[i], sizeof(names[i]), "pgtables_%s", pgtable_cases[i].name);
		tests[nfixed + i] = (struct CMUnitTest){
		        .name = names[i],
		        .test_func = test_pgtable_case,
		        .setup_func = pt_setup,
		        .teardown_func = pt_teardown,
		        .initial_state = (void *)&pgtable_cases[i],
		};
	}
	snprintf(group, sizeof(group), "conformance_%s", ptsim_strategy_name(pt_strategy));
	rc = _cmocka_run_group_tests(group, tests, nfixed + ncases, NULL, NULL);
	free(tests);
	free(names);
	return rc;
}

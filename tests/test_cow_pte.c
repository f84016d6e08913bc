/* SPDX-License-Identifier: MIT */
/*
 * COW PTE tables at fork (PTSIM_OPT_COW_PTE; Chih-En Lin's RFC "Introduce
 * Copy-On-Write to Page Table", https://lore.kernel.org/linux-mm/
 * 20220519183127.3909598-1-shiyn.lin@gmail.com/): exact figures for
 * sharing, breaking (copy and reuse), dropping links, ownership of
 * pgtables_bytes, fork/exit orders, the RFC's PageTables figure, and mode 2
 * (accounting deferred to the break) on a fork of 1 GiB.
 * Run per strategy that accepts the option (argv[1]).
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KB(bytes) ((bytes) / 1024)

static struct pt_fixture *fx(void **state)
{
	return *state;
}

static bool is_writable(uint64_t pte)
{
	return (pte & (PTSIM_PTE_PRESENT | PTSIM_PTE_RW)) == (PTSIM_PTE_PRESENT | PTSIM_PTE_RW);
}

static uint64_t pfn_of(struct ptsim_mm *mm, uint64_t addr)
{
	return PTSIM_PTE_PFN(pt_pte(mm, addr));
}

/* Sets PTSIM_OPT_COW_PTE to mode on mm, forks, hands the child to the fixture. */
static struct ptsim_mm *cow_fork_mode(struct pt_fixture *f, struct ptsim_mm *mm, uint64_t mode)
{
	struct ptsim_mm *child = NULL;

	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, mode), 0);
	STEP(mm, ptsim_fork(mm, &child));
	assert_non_null(child);
	pt_adopt(f, child);
	assert_mm_ok(child);
	return child;
}

static struct ptsim_mm *cow_fork(struct pt_fixture *f, struct ptsim_mm *mm)
{
	return cow_fork_mode(f, mm, 1);
}

/* [AT(0), len) mapped read-write and written in f's mm, then COW-forked. */
static struct ptsim_mm *written_then_forked(struct pt_fixture *f, uint64_t len)
{
	map_fixed(f->mm, AT(0), len, PROT_RW);
	STEP(f->mm, ptsim_touch(f->mm, AT(0), len, PTSIM_ACCESS_WRITE));
	return cow_fork(f, f->mm);
}

/*
 * The global figure: every table in use is a live mm's PGD, charged to
 * exactly one of the live mms listed, or a COW table nobody owns.
 */
static void assert_tables_accounted(struct ptsim_mm **mms, int n)
{
	struct ptsim_global_stats g;
	uint64_t sum = 0;

	ptsim_synchronize();
	g = pt_global();
	assert_int_equal(g.live_mms, n);
	assert_int_equal(g.tables_pending_free, 0);
	for (int i = 0; i < n; i++) {
		struct ptsim_mm_stats st = pt_stats(mms[i]);

		assert_mm_ok(mms[i]);
		sum += 1 + st.nr_pud_tables + st.nr_pmd_tables + st.nr_pte_tables;
	}
	assert_int_equal(g.tables_in_use, sum + g.cow_pte_unowned_tables);
}

/* --- the option --------------------------------------------------------- */

static void test_cow_option(void **state)
{
	struct ptsim_mm *mm = fx(state)->mm, *other;
	const enum ptsim_strategy refuse[] = {PTSIM_STRATEGY_ATOMIC, PTSIM_STRATEGY_PERCPU,
	                                      PTSIM_STRATEGY_BITFIELD, PTSIM_STRATEGY_UNSAFE};

	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, 3), -EINVAL);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, 2), 0);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, 1), 0);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, 0), 0);
	/* The strategies whose per-table state belongs to one mm refuse it. */
	for (size_t i = 0; i < sizeof(refuse) / sizeof(refuse[0]); i++) {
		if (!ptsim_strategy_available(refuse[i]))
			continue;
		assert_int_equal(ptsim_mm_create(refuse[i], &other), 0);
		assert_int_equal(ptsim_mm_set_option(other, PTSIM_OPT_COW_PTE, 1), -EOPNOTSUPP);
		assert_int_equal(
		        ptsim_mm_set_option(other, PTSIM_OPT_MUTANT, PTSIM_MUTANT_COW_NO_BREAK),
		        -EINVAL);
		ptsim_mm_destroy(other);
	}
}

/* --- the RFC's figure ---------------------------------------------------- */

/*
 * RFC v1: /proc/meminfo PageTables after forking a process with 1 GB
 * written grows by 2,076 kB with a plain fork and by 92 kB with COW. Here
 * PageTables is every table in use (PGDs included, as NR_PAGETABLE): the
 * plain child copies 512 PTE tables, its PMD and PUD tables and a PGD
 * (515 tables, 2,060 kB); the COW child only the PGD, PUD and PMD (12 kB).
 * The RFC's process had more mappings (libc, stack), each with its tables.
 */
static void fork_1g(struct pt_fixture *f, bool cow, uint64_t *pagetables_kb,
                    uint64_t *child_vmpte_kb)
{
	struct ptsim_mm *mm = f->mm, *child = NULL;
	uint64_t before;

	map_fixed(mm, AT(0), GiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), GiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(KB(pt_stats(mm).pgtables_bytes), 2056);
	before = pt_global().tables_in_use;
	if (cow) {
		child = cow_fork(f, mm);
	} else {
		STEP(mm, ptsim_fork(mm, &child));
		pt_adopt(f, child);
	}
	*pagetables_kb = (pt_global().tables_in_use - before) * 4;
	*child_vmpte_kb = KB(pt_stats(child).pgtables_bytes);
	assert_int_equal(pt_stats(child).rss_anon_pages, GiB / PG);
	assert_int_equal(KB(pt_stats(mm).pgtables_bytes), 2056);
	print_message("fork of 1 GiB written, %s: PageTables +%" PRIu64 " kB, child VmPTE %" PRIu64
	              " kB (RFC v1: +%s kB)\n",
	              cow ? "COW PTE" : "plain", *pagetables_kb, *child_vmpte_kb,
	              cow ? "92" : "2,076");
}

static void test_cow_rfc_figure_plain(void **state)
{
	uint64_t pt, vmpte;

	fork_1g(fx(state), false, &pt, &vmpte);
	assert_int_equal(pt, 2060);
	assert_int_equal(vmpte, 2056);
}

static void test_cow_rfc_figure_cow(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mms[2] = {f->mm, NULL};
	uint64_t pt, vmpte;

	fork_1g(f, true, &pt, &vmpte);
	assert_int_equal(pt, 12);
	assert_int_equal(vmpte, 8);
	mms[1] = f->extra[0];
	assert_int_equal(pt_stats(f->mm).cow_pte_shared, 512);
	assert_int_equal(pt_global().cow_pte_shared_tables, 512);
	assert_int_equal(pt_global().cow_pte_unowned_tables, 0);
	assert_tables_accounted(mms, 2);
	/* One write in the child copies one table: charged to the child. */
	STEP(mms[1], ptsim_touch(mms[1], AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(KB(pt_stats(mms[1]).pgtables_bytes), 12);
	assert_int_equal(pt_stats(mms[1]).cow_pte_copied, 1);
	assert_int_equal(pt_global().cow_pte_shared_tables, 511);
	assert_tables_accounted(mms, 2);
}

/* --- breaking COW: copy, then reuse; ownership ---------------------------- */

static void test_cow_break_copy_reuse(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[2];
	uint64_t frames0 = f->g0.frames_in_use, p0, p1;
	struct ptsim_mm_stats st;

	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	p0 = pfn_of(mm, AT(0));
	p1 = pfn_of(mm, AT(2 * MiB));
	child = cow_fork(f, mm);
	mms[0] = mm;
	mms[1] = child;
	/* Shared: both PMD entries read-only; the parent owns both tables. */
	assert_tables(mm, 1, 1, 2);
	assert_tables(child, 1, 1, 0);
	assert_int_equal(pt_stats(child).rss_anon_pages, 1024);
	assert_int_equal(pt_global().frames_in_use, frames0 + 1024);
	assert_int_equal(pt_global().cow_pte_shared_tables, 2);
	assert_false(is_writable(pt_pte(mm, AT(0))));
	assert_int_equal(pfn_of(child, AT(0)), p0);
	assert_tables_accounted(mms, 2);

	/* The child writes in table 0: it copies the table (+1 table for it),
	 * then the page (a COW fault: the frame is mapped twice). */
	STEP(child, ptsim_touch(child, AT(0), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(child);
	assert_int_equal(st.cow_pte_copied, 1);
	assert_int_equal(st.faults_cow, 1);
	assert_tables(child, 1, 1, 1);
	assert_int_not_equal(pfn_of(child, AT(0)), p0);
	assert_int_equal(pfn_of(mm, AT(0)), p0);
	assert_int_equal(pt_global().frames_in_use, frames0 + 1025);
	assert_int_equal(pt_global().cow_pte_shared_tables, 1);
	assert_tables_accounted(mms, 2);

	/* The parent writes in table 0: the last link, reused in place; the
	 * frame is still mapped by the child's copy, so the page is copied. */
	STEP(mm, ptsim_touch(mm, AT(PG), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.cow_pte_reused, 1);
	assert_int_equal(st.cow_pte_copied, 0);
	assert_tables(mm, 1, 1, 2);
	assert_int_equal(pt_global().frames_in_use, frames0 + 1026);

	/* The parent (owner) writes in table 1, still shared: it copies, its
	 * charge moves to the copy and the shared table is nobody's. */
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.cow_pte_copied, 1);
	assert_int_equal(st.cow_pte_disowned, 1);
	assert_tables(mm, 1, 1, 2);
	assert_int_equal(pt_global().cow_pte_unowned_tables, 1);
	assert_int_equal(pt_global().cow_pte_shared_tables, 0);
	assert_tables_accounted(mms, 2);

	/* The child writes there: it reuses the ownerless table and adopts it. */
	STEP(child, ptsim_touch(child, AT(2 * MiB + PG), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(child);
	assert_int_equal(st.cow_pte_reused, 1);
	assert_int_equal(st.cow_pte_adopted, 1);
	assert_tables(child, 1, 1, 2);
	assert_int_equal(pfn_of(child, AT(2 * MiB + 2 * PG)), pfn_of(mm, AT(2 * MiB + 2 * PG)));
	assert_int_not_equal(pfn_of(child, AT(2 * MiB + PG)), p1 + 1);
	assert_int_equal(pt_global().cow_pte_unowned_tables, 0);
	assert_tables_accounted(mms, 2);
}

/* A read fault fills a none entry: it too must not land in a shared table. */
static void test_cow_read_fault_breaks(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[2];

	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	child = cow_fork(f, mm);
	mms[0] = mm;
	mms[1] = child;
	STEP(child, ptsim_touch(child, AT(PG), PG, PTSIM_ACCESS_READ));
	assert_int_equal(pt_stats(child).cow_pte_copied, 1);
	assert_int_equal(pt_stats(child).zero_page_ptes, 1);
	assert_int_equal(pt_pte(mm, AT(PG)), 0);
	assert_tables_accounted(mms, 2);
}

/* --- zap: DONTNEED, MADV_FREE, munmap; mprotect ---------------------------- */

static void test_cow_dontneed(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[2];
	uint64_t frames0 = f->g0.frames_in_use;

	child = written_then_forked(f, 4 * MiB);
	mms[0] = mm;
	mms[1] = child;

	/* The child drops all of table 0: its link goes, the parent's stays. */
	STEP(child, ptsim_madvise(child, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_stats(child).cow_pte_dropped, 1);
	assert_int_equal(pt_stats(child).rss_anon_pages, 512);
	assert_int_equal(pt_pte(child, AT(0)), 0);
	assert_true(pt_pte(mm, AT(0)) & PTSIM_PTE_PRESENT);
	assert_int_equal(pt_stats(mm).rss_anon_pages, 1024);
	assert_int_equal(pt_global().frames_in_use, frames0 + 1024);
	assert_tables_accounted(mms, 2);

	/* The parent (owner) drops all of table 1: nobody is charged for it. */
	STEP(mm, ptsim_madvise(mm, AT(2 * MiB), 2 * MiB, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_stats(mm).cow_pte_dropped, 1);
	assert_int_equal(pt_stats(mm).cow_pte_disowned, 1);
	assert_int_equal(pt_global().cow_pte_unowned_tables, 1);
	assert_true(pt_pte(child, AT(2 * MiB)) & PTSIM_PTE_PRESENT);
	assert_tables_accounted(mms, 2);

	/* Part of table 0 in the parent: its link is the last, reused; the
	 * zap empties those entries and frees their frames. */
	STEP(mm, ptsim_madvise(mm, AT(0), MiB, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_stats(mm).cow_pte_reused, 1);
	assert_int_equal(pt_stats(mm).rss_anon_pages, 256);
	assert_int_equal(pt_global().frames_in_use, frames0 + 512 + 256);

	/* Part of table 1 in the child: reused and adopted. */
	STEP(child, ptsim_madvise(child, AT(2 * MiB), MiB, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_stats(child).cow_pte_adopted, 1);
	assert_int_equal(pt_global().frames_in_use, frames0 + 512);
	assert_tables_accounted(mms, 2);
}

static void test_cow_madv_free_and_mprotect(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[2];
	uint64_t pte;

	child = written_then_forked(f, 4 * MiB);
	mms[0] = mm;
	mms[1] = child;

	/* MADV_FREE changes entries: the child copies table 0 first. The
	 * frames are mapped twice, so they stay as they are. */
	pte = pt_pte(mm, AT(0));
	STEP(child, ptsim_madvise(child, AT(0), 2 * MiB, PTSIM_MADV_FREE));
	assert_int_equal(pt_stats(child).cow_pte_copied, 1);
	assert_int_equal(pt_pte(mm, AT(0)), pte);
	assert_tables_accounted(mms, 2);

	/* mprotect of part of table 1 in the parent: copied first, the
	 * child's entries keep their protection. */
	STEP(mm, ptsim_mprotect(mm, AT(2 * MiB), MiB, PTSIM_PROT_READ));
	assert_int_equal(pt_stats(mm).cow_pte_copied, 1);
	assert_int_equal(pt_global().cow_pte_shared_tables, 0);
	STEP(child, ptsim_touch(child, AT(2 * MiB), PG, PTSIM_ACCESS_WRITE));
	assert_true(is_writable(pt_pte(child, AT(2 * MiB))));
	assert_false(is_writable(pt_pte(mm, AT(2 * MiB))));
	assert_tables_accounted(mms, 2);
}

static void test_cow_munmap(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[2];
	uint64_t frames0 = f->g0.frames_in_use;

	child = written_then_forked(f, 6 * MiB);
	mms[0] = mm;
	mms[1] = child;

	/* Unmapping whole tables drops links; part of one, copies it. */
	STEP(child, ptsim_munmap(child, AT(0), 3 * MiB));
	assert_int_equal(pt_stats(child).cow_pte_dropped, 1);
	assert_int_equal(pt_stats(child).cow_pte_copied, 1);
	assert_int_equal(pt_stats(child).rss_anon_pages, 768);
	assert_tables(child, 1, 1, 1);
	assert_int_equal(pt_global().frames_in_use, frames0 + 1536);
	assert_tables_accounted(mms, 2);

	/* The parent unmaps everything: drops table 2 (nobody owns it then),
	 * frees its own tables 0 and 1. */
	STEP(mm, ptsim_munmap(mm, AT(0), 6 * MiB));
	assert_tables(mm, 0, 0, 0); /* no VMA left: free_pgtables() takes the upper tables */
	assert_int_equal(pt_global().cow_pte_unowned_tables, 1);
	assert_int_equal(pt_global().frames_in_use, frames0 + 768);
	assert_tables_accounted(mms, 2);

	/* The child unmaps the rest: reuses (adopts) the last shared table and frees it. */
	STEP(child, ptsim_munmap(child, AT(3 * MiB), 3 * MiB));
	assert_int_equal(pt_global().cow_pte_unowned_tables, 0);
	assert_int_equal(pt_global().frames_in_use, frames0);
	assert_tables(child, 0, 0, 0);
	assert_tables_accounted(mms, 2);
}

/* A VMA that covers only part of a table: that table is copied. */
static void test_cow_partial_tables_copied(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child;

	map_fixed(mm, AT(MiB), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(MiB), 4 * MiB, PTSIM_ACCESS_WRITE));
	child = cow_fork(f, mm);
	assert_int_equal(pt_stats(mm).cow_pte_shared, 1);
	assert_tables(child, 1, 1, 2);
	assert_true(pt_pte(child, AT(MiB)) & PTSIM_PTE_PRESENT);
}

/* A pinned frame mapped only by the parent: its table is copied, and the
 * child gets a copy of that page at once, as a plain fork does. */
static void pinned_frame_falls_back(void **state, uint64_t mode)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child;
	uint64_t pfn;

	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(ptsim_gup_fast(mm, AT(0), 1, 1, &pfn), 1);
	child = cow_fork_mode(f, mm, mode);
	assert_int_equal(pt_stats(mm).cow_pte_shared, 1);
	assert_tables(child, 1, 1, 1);
	assert_int_not_equal(pfn_of(child, AT(0)), pfn);
	/* GUP-fast may not write through a read-only PMD; it may read. */
	assert_int_equal(ptsim_gup_fast(child, AT(2 * MiB), 4, 1, &(uint64_t[4]){0}[0]), 0);
	{
		uint64_t pfns[4];

		assert_int_equal(ptsim_gup_fast(child, AT(2 * MiB), 4, 0, pfns), 4);
		ptsim_unpin(pfns, 4);
	}
	ptsim_unpin(&pfn, 1);
	assert_mm_ok(mm);
	assert_mm_ok(child);
}

static void test_cow_pinned_frame_falls_back(void **state)
{
	pinned_frame_falls_back(state, 1);
}

static void test_cow_deferred_pinned_frame_falls_back(void **state)
{
	pinned_frame_falls_back(state, 2);
}

/* --- fork and exit orders ------------------------------------------------- */

enum order { PARENT_FIRST, CHILD_FIRST };

static void fork_exit(void **state, enum order order)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[1];
	uint64_t frames0 = f->g0.frames_in_use;

	child = written_then_forked(f, 8 * MiB);
	/* some tables broken on each side before the exit */
	STEP(child, ptsim_touch(child, AT(0), PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), PG, PTSIM_ACCESS_WRITE));
	if (order == PARENT_FIRST) {
		ptsim_mm_destroy(mm);
		f->mm = NULL;
		mms[0] = child;
		/* table 1, which the parent copied, and tables 2 and 3 it dropped */
		assert_int_equal(pt_global().cow_pte_unowned_tables, 3);
		assert_tables_accounted(mms, 1);
		assert_tables(child, 1, 1, 1);
		assert_int_equal(pt_stats(child).rss_anon_pages, 2048);
		assert_int_equal(pt_global().frames_in_use, frames0 + 2048);
		STEP(child, ptsim_touch(child, AT(2 * MiB), 6 * MiB, PTSIM_ACCESS_WRITE));
		assert_int_equal(pt_stats(child).cow_pte_adopted, 3);
		assert_int_equal(pt_global().cow_pte_unowned_tables, 0);
		assert_tables(child, 1, 1, 4);
	} else {
		pt_destroy(f, child);
		mms[0] = mm;
		assert_int_equal(pt_global().cow_pte_unowned_tables, 0);
		assert_tables_accounted(mms, 1);
		assert_tables(mm, 1, 1, 4);
		assert_int_equal(pt_global().frames_in_use, frames0 + 2048);
	}
}

static void test_cow_exit_parent_first(void **state)
{
	fork_exit(state, PARENT_FIRST);
}

static void test_cow_exit_child_first(void **state)
{
	fork_exit(state, CHILD_FIRST);
}

/* --- mode 2: accounting deferred to the break (On-Demand-Fork, RFC v1/v2) -- */

/*
 * Fork of 1 GiB written with PTSIM_OPT_COW_PTE = 2. Frame references are
 * read as do_wp_page() reads them: a write reuses the frame in place when
 * only one reference is left, and copies it otherwise; frames_in_use
 * counts the frames with any reference.
 */
static void deferred_1g(void **state, enum order order)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[2];
	uint64_t frames0 = f->g0.frames_in_use, before, p0, p1, p2, p4;
	struct ptsim_mm_stats st;

	map_fixed(mm, AT(0), GiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), GiB, PTSIM_ACCESS_WRITE));
	p0 = pfn_of(mm, AT(0));
	p1 = pfn_of(mm, AT(PG));
	p2 = pfn_of(mm, AT(2 * MiB));
	p4 = pfn_of(mm, AT(4 * MiB));
	before = pt_global().tables_in_use;
	child = cow_fork_mode(f, mm, 2);
	mms[0] = mm;
	mms[1] = child;
	/* Linked, not walked: the entries stay writable under read-only PMD
	 * entries, no frame gains a reference, the child's RSS is empty
	 * (only the owner is charged, as RFC v2). */
	assert_int_equal((pt_global().tables_in_use - before) * 4, 12);
	assert_int_equal(KB(pt_stats(child).pgtables_bytes), 8);
	assert_int_equal(KB(pt_stats(mm).pgtables_bytes), 2056);
	assert_int_equal(pt_stats(child).rss_anon_pages, 0);
	assert_int_equal(pt_stats(mm).rss_anon_pages, GiB / PG);
	assert_int_equal(pt_global().frames_in_use, frames0 + GiB / PG);
	assert_true(is_writable(pt_pte(mm, AT(0))));
	assert_int_equal(pfn_of(child, AT(0)), p0);
	assert_int_equal(pt_stats(mm).cow_pte_shared, 512);
	assert_int_equal(pt_global().cow_pte_shared_tables, 512);
	assert_tables_accounted(mms, 2);

	/* The child writes one page: it copies table 0, taking a reference on
	 * its 512 frames and write-protecting them, then copies the page. */
	STEP(child, ptsim_touch(child, AT(0), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(child);
	assert_int_equal(st.cow_pte_copied, 1);
	assert_int_equal(st.faults_cow, 1);
	assert_int_equal(st.rss_anon_pages, 512);
	assert_int_equal(KB(st.pgtables_bytes), 12);
	assert_int_not_equal(pfn_of(child, AT(0)), p0);
	assert_int_equal(pfn_of(child, AT(PG)), p1);
	assert_false(is_writable(pt_pte(mm, AT(PG))));
	assert_true(is_writable(pt_pte(mm, AT(2 * MiB))));
	assert_int_equal(pt_global().frames_in_use, frames0 + GiB / PG + 1);
	assert_int_equal(pt_global().cow_pte_shared_tables, 511);
	assert_tables_accounted(mms, 2);

	/* The parent (owner) writes in table 2: its copy keeps its RSS, the
	 * shared table is nobody's, and the page (two references) is copied. */
	STEP(mm, ptsim_touch(mm, AT(4 * MiB), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.cow_pte_copied, 1);
	assert_int_equal(st.cow_pte_disowned, 1);
	assert_int_equal(st.rss_anon_pages, GiB / PG);
	assert_int_equal(KB(st.pgtables_bytes), 2056);
	assert_int_not_equal(pfn_of(mm, AT(4 * MiB)), p4);
	assert_int_equal(pt_global().frames_in_use, frames0 + GiB / PG + 2);
	assert_int_equal(pt_global().cow_pte_unowned_tables, 1);
	assert_tables_accounted(mms, 2);

	if (order == PARENT_FIRST) {
		/* The parent's own frames at 0 and 4 MiB go; its 510 links
		 * drop and put nothing; it owned them, so nobody does now. */
		ptsim_mm_destroy(mm);
		f->mm = NULL;
		mms[0] = child;
		assert_int_equal(pt_global().frames_in_use, frames0 + GiB / PG);
		assert_int_equal(pt_global().cow_pte_unowned_tables, 511);
		assert_int_equal(pt_stats(child).rss_anon_pages, 512);
		assert_tables_accounted(mms, 1);
		/* One reference left on each: writes reuse the frames. */
		STEP(child, ptsim_touch(child, AT(PG), PG, PTSIM_ACCESS_WRITE));
		assert_int_equal(pfn_of(child, AT(PG)), p1);
		STEP(child, ptsim_touch(child, AT(4 * MiB), PG, PTSIM_ACCESS_WRITE));
		st = pt_stats(child);
		assert_int_equal(pfn_of(child, AT(4 * MiB)), p4);
		assert_int_equal(st.cow_pte_adopted, 1);
		assert_int_equal(st.rss_anon_pages, 1024);
		assert_int_equal(KB(st.pgtables_bytes), 16);
		assert_int_equal(pt_global().frames_in_use, frames0 + GiB / PG);
		assert_int_equal(pt_global().cow_pte_unowned_tables, 510);
		assert_tables_accounted(mms, 1);
		pt_destroy(f, child);
	} else {
		/* The child's copy of table 0 puts its references; its link to
		 * table 2 is the last one, reused (adopted) and zapped: p4 goes;
		 * its 510 other links drop and put nothing. */
		pt_destroy(f, child);
		mms[0] = mm;
		assert_int_equal(pt_global().frames_in_use, frames0 + GiB / PG);
		assert_int_equal(pt_global().cow_pte_unowned_tables, 0);
		assert_int_equal(pt_global().cow_pte_shared_tables, 0);
		assert_int_equal(pt_stats(mm).rss_anon_pages, GiB / PG);
		assert_tables_accounted(mms, 1);
		STEP(mm, ptsim_touch(mm, AT(PG), PG, PTSIM_ACCESS_WRITE));
		assert_int_equal(pfn_of(mm, AT(PG)), p1);
		STEP(mm, ptsim_touch(mm, AT(2 * MiB), PG, PTSIM_ACCESS_WRITE));
		assert_int_equal(pfn_of(mm, AT(2 * MiB)), p2);
		st = pt_stats(mm);
		assert_int_equal(st.rss_anon_pages, GiB / PG);
		assert_int_equal(st.cow_pte_adopted, 0);
		assert_int_equal(KB(st.pgtables_bytes), 2056);
		assert_int_equal(pt_global().frames_in_use, frames0 + GiB / PG);
		assert_tables_accounted(mms, 1);
	}
}

/* Zero-page entries follow the RSS: the owner's count until the sharer
 * copies or reuses the table, then the sharer's too. */
static void test_cow_deferred_zero_page(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *mms[2];
	struct ptsim_mm_stats st;

	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(MiB), MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), 2 * MiB, PTSIM_ACCESS_READ));
	child = cow_fork_mode(f, mm, 2);
	mms[0] = mm;
	mms[1] = child;
	st = pt_stats(child);
	assert_int_equal(st.rss_anon_pages, 0);
	assert_int_equal(st.zero_page_ptes, 0);
	assert_int_equal(pt_stats(mm).zero_page_ptes, 768);
	/* A write copies table 0 (256 frames, 256 zero-page entries), then
	 * replaces one zero-page entry by a new frame. */
	STEP(child, ptsim_touch(child, AT(MiB), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(child);
	assert_int_equal(st.rss_anon_pages, 257);
	assert_int_equal(st.zero_page_ptes, 255);
	assert_tables_accounted(mms, 2);
	/* The owner leaves: a write makes the child reuse table 1 and take its
	 * 512 zero-page entries, one of which the write then replaces. */
	ptsim_mm_destroy(mm);
	f->mm = NULL;
	mms[0] = child;
	assert_int_equal(pt_stats(child).zero_page_ptes, 255);
	STEP(child, ptsim_touch(child, AT(2 * MiB), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(child);
	assert_int_equal(st.cow_pte_adopted, 1);
	assert_int_equal(st.zero_page_ptes, 766);
	assert_int_equal(st.rss_anon_pages, 258);
	assert_tables_accounted(mms, 1);
}

static void test_cow_deferred_exit_parent_first(void **state)
{
	deferred_1g(state, PARENT_FIRST);
}

static void test_cow_deferred_exit_child_first(void **state)
{
	deferred_1g(state, CHILD_FIRST);
}

/* Parent, child and grandchild share one table (three links); they go
 * in every order, each leaving the others' views intact. */
static void test_cow_grandchildren(void **state)
{
	static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
	                                 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	struct pt_fixture *f = fx(state);
	uint64_t frames0 = f->g0.frames_in_use;

	for (int o = 0; o < 6; o++) {
		struct ptsim_mm *m[3] = {NULL}, *live[4];
		uint64_t pfn;
		int nlive;

		assert_int_equal(ptsim_mm_create(pt_strategy, &m[0]), 0);
		map_fixed(m[0], AT(0), 4 * MiB, PROT_RW);
		STEP(m[0], ptsim_touch(m[0], AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
		pfn = pfn_of(m[0], AT(2 * MiB));
		assert_int_equal(ptsim_mm_set_option(m[0], PTSIM_OPT_COW_PTE, 1), 0);
		STEP(m[0], ptsim_fork(m[0], &m[1]));
		/* the child breaks table 0 before forking again: table 1 has 3 links */
		STEP(m[1], ptsim_touch(m[1], AT(0), PG, PTSIM_ACCESS_WRITE));
		STEP(m[1], ptsim_fork(m[1], &m[2]));
		assert_int_equal(pt_stats(m[1]).cow_pte_shared, 2);
		assert_int_equal(pt_global().cow_pte_shared_tables, 2);
		for (int k = 0; k < 3; k++) {
			ptsim_mm_destroy(m[orders[o][k]]);
			m[orders[o][k]] = NULL;
			nlive = 0;
			for (int j = 0; j < 3; j++)
				if (m[j])
					live[nlive++] = m[j];
			live[nlive] = f->mm; /* the fixture's, empty */
			assert_tables_accounted(live, nlive + 1);
			for (int j = 0; j < nlive; j++) {
				assert_int_equal(pfn_of(live[j], AT(2 * MiB)), pfn);
				assert_int_equal(pt_stats(live[j]).rss_anon_pages, 1024);
			}
		}
		assert_int_equal(pt_global().cow_pte_shared_tables, 0);
		assert_int_equal(pt_global().cow_pte_unowned_tables, 0);
		assert_int_equal(pt_global().frames_in_use, frames0);
	}
}

/* Each child's write after a COW fork costs one table copy, not 512 at fork. */
static void test_cow_plain_fork_of_cow_links(void **state)
{
	struct pt_fixture *f = fx(state);
	struct ptsim_mm *mm = f->mm, *child, *plain = NULL, *mms[3];

	child = written_then_forked(f, 4 * MiB);
	/* The option off, the next fork copies: the parent breaks its links first. */
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, 0), 0);
	STEP(mm, ptsim_fork(mm, &plain));
	pt_adopt(f, plain);
	assert_tables(plain, 1, 1, 2);
	assert_int_equal(pt_stats(mm).cow_pte_copied, 2);
	mms[0] = mm;
	mms[1] = child;
	mms[2] = plain;
	assert_tables_accounted(mms, 3);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_cow_option, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_rfc_figure_plain, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_rfc_figure_cow, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_break_copy_reuse, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_read_fault_breaks, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_dontneed, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_madv_free_and_mprotect, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_munmap, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_partial_tables_copied, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_pinned_frame_falls_back, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_exit_parent_first, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_exit_child_first, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_grandchildren, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_deferred_exit_parent_first, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_deferred_exit_child_first, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_deferred_zero_page, pt_setup, pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_deferred_pinned_frame_falls_back, pt_setup,
	                                        pt_teardown),
	        cmocka_unit_test_setup_teardown(test_cow_plain_fork_of_cow_links, pt_setup,
	                                        pt_teardown),
	};
	char group[64];
	int rc = pt_strategy_from_args(argc, argv, PTSIM_STRATEGY_NONE);

	if (rc >= 0)
		return rc;
	snprintf(group, sizeof(group), "cow_pte_%s", ptsim_strategy_name(pt_strategy));
	return _cmocka_run_group_tests(group, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}

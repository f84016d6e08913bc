// SPDX-License-Identifier: MIT
/*
 * Issue 4 "done when": the atomic, percpu and bitfield strategies against
 * each other and against none and rcu, run in one program over every
 * strategy this build has.
 *
 * - 1 GiB written then MADV_DONTNEED: atomic and percpu keep only the PUD
 *   and PMD tables (8 KiB) like rcu; bitfield keeps the 512 PTE tables
 *   (2056 KiB) until ptsim_reclaim(), which returns exactly 512 * 4096 and
 *   leaves 8 KiB; reclaimable_pt_bytes exact before and after.
 * - A read-only touch of 64 MiB: a bitfield reclaim frees every zero-page
 *   table (32) and nothing else.
 * - refcount_atomics: > 0 for atomic on faults, 0 for none, rcu, bitfield
 *   (and percpu while its tables are in percpu mode); rwsem: two per walk
 *   (a fault, a zap, a locked walk, a free pass), whatever its length.
 * - Tables freed per path.
 * - rwsem: DONTNEED of the 1 GiB frees the PMD and PUD tables too (0 KiB).
 */
#include "common/ptsim_test.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#define TABLES_1G 512ULL

static bool refcounted(void)
{
	return pt_strategy == PTSIM_STRATEGY_ATOMIC || pt_strategy == PTSIM_STRATEGY_PERCPU;
}

static void test_dontneed_1g(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct ptsim_mm_stats st;
	int64_t r;

	map_fixed(mm, AT(0), GiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), GiB, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.pgtables_bytes, 2056 * KiB);
	assert_int_equal(st.reclaimable_pt_bytes, 0);

	STEP(mm, ptsim_madvise(mm, AT(0), GiB, PTSIM_MADV_DONTNEED));
	st = pt_stats(mm);
	assert_int_equal(st.rss_anon_pages, 0);
	if (pt_strategy == PTSIM_STRATEGY_RWSEM) {
		/* the emptied PMD and PUD tables go with the 512 PTE tables */
		assert_int_equal(st.pgtables_bytes, 0);
		assert_int_equal(st.pte_tables_freed_zap, TABLES_1G);
		assert_int_equal(st.pmd_tables_freed, 1);
		assert_int_equal(st.pud_tables_freed, 1);
		assert_int_equal(st.pgtables_bytes_freed, (TABLES_1G + 2) * TABLE_BYTES);
		assert_int_equal(st.pt_rwsem_write.acquisitions, 1); /* one free pass */
		assert_int_equal(ptsim_reclaim(mm), 0);
	} else if (refcounted() || pt_strategy == PTSIM_STRATEGY_RCU) {
		assert_int_equal(st.pgtables_bytes, 8192);
		assert_int_equal(st.pte_tables_freed_zap, TABLES_1G);
		assert_int_equal(st.pte_tables_freed, TABLES_1G);
		assert_int_equal(st.reclaimable_pt_bytes, 0);
		assert_int_equal(ptsim_reclaim(mm), 0);
	} else if (pt_strategy == PTSIM_STRATEGY_BITFIELD) {
		assert_int_equal(st.pgtables_bytes, 2056 * KiB);
		assert_int_equal(st.pte_tables_freed, 0);
		assert_int_equal(st.reclaimable_pt_bytes, TABLES_1G * TABLE_BYTES);
		r = ptsim_reclaim(mm);
		assert_int_equal(r, TABLES_1G * TABLE_BYTES);
		assert_mm_ok(mm);
		st = pt_stats(mm);
		assert_int_equal(st.pgtables_bytes, 8192);
		assert_int_equal(st.reclaimable_pt_bytes, 0);
		assert_int_equal(st.pte_tables_freed_reclaim, TABLES_1G);
		assert_int_equal(st.pte_tables_freed, TABLES_1G);
		assert_int_equal(st.reclaim_passes, 1);
		/* a second pass finds nothing */
		assert_int_equal(ptsim_reclaim(mm), 0);
		assert_int_equal(pt_stats(mm).reclaim_passes, 2);
	} else {
		assert_int_equal(st.pgtables_bytes, 2056 * KiB);
		assert_int_equal(st.pte_tables_freed, 0);
		assert_int_equal(ptsim_reclaim(mm), 0);
	}
	/* the memory is usable again: faults allocate what was freed */
	STEP(mm, ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).rss_anon_pages, 1024);
	STEP(mm, ptsim_munmap(mm, AT(0), GiB));
	assert_int_equal(pt_stats(mm).pgtables_bytes, 0);
	assert_int_equal(pt_stats(mm).reclaimable_pt_bytes, 0);
}

static void test_bitfield_zero_page_tables(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct ptsim_mm_stats st;
	uint64_t written;

	if (pt_strategy != PTSIM_STRATEGY_BITFIELD)
		skip();
	/* [r x 32 tables][w: one page][r+w mixed] */
	map_fixed(mm, AT(0), 64 * MiB + 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 64 * MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_touch(mm, AT(64 * MiB), PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_touch(mm, AT(66 * MiB), 2 * MiB, PTSIM_ACCESS_READ));
	STEP(mm, ptsim_touch(mm, AT(66 * MiB), PG, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.nr_pte_tables, 34);
	assert_int_equal(st.zero_page_ptes, 32 * 512 + 511);
	assert_int_equal(st.reclaimable_pt_bytes, 32 * TABLE_BYTES);
	written = pt_pte(mm, AT(64 * MiB));

	assert_int_equal(ptsim_reclaim(mm), 32 * TABLE_BYTES);
	assert_mm_ok(mm);
	st = pt_stats(mm);
	assert_int_equal(st.nr_pte_tables, 2);
	assert_int_equal(st.pte_tables_freed_reclaim, 32);
	assert_int_equal(st.zero_page_ptes, 511);
	assert_int_equal(st.rss_anon_pages, 2);
	assert_int_equal(st.reclaimable_pt_bytes, 0);
	assert_int_equal(pt_pte(mm, AT(0)), 0);
	assert_int_equal(pt_pte(mm, AT(64 * MiB)), written);
	assert_int_equal(PTSIM_PTE_PFN(pt_pte(mm, AT(66 * MiB + PG))), ptsim_zero_pfn());

	/* reading again maps the zero page again; the tables count again once
	 * all 512 entries of one map the zero page */
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_READ));
	assert_int_equal(pt_stats(mm).reclaimable_pt_bytes, TABLE_BYTES);
	/* COW of one zero-page entry takes it out */
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).reclaimable_pt_bytes, 0);
	assert_int_equal(ptsim_reclaim(mm), 0);
	/* a DONTNEED of the written page makes the mixed table empty-or-zero */
	STEP(mm, ptsim_madvise(mm, AT(0), PG, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_stats(mm).reclaimable_pt_bytes, 0); /* 511 zero of 511 mapped */
	STEP(mm, ptsim_madvise(mm, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_stats(mm).reclaimable_pt_bytes, TABLE_BYTES); /* empty */
	/* munmap of a counted table takes it out of the total */
	STEP(mm, ptsim_munmap(mm, AT(0), 2 * MiB));
	assert_int_equal(pt_stats(mm).reclaimable_pt_bytes, 0);
}

static void test_refcount_atomics(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct ptsim_mm_stats st;

	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.faults, 512);
	switch (pt_strategy) {
	case PTSIM_STRATEGY_ATOMIC:
		/* pte_try_get, the entry's get, pte_put: three per fault, but the
		 * installer's reference comes with pmd_install() (no RMW) */
		assert_int_equal(st.refcount_atomics, 3 * 512 - 1);
		break;
	case PTSIM_STRATEGY_RWSEM:
		/* down_read and up_read of the page-table rwsem: two per fault */
		assert_int_equal(st.refcount_atomics, 2 * 512);
		assert_int_equal(st.pt_rwsem.acquisitions, 512);
		break;
	default:
		/* percpu: the table is still in percpu mode */
		assert_int_equal(st.refcount_atomics, 0);
		break;
	}
	/* percpu: a partial DONTNEED switches the table to atomic mode for good */
	STEP(mm, ptsim_madvise(mm, AT(0), PG, PTSIM_MADV_DONTNEED));
	st = pt_stats(mm);
	if (pt_strategy == PTSIM_STRATEGY_PERCPU) {
		uint64_t before = st.refcount_atomics;

		assert_true(before > 0);
		assert_int_equal(st.nr_pte_tables, 1);
		STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
		assert_int_equal(pt_stats(mm).refcount_atomics, before + 3);
		/* a table of its own, in percpu mode: no atomics */
		before = pt_stats(mm).refcount_atomics;
		STEP(mm, ptsim_touch(mm, AT(2 * MiB), 2 * MiB, PTSIM_ACCESS_WRITE));
		assert_int_equal(pt_stats(mm).refcount_atomics, before);
	} else if (pt_strategy == PTSIM_STRATEGY_RWSEM) {
		/* the zap's walk (read) and the free pass (write): two each */
		assert_int_equal(st.refcount_atomics, 2 * 512 + 4);
		assert_int_equal(st.pt_rwsem.acquisitions, 514);
		assert_int_equal(st.pt_rwsem_write.acquisitions, 1);
		assert_int_equal(st.pt_rwsem.contended, 0);
	} else if (pt_strategy != PTSIM_STRATEGY_ATOMIC) {
		assert_int_equal(st.refcount_atomics, 0);
	}
	printf("# %s: refcount_atomics %llu after %llu faults\n", ptsim_strategy_name(pt_strategy),
	       (unsigned long long)pt_stats(mm).refcount_atomics,
	       (unsigned long long)pt_stats(mm).faults);
}

static int count_entry(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	(void)pte;
	(void)addr;
	(void)next;
	++*(uint64_t *)priv;
	return 0;
}

/*
 * Jason Gunthorpe's "two atomic per page table walk operation" against
 * "two atomics on every PTE map": one locked walk over 1 GiB with 512 PTE
 * tables (one written page each) costs rwsem two atomics, atomic two per
 * table it maps (pte_try_get and pte_put), the others none.
 */
static void test_atomics_per_walk(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	const struct ptsim_walk_ops ops = {.pte_entry = count_entry};
	struct ptsim_mm_stats st0, st;
	uint64_t entries = 0;

	map_fixed(mm, AT(0), GiB, PROT_RW);
	for (uint64_t a = 0; a < GiB; a += 2 * MiB)
		STEP(mm, ptsim_touch(mm, AT(a), PG, PTSIM_ACCESS_WRITE));
	st0 = pt_stats(mm);
	STEP(mm, ptsim_walk_page_range(mm, AT(0), AT(GiB), &ops, &entries));
	st = pt_stats(mm);
	assert_int_equal(entries, GiB / PG);
	switch (pt_strategy) {
	case PTSIM_STRATEGY_ATOMIC:
		assert_int_equal(st.refcount_atomics - st0.refcount_atomics, 2 * TABLES_1G);
		break;
	case PTSIM_STRATEGY_RWSEM:
		assert_int_equal(st.refcount_atomics - st0.refcount_atomics, 2);
		assert_int_equal(st.pt_rwsem.acquisitions - st0.pt_rwsem.acquisitions, 1);
		break;
	default: /* percpu: every table still in percpu mode */
		assert_int_equal(st.refcount_atomics - st0.refcount_atomics, 0);
		break;
	}
	printf("# %s: a walk of 1 GiB (512 PTE tables) cost %llu atomics\n",
	       ptsim_strategy_name(pt_strategy),
	       (unsigned long long)(st.refcount_atomics - st0.refcount_atomics));
}

/* A table emptied by a path that does not free (munmap's zap of part of a
 * table) is freed by the next visitor under percpu, by that zap under atomic. */
static void test_freed_per_path(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct ptsim_mm_stats st;

	map_fixed(mm, AT(0), 2 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 2 * PG, PTSIM_ACCESS_WRITE));
	/* [w.......] after DONTNEED of the second page */
	STEP(mm, ptsim_madvise(mm, AT(PG), PG, PTSIM_MADV_DONTNEED));
	assert_int_equal(pt_stats(mm).nr_pte_tables, 1);
	/* [ .......] munmap of the first page: the VMA still needs the table */
	STEP(mm, ptsim_munmap(mm, AT(0), PG));
	st = pt_stats(mm);
	switch (pt_strategy) {
	case PTSIM_STRATEGY_ATOMIC:
		/* the zap dropped the last reference */
		assert_int_equal(st.nr_pte_tables, 0);
		assert_int_equal(st.pte_tables_freed_zap, 1);
		break;
	case PTSIM_STRATEGY_PERCPU:
		/* empty, atomic mode, count 0: the release is a no-op */
		assert_int_equal(st.nr_pte_tables, 1);
		STEP(mm, ptsim_touch(mm, AT(8 * PG), PG, PTSIM_ACCESS_WRITE));
		st = pt_stats(mm);
		/* the fault's tryget failed and freed it, then allocated a new one */
		assert_int_equal(st.pte_tables_freed_walker, 1);
		assert_int_equal(st.pte_tables_allocated, 2);
		assert_int_equal(st.nr_pte_tables, 1);
		break;
	case PTSIM_STRATEGY_BITFIELD:
		assert_int_equal(st.nr_pte_tables, 1);
		assert_int_equal(st.reclaimable_pt_bytes, TABLE_BYTES);
		assert_int_equal(ptsim_reclaim(mm), TABLE_BYTES);
		assert_int_equal(pt_stats(mm).pte_tables_freed_reclaim, 1);
		break;
	default:
		assert_int_equal(st.nr_pte_tables, 1);
		break;
	}
	STEP(mm, ptsim_munmap(mm, AT(0), 2 * MiB));
	st = pt_stats(mm);
	assert_int_equal(st.nr_pte_tables, 0);
	assert_int_equal(st.pte_tables_freed, st.pte_tables_allocated);
	assert_int_equal(st.pte_tables_freed_zap + st.pte_tables_freed_unmap +
	                         st.pte_tables_freed_reclaim + st.pte_tables_freed_walker,
	                 st.pte_tables_freed);
}

/* atomic (v3): a table's life takes the PMD lock twice, to install it
 * (with the installer's reference) and to free it at zero; no revive. */
static void test_atomic_pmd_lock_per_life(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct ptsim_mm_stats st0, st;
	const uint64_t n = 16;

	if (pt_strategy != PTSIM_STRATEGY_ATOMIC)
		skip();
	map_fixed(mm, AT(0), n * 2 * MiB, PROT_RW);
	/* the PUD and PMD tables first: they are installed under page_table_lock */
	STEP(mm, ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_madvise(mm, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED));
	st0 = pt_stats(mm);
	for (uint64_t i = 0; i < n; i++) {
		STEP(mm, ptsim_touch(mm, AT(i * 2 * MiB), 3 * PG, PTSIM_ACCESS_WRITE));
		STEP(mm, ptsim_madvise(mm, AT(i * 2 * MiB), 2 * MiB, PTSIM_MADV_DONTNEED));
	}
	st = pt_stats(mm);
	assert_int_equal(st.pte_tables_allocated - st0.pte_tables_allocated, n);
	assert_int_equal(st.pte_tables_freed_zap - st0.pte_tables_freed_zap, n);
	assert_int_equal(st.nr_pte_tables, 0);
	assert_int_equal(st.pmd_lock.acquisitions - st0.pmd_lock.acquisitions, 2 * n);
	/* per life: the first fault 2 RMW (get, put), the others 3, the zap 2 */
	assert_int_equal(st.refcount_atomics - st0.refcount_atomics, n * (2 + 3 + 3 + 2));
	printf("# atomic: %llu PMD-lock acquisitions over %llu table lives\n",
	       (unsigned long long)(st.pmd_lock.acquisitions - st0.pmd_lock.acquisitions),
	       (unsigned long long)n);
}

/* percpu: the percpu_ref block beside each table (80 B + 8 B x nr_cpu_ids,
 * outside VmPTE); DONTNEED and MADV_FREE (patch 15/18) each wait for one
 * grace period per table they switch; expedited or normal per option. */
static void test_percpu_side_block_and_gp(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct ptsim_mm_stats st;

	if (pt_strategy != PTSIM_STRATEGY_PERCPU)
		skip();
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_NR_CPU_IDS, 64), 0);
	map_fixed(mm, AT(0), 8 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 8 * MiB, PTSIM_ACCESS_WRITE));
	st = pt_stats(mm);
	assert_int_equal(st.nr_pte_tables, 4);
	assert_int_equal(st.pt_side_bytes, 4 * (80 + 8 * 64));
	assert_int_equal(st.pgtables_bytes, (4 + 1 + 1) * TABLE_BYTES); /* VmPTE: tables only */
	assert_int_equal(st.refcount_atomics, 0); /* one thread, a CPU of its own */
	assert_int_equal(st.gp_waits, 0);

	/* MADV_FREE: every table switched (one normal grace period each), none freed */
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_FREE));
	st = pt_stats(mm);
	assert_int_equal(st.gp_waits, 2);
	assert_true(st.gp_wait_ns >= 2 * 1000000ULL); /* the modelled floor of a normal one */
	assert_int_equal(st.nr_pte_tables, 4);
	/* switched tables stay atomic: DONTNEED needs no grace period for them */
	STEP(mm, ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_DONTNEED));
	st = pt_stats(mm);
	assert_int_equal(st.gp_waits, 2);
	assert_int_equal(st.nr_pte_tables, 2);
	assert_int_equal(st.pt_side_bytes, 2 * (80 + 8 * 64));
	/* expedited: still one grace period per table, counted the same way */
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_GP_EXPEDITED, 1), 0);
	STEP(mm, ptsim_madvise(mm, AT(4 * MiB), 4 * MiB, PTSIM_MADV_DONTNEED));
	st = pt_stats(mm);
	assert_int_equal(st.gp_waits, 4);
	assert_int_equal(st.nr_pte_tables, 0);
	assert_int_equal(st.pt_side_bytes, 0);
	printf("# percpu: 4 grace periods (2 normal, 2 expedited) %llu ns in all\n",
	       (unsigned long long)st.gp_wait_ns);
}

struct pcpu_thread_arg {
	struct ptsim_mm *mm;
	uint64_t base;
};

static void *pcpu_fault_thread(void *a)
{
	struct pcpu_thread_arg *t = a;

	if (ptsim_touch(t->mm, t->base, 2 * MiB, PTSIM_ACCESS_WRITE))
		return (void *)1;
	return NULL;
}

/* percpu fast path: threads with a simulated CPU each add plainly, no RMW;
 * a thread beyond nr_cpu_ids shares the atomic count and pays one per get. */
static void test_percpu_plain_adds(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct pcpu_thread_arg a[4];
	pthread_t th[4];
	void *rc;

	if (pt_strategy != PTSIM_STRATEGY_PERCPU)
		skip();
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_NR_CPU_IDS, 8), 0);
	/* this thread keeps its CPU for the test's life: take one now */
	map_fixed(mm, AT(0), 10 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(8 * MiB), PG, PTSIM_ACCESS_WRITE));
	for (int i = 0; i < 4; i++) {
		a[i] = (struct pcpu_thread_arg){mm, AT((uint64_t)i * 2 * MiB)};
		assert_int_equal(pthread_create(&th[i], NULL, pcpu_fault_thread, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &rc), 0);
		assert_null(rc);
	}
	assert_mm_ok(mm);
	assert_int_equal(pt_stats(mm).faults, 4 * 512 + 1);
	assert_int_equal(pt_stats(mm).refcount_atomics, 0);
}

/* More threads than CPUs: with nr_cpu_ids 1, this thread owns CPU 0 and
 * another thread has no counter of its own: get, the entry's get and put
 * are RMW on the shared count, three per fault. */
static void test_percpu_more_threads_than_cpus(void **state)
{
	struct ptsim_mm *mm = ((struct pt_fixture *)*state)->mm;
	struct pcpu_thread_arg a;
	pthread_t th;
	void *rc;

	if (pt_strategy != PTSIM_STRATEGY_PERCPU)
		skip();
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_NR_CPU_IDS, 1), 0);
	map_fixed(mm, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(2 * MiB), PG, PTSIM_ACCESS_WRITE));
	assert_int_equal(pt_stats(mm).refcount_atomics, 0);
	a = (struct pcpu_thread_arg){mm, AT(0)};
	assert_int_equal(pthread_create(&th, NULL, pcpu_fault_thread, &a), 0);
	assert_int_equal(pthread_join(th, &rc), 0);
	assert_null(rc);
	assert_mm_ok(mm);
	assert_int_equal(pt_stats(mm).refcount_atomics, 3 * 512);
}

/* Global reclaim visits bitfield mms with the most reclaimable bytes first. */
static void test_global_reclaim(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *mm = f->mm, *other;
	int64_t r;

	if (pt_strategy != PTSIM_STRATEGY_BITFIELD)
		skip();
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_BITFIELD, &other), 0);
	pt_adopt(f, other);
	map_fixed(mm, AT(0), 8 * MiB, PROT_RW);
	map_fixed(other, AT(0), 4 * MiB, PROT_RW);
	STEP(mm, ptsim_touch(mm, AT(0), 8 * MiB, PTSIM_ACCESS_WRITE));
	STEP(other, ptsim_touch(other, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE));
	STEP(mm, ptsim_madvise(mm, AT(0), 8 * MiB, PTSIM_MADV_DONTNEED));
	STEP(other, ptsim_madvise(other, AT(0), 4 * MiB, PTSIM_MADV_DONTNEED));
	/* a target the first (largest) mm meets: the other is left alone */
	r = ptsim_reclaim_global(TABLE_BYTES);
	assert_int_equal(r, 4 * TABLE_BYTES);
	assert_int_equal(pt_stats(mm).reclaimable_pt_bytes, 0);
	assert_int_equal(pt_stats(other).reclaimable_pt_bytes, 2 * TABLE_BYTES);
	r = ptsim_reclaim_global(0);
	assert_true(r >= (int64_t)(2 * TABLE_BYTES)); /* other tests' mms may add theirs */
	assert_int_equal(pt_stats(other).reclaimable_pt_bytes, 0);
	assert_mm_ok(mm);
	assert_mm_ok(other);
}

/* The order follows the live bytes: 1, 3 and 2 empty tables in three mms. */
static void test_global_reclaim_order(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_mm *m[3] = {f->mm};
	static const uint64_t tables[3] = {1, 3, 2};

	if (pt_strategy != PTSIM_STRATEGY_BITFIELD)
		skip();
	for (int i = 0; i < 3; i++) {
		if (i) {
			assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_BITFIELD, &m[i]), 0);
			pt_adopt(f, m[i]);
		}
		map_fixed(m[i], AT(0), tables[i] * 2 * MiB, PROT_RW);
		STEP(m[i], ptsim_touch(m[i], AT(0), tables[i] * 2 * MiB, PTSIM_ACCESS_WRITE));
		STEP(m[i], ptsim_madvise(m[i], AT(0), tables[i] * 2 * MiB, PTSIM_MADV_DONTNEED));
		assert_int_equal(pt_stats(m[i]).reclaimable_pt_bytes, tables[i] * TABLE_BYTES);
	}
	assert_int_equal(ptsim_reclaim_global(3 * TABLE_BYTES), 3 * TABLE_BYTES);
	assert_int_equal(pt_stats(m[1]).pte_tables_freed_reclaim, 3);
	assert_int_equal(ptsim_reclaim_global(1), 2 * TABLE_BYTES);
	assert_int_equal(pt_stats(m[2]).pte_tables_freed_reclaim, 2);
	assert_int_equal(pt_stats(m[0]).pte_tables_freed_reclaim, 0);
	/* refilling an mm moves it back into the order */
	STEP(m[2], ptsim_touch(m[2], AT(0), 4 * MiB, PTSIM_ACCESS_READ));
	assert_int_equal(pt_stats(m[2]).reclaimable_pt_bytes, 2 * TABLE_BYTES);
	assert_int_equal(ptsim_reclaim_global(1), 2 * TABLE_BYTES);
	assert_int_equal(pt_stats(m[2]).zero_page_ptes, 0);
	assert_int_equal(ptsim_reclaim_global(0), TABLE_BYTES);
	assert_int_equal(ptsim_reclaim_global(0), 0);
	for (int i = 0; i < 3; i++)
		assert_mm_ok(m[i]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, pt_setup, pt_teardown)

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
	        T(test_dontneed_1g),
	        T(test_bitfield_zero_page_tables),
	        T(test_refcount_atomics),
	        T(test_atomics_per_walk),
	        T(test_freed_per_path),
	        T(test_global_reclaim),
	        T(test_global_reclaim_order),
	        T(test_atomic_pmd_lock_per_life),
	        T(test_percpu_side_block_and_gp),
	        T(test_percpu_plain_adds),
	        T(test_percpu_more_threads_than_cpus),
	};
	static const enum ptsim_strategy all[] = {
	        PTSIM_STRATEGY_NONE,   PTSIM_STRATEGY_RCU,      PTSIM_STRATEGY_ATOMIC,
	        PTSIM_STRATEGY_PERCPU, PTSIM_STRATEGY_BITFIELD, PTSIM_STRATEGY_RWSEM,
	};
	int failed = 0;

	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char name[64];

		if (!ptsim_strategy_available(all[i]))
			continue;
		pt_strategy = all[i];
		snprintf(name, sizeof(name), "strategies_%s", ptsim_strategy_name(all[i]));
		failed += _cmocka_run_group_tests(name, tests, sizeof(tests) / sizeof(tests[0]),
		                                  NULL, NULL);
	}
	return failed ? 1 : 0;
}

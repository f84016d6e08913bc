// SPDX-License-Identifier: MIT
/*
 * The statistics API (issue 10): sized structs, figures by name, and reads
 * that take no mmap lock, so they never show in the lock figures they
 * report. Every strategy.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>

#include "common/ptsim_test.h"

#define for_each_strategy(s)                                           \
	for (enum ptsim_strategy s = 0; s < PTSIM_STRATEGY_COUNT; s++) \
		if (ptsim_strategy_available(s))

static void assert_consistent(struct ptsim_mm *mm)
{
	char msg[256];

	if (ptsim_mm_check(mm, msg, sizeof(msg)) != 0)
		fail_msg("ptsim_mm_check: %s", msg);
}

static struct ptsim_mm_stats stats(struct ptsim_mm *mm)
{
	struct ptsim_mm_stats st;

	assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
	return st;
}

/* nr_vmas and total_vm_pages follow every layout change, lock-free. */
static void test_vma_counters(void **state)
{
	(void)state;
	for_each_strategy(s)
	{
		struct ptsim_mm *mm, *child;
		struct ptsim_mm_stats st;

		assert_int_equal(ptsim_mm_create(s, &mm), 0);
		st = stats(mm);
		assert_int_equal(st.nr_vmas, 0);
		assert_int_equal(st.total_vm_pages, 0);
		assert_int_equal(ptsim_mmap(mm, AT(0), 8 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
		st = stats(mm);
		assert_int_equal(st.nr_vmas, 1);
		assert_int_equal(st.total_vm_pages, 2048);
		/* A hole: two VMAs, 16 pages fewer. */
		assert_int_equal(ptsim_munmap(mm, AT(MiB), 16 * PG), 0);
		st = stats(mm);
		assert_int_equal(st.nr_vmas, 2);
		assert_int_equal(st.total_vm_pages, 2032);
		/* mprotect splits: three VMAs, same size. */
		assert_int_equal(ptsim_mprotect(mm, AT(4 * MiB), MiB, PTSIM_PROT_READ), 0);
		st = stats(mm);
		assert_int_equal(st.nr_vmas, 4);
		assert_int_equal(st.total_vm_pages, 2032);
		/* ... and merges back. */
		assert_int_equal(ptsim_mprotect(mm, AT(4 * MiB), MiB, PROT_RW), 0);
		assert_int_equal(stats(mm).nr_vmas, 2);
		/* MAP_FIXED over the hole and 4 pages each side: one VMA again. */
		assert_int_equal(
		        ptsim_mmap(mm, AT(MiB) - 4 * PG, 24 * PG, PROT_RW, PTSIM_MAP_FIXED, NULL),
		        0);
		st = stats(mm);
		assert_int_equal(st.nr_vmas, 1);
		assert_int_equal(st.total_vm_pages, 2048);
		/* A non-fixed mapping elsewhere. */
		assert_int_equal(ptsim_mmap(mm, 0, 3 * PG, PTSIM_PROT_READ, 0, NULL), 0);
		st = stats(mm);
		assert_int_equal(st.nr_vmas, 2);
		assert_int_equal(st.total_vm_pages, 2051);
		/* fork copies them; the child's change alone. */
		assert_int_equal(ptsim_fork(mm, &child), 0);
		st = stats(child);
		assert_int_equal(st.nr_vmas, 2);
		assert_int_equal(st.total_vm_pages, 2051);
		assert_int_equal(ptsim_munmap(child, AT(0), 8 * MiB), 0);
		assert_int_equal(stats(child).total_vm_pages, 3);
		assert_int_equal(stats(mm).total_vm_pages, 2051);
		assert_consistent(child);
		assert_consistent(mm);
		ptsim_mm_destroy(child);
		ptsim_mm_destroy(mm);
	}
}

/* A read takes no mmap lock: the figure it reports does not move. */
static void test_read_takes_no_mmap_lock(void **state)
{
	(void)state;
	for_each_strategy(s)
	{
		struct ptsim_mm *mm;
		struct ptsim_mm_stats a, b;
		uint64_t v;

		assert_int_equal(ptsim_mm_create(s, &mm), 0);
		assert_int_equal(ptsim_mmap(mm, AT(0), 2 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
		a = stats(mm);
		for (int i = 0; i < 10; i++)
			b = stats(mm);
		assert_int_equal(ptsim_stat_get(mm, "mmap_lock.acquisitions", &v), 0);
		assert_int_equal(b.mmap_lock.acquisitions, a.mmap_lock.acquisitions);
		assert_int_equal(v, a.mmap_lock.acquisitions);
		assert_int_equal(b.vma_lock.acquisitions, a.vma_lock.acquisitions);
		ptsim_mm_destroy(mm);
	}
}

/* An old binary's smaller struct gets what fits; a newer one's tail is zeroed. */
static void test_sized(void **state)
{
	struct ptsim_mm *mm;
	struct ptsim_mm_stats full;
	struct {
		struct ptsim_mm_stats st;
		uint64_t newer[4];
	} big;
	unsigned char buf[sizeof(struct ptsim_mm_stats)];
	size_t old_size = offsetof(struct ptsim_mm_stats, nr_vmas);
	struct ptsim_global_stats g;

	(void)state;
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, AT(0), 2 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE), 0);
	full = stats(mm);
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(ptsim_mm_get_stats_sized(mm, (struct ptsim_mm_stats *)buf, old_size), 0);
	assert_memory_equal(buf, &full, old_size);
	for (size_t i = old_size; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xa5); /* not written past the caller's size */
	memset(&big, 0xa5, sizeof(big));
	assert_int_equal(ptsim_mm_get_stats_sized(mm, &big.st, sizeof(big)), 0);
	assert_int_equal(big.st.rss_anon_pages, 512);
	for (int i = 0; i < 4; i++)
		assert_int_equal(big.newer[i], 0);
	assert_int_equal(ptsim_mm_get_stats_sized(mm, &full, 0), -EINVAL);
	assert_int_equal(ptsim_get_global_stats_sized(&g, sizeof(g.live_mms)), 0);
	assert_true(g.live_mms >= 1);
	assert_int_equal(ptsim_get_global_stats_sized(&g, 0), -EINVAL);
	ptsim_mm_destroy(mm);
}

/* Every name reads the field the struct has at the same place. */
static void test_by_name(void **state)
{
	struct ptsim_mm *mm;
	struct ptsim_mm_stats st;
	size_t n = 0;
	uint64_t v;

	(void)state;
	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), MiB, PTSIM_ACCESS_WRITE), 0);
	assert_int_equal(ptsim_touch(mm, AT(2 * MiB), MiB, PTSIM_ACCESS_READ), 0);
	st = stats(mm);
	/* The mm is quiet: every name's value equals the struct's field. */
	for (const char *name; (name = ptsim_stat_name(0, n)); n++) {
		assert_int_equal(ptsim_stat_get(mm, name, &v), 0);
		assert_int_equal(v, ((const uint64_t *)&st)[n]);
	}
	assert_int_equal(n * sizeof(uint64_t), sizeof(st));
	assert_int_equal(ptsim_stat_get(mm, "pgtables_bytes", &v), 0);
	assert_int_equal(v, 3 * TABLE_BYTES + TABLE_BYTES); /* PUD, PMD, two PTE tables */
	assert_int_equal(ptsim_stat_get(mm, "rss_anon_pages", &v), 0);
	assert_int_equal(v, 256);
	assert_int_equal(ptsim_stat_get(mm, "zero_page_ptes", &v), 0);
	assert_int_equal(v, 256);
	assert_int_equal(ptsim_stat_get(mm, "nr_vmas", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ptsim_stat_get(mm, "ptl.acquisitions", &v), 0);
	assert_true(v > 0);
	assert_int_equal(ptsim_stat_get(mm, "no_such_stat", &v), -ENOENT);
	assert_int_equal(ptsim_stat_get(mm, "mmap_lock", &v), -ENOENT);
	assert_int_equal(ptsim_stat_get(mm, NULL, &v), -EINVAL);
	assert_int_equal(ptsim_stat_get(mm, "faults", NULL), -EINVAL);
	assert_null(ptsim_stat_name(0, n));
	/* Global names. */
	for (n = 0; ptsim_stat_name(1, n); n++)
		assert_int_equal(ptsim_stat_get(NULL, ptsim_stat_name(1, n), &v), 0);
	assert_int_equal(n * sizeof(uint64_t), sizeof(struct ptsim_global_stats));
	assert_int_equal(ptsim_stat_get(NULL, "live_mms", &v), 0);
	assert_true(v >= 1);
	assert_int_equal(ptsim_stat_get(NULL, "pgtables_bytes", &v), -ENOENT);
	ptsim_mm_destroy(mm);
}

struct churn {
	struct ptsim_mm *mm;
	bool stop;
	uint64_t reads, bad;
};

/* Until the reader's count passes `n` (it reads lockless, so this is no
 * lock order): else a loaded machine may run the churn before any read. */
static void wait_reads(struct churn *c, uint64_t n)
{
	while (__atomic_load_n(&c->reads, __ATOMIC_ACQUIRE) <= n)
		sched_yield();
}

static void *churner(void *p)
{
	struct churn *c = p;
	uint64_t r0 = 0;

	wait_reads(c, 0);
	for (int i = 0; i < 3000; i++) {
		uint64_t at = AT(64 * MiB + (uint64_t)(i % 16) * 4 * MiB);

		if (ptsim_mmap(c->mm, at, 2 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL) ||
		    ptsim_touch(c->mm, at, 64 * PG, PTSIM_ACCESS_WRITE) ||
		    ptsim_madvise(c->mm, at, 2 * MiB, PTSIM_MADV_DONTNEED) ||
		    ptsim_munmap(c->mm, at, 2 * MiB))
			__atomic_add_fetch(&c->bad, 1, __ATOMIC_RELAXED);
		/* Halfway: at least one snapshot is taken mid-churn. */
		if (i == 0)
			r0 = __atomic_load_n(&c->reads, __ATOMIC_ACQUIRE);
		else if (i == 1500)
			wait_reads(c, r0);
	}
	__atomic_store_n(&c->stop, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Readers run alongside a thread changing the layout (the churner waits for
 * a snapshot before it starts and another mid-way, so they overlap however
 * the threads are scheduled): each snapshot is within bounds, and the mm
 * checks out afterwards (TSan sees the rest). */
static void test_concurrent_reads(void **state)
{
	(void)state;
	for_each_strategy(s)
	{
		struct churn c = {0};
		pthread_t th;

		assert_int_equal(ptsim_mm_create(s, &c.mm), 0);
		assert_int_equal(ptsim_mmap(c.mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL),
		                 0);
		assert_int_equal(pthread_create(&th, NULL, churner, &c), 0);
		while (!__atomic_load_n(&c.stop, __ATOMIC_ACQUIRE)) {
			struct ptsim_mm_stats st = stats(c.mm);
			uint64_t v;

			assert_true(st.nr_vmas >= 1 && st.nr_vmas <= 2);
			assert_true(st.total_vm_pages == 1024 || st.total_vm_pages == 1536);
			assert_int_equal(ptsim_stat_get(c.mm, "total_vm_pages", &v), 0);
			assert_true(v == 1024 || v == 1536);
			__atomic_add_fetch(&c.reads, 1, __ATOMIC_RELEASE);
		}
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(c.bad, 0);
		assert_int_equal(stats(c.mm).nr_vmas, 1);
		assert_consistent(c.mm);
		ptsim_mm_destroy(c.mm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vma_counters),
	        cmocka_unit_test(test_read_takes_no_mmap_lock),
	        cmocka_unit_test(test_sized),
	        cmocka_unit_test(test_by_name),
	        cmocka_unit_test(test_concurrent_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The public strategy API (<ptsim/strategy.h>): what ptsim_strategy_register()
 * accepts and refuses, how ids, names and eras of registered strategies
 * show through the rest of the public API, and that every hook is called
 * where docs/strategy-api.md says, with a "counting" strategy whose private
 * word mirrors the table's non-none entries.
 *
 * The registry lives for the process, so the tests run in order and the
 * last one fills it.
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- a strategy that counts its hook calls ------------------------------ */

static struct {
	int mm_init, mm_destroy, table_ctor, ptes_set, ptes_cleared, zero_replaced;
	int tryget, put, zap_locked, zap_done, check_table;
	int fail_mm_init;  /* mm_init returns -ENOMEM */
	int break_check;   /* check_table reports an inconsistency */
	int data_mismatch; /* a hook saw someone else's strategy data */
} calls;

static int tag; /* the strategy data every mm of "counting" carries */

/* Atomic: mm_destroy may run on the library's RCU callback thread. */
static void saw_mm(struct ptsim_mm *mm)
{
	if (ptsim_mm_strategy_data(mm) != &tag)
		__atomic_add_fetch(&calls.data_mismatch, 1, __ATOMIC_RELAXED);
}

static int counting_mm_init(struct ptsim_mm *mm)
{
	calls.mm_init++;
	if (calls.fail_mm_init)
		return -ENOMEM;
	assert_null(ptsim_mm_strategy_data(mm));
	ptsim_mm_set_strategy_data(mm, &tag);
	return 0;
}

static void counting_mm_destroy(struct ptsim_mm *mm)
{
	saw_mm(mm);
	__atomic_add_fetch(&calls.mm_destroy, 1, __ATOMIC_RELEASE);
}

static void counting_table_ctor(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	saw_mm(mm);
	if (ptsim_pt_mm(pt) != mm || *ptsim_pt_private(pt) != 0)
		__atomic_add_fetch(&calls.data_mismatch, 1, __ATOMIC_RELAXED);
	calls.table_ctor++;
}

static void counting_ptes_set(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned n, unsigned nz)
{
	(void)nz;
	saw_mm(mm);
	*ptsim_pt_private(pt) += n; /* under the PTL */
	calls.ptes_set++;
}

static void counting_ptes_cleared(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned n, unsigned nz)
{
	(void)nz;
	saw_mm(mm);
	*ptsim_pt_private(pt) -= n;
	calls.ptes_cleared++;
}

static void counting_zero_replaced(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	(void)pt;
	saw_mm(mm);
	calls.zero_replaced++;
}

static int counting_tryget(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	(void)pt;
	saw_mm(mm);
	calls.tryget++;
	return 1;
}

static void counting_put(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	(void)pt;
	saw_mm(mm);
	calls.put++;
}

static void counting_zap_locked(struct ptsim_zap *z)
{
	saw_mm(ptsim_zap_mm(z));
	calls.zap_locked++;
}

static void counting_zap_done(struct ptsim_zap *z)
{
	saw_mm(ptsim_zap_mm(z));
	calls.zap_done++;
}

static int counting_check_table(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned nonnone,
                                unsigned nzero, char *msg, size_t len)
{
	(void)nzero;
	saw_mm(mm);
	calls.check_table++;
	if (*ptsim_pt_private(pt) == nonnone && !calls.break_check)
		return 0;
	snprintf(msg, len, "counting: private %llu, %u non-none entries",
	         (unsigned long long)*ptsim_pt_private(pt), nonnone);
	return 1;
}

static const struct ptsim_strategy_ops counting_ops = {
        .api_version = PTSIM_STRATEGY_API_VERSION,
        .size = sizeof(struct ptsim_strategy_ops),
        .name = "counting",
        .era = "5.x",
        .mm_init = counting_mm_init,
        .mm_destroy = counting_mm_destroy,
        .table_ctor = counting_table_ctor,
        .ptes_set = counting_ptes_set,
        .ptes_cleared = counting_ptes_cleared,
        .pte_zero_replaced = counting_zero_replaced,
        .pte_tryget = counting_tryget,
        .pte_put = counting_put,
        .zap_locked = counting_zap_locked,
        .zap_done = counting_zap_done,
        .check_table = counting_check_table,
};

static struct ptsim_strategy_ops plain(const char *name)
{
	return (struct ptsim_strategy_ops){
	        .api_version = PTSIM_STRATEGY_API_VERSION,
	        .size = sizeof(struct ptsim_strategy_ops),
	        .name = name,
	};
}

/* --- registration errors ------------------------------------------------ */

static void test_register_rejects(void **state)
{
	struct ptsim_strategy_ops o;
	unsigned n0 = ptsim_strategy_count();
	enum ptsim_strategy id = PTSIM_STRATEGY_NONE;
	char long_name[PTSIM_STRATEGY_NAME_MAX + 1];

	(void)state;
	assert_int_equal(n0, PTSIM_STRATEGY_COUNT); /* nothing registered yet */
	assert_int_equal(ptsim_strategy_register(NULL, &id), -EINVAL);

	o = plain("v0");
	o.api_version = 0;
	assert_int_equal(ptsim_strategy_register(&o, &id), -EINVAL);
	o.api_version = PTSIM_STRATEGY_API_VERSION + 1; /* a newer contract */
	assert_int_equal(ptsim_strategy_register(&o, &id), -EINVAL);

	o = plain("short");
	o.size = PTSIM_STRATEGY_OPS_SIZE_V1 - 1;
	assert_int_equal(ptsim_strategy_register(&o, &id), -EINVAL);
	o.size = 0;
	assert_int_equal(ptsim_strategy_register(&o, &id), -EINVAL);

	const char *bad[] = {NULL, "", "Upper", "with space", "slash/", "é"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = plain(bad[i]);
		assert_int_equal(ptsim_strategy_register(&o, &id), -EINVAL);
	}
	memset(long_name, 'a', PTSIM_STRATEGY_NAME_MAX);
	long_name[PTSIM_STRATEGY_NAME_MAX] = '\0'; /* one too many */
	o = plain(long_name);
	assert_int_equal(ptsim_strategy_register(&o, &id), -EINVAL);

	o = plain("old-era");
	o.era = "4.x";
	assert_int_equal(ptsim_strategy_register(&o, &id), -EINVAL);

	/* every built-in name is taken */
	for (unsigned i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		o = plain(ptsim_strategy_name((enum ptsim_strategy)i));
		assert_int_equal(ptsim_strategy_register(&o, &id), -EEXIST);
	}
	assert_int_equal(id, PTSIM_STRATEGY_NONE); /* untouched by every failure */
	assert_int_equal(ptsim_strategy_count(), n0);
}

/* A table from a newer header: larger, accepted only if the unknown tail is zero. */
static void test_register_larger_table(void **state)
{
	struct {
		struct ptsim_strategy_ops ops;
		void (*future_hook)(void);
	} big;
	enum ptsim_strategy id;

	(void)state;
	memset(&big, 0, sizeof(big));
	big.ops = plain("newer");
	big.ops.size = sizeof(big);
	big.future_hook = (void (*)(void))test_register_larger_table;
	assert_int_equal(ptsim_strategy_register(&big.ops, &id), -EINVAL);
	big.future_hook = NULL;
	assert_int_equal(ptsim_strategy_register(&big.ops, &id), 0);
	assert_int_equal(id, PTSIM_STRATEGY_COUNT);
	assert_string_equal(ptsim_strategy_name(id), "newer");
}

/* A table exactly the size of version 1, its name in a buffer that goes away. */
static void test_register_v1_size_and_copy(void **state)
{
	char name[16] = "v1-min";
	struct ptsim_strategy_ops o = plain(name);
	enum ptsim_strategy id, found;
	struct ptsim_mm *mm;

	(void)state;
	o.size = PTSIM_STRATEGY_OPS_SIZE_V1;
	assert_int_equal(ptsim_strategy_register(&o, &id), 0);
	assert_int_equal(id, PTSIM_STRATEGY_COUNT + 1);
	memset(name, 'x', sizeof(name) - 1); /* the registry kept its own copy */
	memset(&o, 0xff, sizeof(o));
	assert_string_equal(ptsim_strategy_name(id), "v1-min");
	assert_int_equal(ptsim_strategy_parse("v1-min", &found), 0);
	assert_int_equal(found, id);
	assert_string_equal(ptsim_strategy_era(id), "6.18"); /* NULL era means 6.18 */
	assert_int_equal(ptsim_strategy_available(id), 1);
	assert_int_equal(ptsim_strategy_count(), PTSIM_STRATEGY_COUNT + 2);

	o = plain("v1-min");
	assert_int_equal(ptsim_strategy_register(&o, NULL), -EEXIST);

	/* a strategy with no hooks at all is `none` under another name */
	assert_int_equal(ptsim_mm_create(id, &mm), 0);
	assert_int_equal(ptsim_mm_strategy(mm), id);
	assert_int_equal(ptsim_mmap(mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE), 0);
	assert_int_equal(ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_DONTNEED), 0);
	assert_int_equal(pt_stats(mm).nr_pte_tables, 2);
	assert_mm_ok(mm);
	ptsim_mm_destroy(mm);
	ptsim_synchronize();

	/* ids past the registered ones are still refused */
	assert_null(ptsim_strategy_name((enum ptsim_strategy)ptsim_strategy_count()));
	assert_int_equal(ptsim_strategy_available((enum ptsim_strategy)ptsim_strategy_count()), 0);
	assert_int_equal(ptsim_mm_create((enum ptsim_strategy)ptsim_strategy_count(), &mm),
	                 -EINVAL);
}

/* --- the hooks ---------------------------------------------------------- */

static void test_hooks_called(void **state)
{
	struct ptsim_global_stats g0 = pt_global();
	struct ptsim_mm *mm, *child;
	struct ptsim_mm_stats st;
	enum ptsim_strategy id;
	char msg[160];

	(void)state;
	assert_int_equal(ptsim_strategy_register(&counting_ops, &id), 0);
	assert_string_equal(ptsim_strategy_era(id), "5.x");

	calls.fail_mm_init = 1;
	assert_int_equal(ptsim_mm_create(id, &mm), -ENOMEM);
	assert_int_equal(__atomic_load_n(&calls.mm_destroy, __ATOMIC_ACQUIRE),
	                 0); /* no destroy for a failed init */
	calls.fail_mm_init = 0;
	memset(&calls, 0, sizeof(calls));

	assert_int_equal(ptsim_mm_create(id, &mm), 0);
	assert_int_equal(calls.mm_init, 1);

	/* [rrrr|    ]: 2 MiB read (zero page), then [wwww|wwww] */
	assert_int_equal(ptsim_mmap(mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_READ), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE), 0);
	st = pt_stats(mm);
	assert_int_equal(calls.table_ctor, 2);
	assert_int_equal(st.pte_tables_allocated, 2);
	assert_int_equal(calls.ptes_set, 1024);                             /* one per new entry */
	assert_int_equal(calls.zero_replaced, st.zero_page_ptes ? 0 : 512); /* no-zero-page hosts */
	assert_true(calls.tryget >= 1024 && calls.tryget == calls.put);
	assert_int_equal(ptsim_mm_check(mm, msg, sizeof(msg)), 0);
	assert_int_equal(calls.check_table, 2);

	/* fork: the child's tables are filled through ptes_set too */
	assert_int_equal(ptsim_fork(mm, &child), 0);
	assert_int_equal(calls.mm_init, 2);
	assert_int_equal(ptsim_mm_strategy(child), id);
	assert_int_equal(ptsim_mm_check(child, msg, sizeof(msg)), 0);
	/* exit_mmap zaps both of the child's tables */
	calls.zap_locked = calls.zap_done = calls.ptes_cleared = 0;
	ptsim_mm_destroy(child);
	assert_int_equal(calls.zap_locked, 2);
	assert_int_equal(calls.zap_done, 2);
	assert_int_equal(calls.ptes_cleared, 2);

	/* [    |wwww]: DONTNEED of one whole table; the strategy keeps it */
	calls.zap_locked = calls.zap_done = calls.ptes_cleared = 0;
	assert_int_equal(ptsim_madvise(mm, AT(0), 2 * MiB, PTSIM_MADV_DONTNEED), 0);
	assert_int_equal(calls.ptes_cleared, 1); /* one call for the 512 entries */
	assert_int_equal(calls.zap_locked, 1);
	assert_int_equal(calls.zap_done, 1);
	assert_int_equal(pt_stats(mm).nr_pte_tables, 2);
	assert_mm_ok(mm);

	/* a check_table failure is the mm check's failure, with its message */
	calls.break_check = 1;
	assert_int_equal(ptsim_mm_check(mm, msg, sizeof(msg)), -EUCLEAN);
	assert_non_null(strstr(msg, "counting: private"));
	calls.break_check = 0;

	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	assert_int_equal(__atomic_load_n(&calls.mm_destroy, __ATOMIC_ACQUIRE), 2);
	assert_int_equal(__atomic_load_n(&calls.data_mismatch, __ATOMIC_RELAXED), 0);
	assert_int_equal(pt_global().tables_in_use, g0.tables_in_use);
	assert_int_equal(pt_global().live_mms, g0.live_mms);
}

/* --- version 2: a page-table rwsem written against the public header ---- */

/* "rwsem-lite": the built-in rwsem's protocol with a pthread rwlock in the
 * strategy data, counting its v2 hook calls. */
static struct {
	int walk_begin, walk_end, free_begin, free_end, dontneed_done;
} v2;

static int lite_mm_init(struct ptsim_mm *mm)
{
	pthread_rwlock_t *l = malloc(sizeof(*l));

	if (!l || pthread_rwlock_init(l, NULL)) {
		free(l);
		return -ENOMEM;
	}
	ptsim_mm_set_strategy_data(mm, l);
	return 0;
}
static void lite_mm_destroy(struct ptsim_mm *mm)
{
	pthread_rwlock_t *l = ptsim_mm_strategy_data(mm);

	pthread_rwlock_destroy(l);
	free(l);
}
static void lite_walk_begin(struct ptsim_mm *mm)
{
	__atomic_add_fetch(&v2.walk_begin, 1, __ATOMIC_RELAXED);
	pthread_rwlock_rdlock(ptsim_mm_strategy_data(mm));
}
static void lite_walk_end(struct ptsim_mm *mm)
{
	__atomic_add_fetch(&v2.walk_end, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(ptsim_mm_strategy_data(mm));
}
static void lite_free_begin(struct ptsim_mm *mm)
{
	__atomic_add_fetch(&v2.free_begin, 1, __ATOMIC_RELAXED);
	pthread_rwlock_wrlock(ptsim_mm_strategy_data(mm));
}
static void lite_free_end(struct ptsim_mm *mm)
{
	__atomic_add_fetch(&v2.free_end, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(ptsim_mm_strategy_data(mm));
}
static void lite_dontneed_done(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	__atomic_add_fetch(&v2.dontneed_done, 1, __ATOMIC_RELAXED);
	pthread_rwlock_wrlock(ptsim_mm_strategy_data(mm));
	ptsim_free_empty_tables(mm, start, end);
	pthread_rwlock_unlock(ptsim_mm_strategy_data(mm));
}

static const struct ptsim_strategy_ops lite_ops = {
        .api_version = 2,
        .size = sizeof(struct ptsim_strategy_ops),
        .name = "rwsem-lite",
        .era = "5.x",
        .mm_init = lite_mm_init,
        .mm_destroy = lite_mm_destroy,
        .walk_begin = lite_walk_begin,
        .walk_end = lite_walk_end,
        .free_begin = lite_free_begin,
        .free_end = lite_free_end,
        .dontneed_done = lite_dontneed_done,
};

static void test_v2_hooks(void **state)
{
	struct ptsim_strategy_ops o = lite_ops;
	struct ptsim_global_stats g0 = pt_global();
	struct ptsim_mm_stats st;
	struct ptsim_mm *mm, *child;
	enum ptsim_strategy id;
	uint64_t pte;

	(void)state;
	/* pairs only: a begin without its end is refused */
	o.name = "half-walk";
	o.walk_end = NULL;
	assert_int_equal(ptsim_strategy_register(&o, NULL), -EINVAL);
	o = lite_ops;
	o.name = "half-free";
	o.free_begin = NULL;
	assert_int_equal(ptsim_strategy_register(&o, NULL), -EINVAL);
	/* a v2 table cut to the v1 size loses the v2 hooks: accepted, none of them called */
	o = lite_ops;
	o.name = "rwsem-lite-v1";
	o.api_version = 1;
	o.size = PTSIM_STRATEGY_OPS_SIZE_V1;
	assert_int_equal(ptsim_strategy_register(&o, &id), 0);
	assert_int_equal(ptsim_mm_create(id, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE), 0);
	assert_int_equal(ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_DONTNEED), 0);
	assert_int_equal(pt_stats(mm).nr_pte_tables, 2);
	ptsim_mm_destroy(mm);
	assert_int_equal(v2.walk_begin + v2.free_begin + v2.dontneed_done, 0);

	assert_int_equal(PTSIM_STRATEGY_OPS_SIZE_V2, sizeof(struct ptsim_strategy_ops));
	assert_int_equal(ptsim_strategy_register(&lite_ops, &id), 0);
	assert_int_equal(ptsim_mm_create(id, &mm), 0);

	/* [wwww|wwww]: 1024 faults, one walk each */
	assert_int_equal(ptsim_mmap(mm, AT(0), 4 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), 4 * MiB, PTSIM_ACCESS_WRITE), 0);
	assert_int_equal(v2.walk_begin, 1024);
	assert_int_equal(ptsim_get_pte(mm, AT(0), &pte), 0);
	assert_int_equal(v2.walk_begin, 1025);
	/* fork: one walk of the parent and one of the child */
	assert_int_equal(ptsim_fork(mm, &child), 0);
	assert_int_equal(v2.walk_begin, 1027);
	ptsim_mm_destroy(child); /* exit: a zap (a walk) and free_pgtables() */
	assert_int_equal(v2.walk_begin, 1028);
	assert_int_equal(v2.free_begin, 1);

	/* [    |    ]: DONTNEED of both tables; the free pass takes the PMD and
	 * PUD tables too (the mapping is alone in its 512 GiB) */
	assert_int_equal(ptsim_madvise(mm, AT(0), 4 * MiB, PTSIM_MADV_DONTNEED), 0);
	assert_int_equal(v2.walk_begin, 1029);
	assert_int_equal(v2.dontneed_done, 1);
	st = pt_stats(mm);
	assert_int_equal(st.pgtables_bytes, 0);
	assert_int_equal(st.pte_tables_freed_zap, 2);
	assert_int_equal(st.pmd_tables_freed, 1);
	assert_int_equal(st.pud_tables_freed, 1);
	assert_mm_ok(mm);
	/* a fault builds the path again */
	assert_int_equal(ptsim_touch(mm, AT(0), PG, PTSIM_ACCESS_WRITE), 0);
	assert_tables(mm, 1, 1, 1);
	assert_int_equal(ptsim_munmap(mm, AT(0), 4 * MiB), 0);
	assert_int_equal(v2.free_begin, 2);
	assert_tables(mm, 0, 0, 0);
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	assert_int_equal(v2.walk_begin, v2.walk_end);
	assert_int_equal(v2.free_begin, v2.free_end);
	assert_int_equal(pt_global().tables_in_use, g0.tables_in_use);
	assert_int_equal(pt_global().live_mms, g0.live_mms);
}

/* --- concurrency and the limit ------------------------------------------ */

#define NTHREADS   4
#define PER_THREAD 4

static void *register_some(void *arg)
{
	int t = (int)(intptr_t)arg;
	enum ptsim_strategy *ids = calloc(PER_THREAD, sizeof(*ids));

	for (int i = 0; i < PER_THREAD; i++) {
		char name[32];
		struct ptsim_strategy_ops o = plain(name);

		snprintf(name, sizeof(name), "thread%d-%d", t, i);
		if (ptsim_strategy_register(&o, &ids[i]) != 0)
			ids[i] = (enum ptsim_strategy) - 1;
	}
	return ids;
}

static void test_register_concurrently(void **state)
{
	pthread_t th[NTHREADS];
	unsigned n0 = ptsim_strategy_count();
	char seen[PTSIM_STRATEGY_COUNT + PTSIM_STRATEGY_MAX] = {0};

	(void)state;
	for (int t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, register_some, (void *)(intptr_t)t),
		                 0);
	for (int t = 0; t < NTHREADS; t++) {
		enum ptsim_strategy *ids;

		assert_int_equal(pthread_join(th[t], (void **)&ids), 0);
		for (int i = 0; i < PER_THREAD; i++) {
			char name[32];
			enum ptsim_strategy found;

			assert_in_range(ids[i], n0, n0 + NTHREADS * PER_THREAD - 1);
			assert_int_equal(seen[ids[i]]++, 0); /* every id handed out once */
			snprintf(name, sizeof(name), "thread%d-%d", t, i);
			assert_int_equal(ptsim_strategy_parse(name, &found), 0);
			assert_int_equal(found, ids[i]);
		}
		free(ids);
	}
	assert_int_equal(ptsim_strategy_count(), n0 + NTHREADS * PER_THREAD);
}

static void test_register_until_full(void **state)
{
	unsigned registered = ptsim_strategy_count() - PTSIM_STRATEGY_COUNT;
	struct ptsim_strategy_ops o;
	char name[32];
	struct ptsim_mm *mm;
	enum ptsim_strategy id, last = PTSIM_STRATEGY_NONE;

	(void)state;
	for (unsigned i = registered; i < PTSIM_STRATEGY_MAX; i++) {
		snprintf(name, sizeof(name), "fill-%u", i);
		o = plain(name);
		assert_int_equal(ptsim_strategy_register(&o, &last), 0);
	}
	assert_int_equal(last, PTSIM_STRATEGY_COUNT + PTSIM_STRATEGY_MAX - 1);
	assert_int_equal(ptsim_strategy_count(), PTSIM_STRATEGY_COUNT + PTSIM_STRATEGY_MAX);
	o = plain("one-too-many");
	assert_int_equal(ptsim_strategy_register(&o, &id), -ENOSPC);
	o = plain("fill-63"); /* a duplicate is still a duplicate when full */
	assert_int_equal(ptsim_strategy_register(&o, &id), -EEXIST);
	/* the last slot works like any other */
	assert_int_equal(ptsim_mm_create(last, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, AT(0), 2 * MiB, PROT_RW, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, AT(0), 2 * MiB, PTSIM_ACCESS_WRITE), 0);
	assert_mm_ok(mm);
	ptsim_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_register_rejects),
	        cmocka_unit_test(test_register_larger_table),
	        cmocka_unit_test(test_register_v1_size_and_copy),
	        cmocka_unit_test(test_hooks_called),
	        cmocka_unit_test(test_v2_hooks),
	        cmocka_unit_test(test_register_concurrently),
	        cmocka_unit_test(test_register_until_full),
	};

	return cmocka_run_group_tests_name("plugin_api", tests, NULL, NULL);
}

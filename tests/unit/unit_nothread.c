// SPDX-License-Identifier: MIT
/*
 * A program at its thread limit: no thread can be started, so liburcu
 * cannot start its call_rcu worker (it would abort the process on the first
 * call_rcu()). Tables and percpu blocks freed by RCU must still be freed:
 * every strategy creates, uses and destroys an mm, and afterwards nothing
 * is left pending. pthread_create() is replaced in this executable (liburcu
 * calls it through the PLT, so it gets this one too).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include <ptsim/ptsim.h>

#define BASE 0x500000000000ULL
#define MiB  (1ULL << 20)

static int threads_fail;

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

	if (__atomic_load_n(&threads_fail, __ATOMIC_RELAXED))
		return EAGAIN;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	return real(t, attr, fn, arg);
}

static void *nothing(void *arg)
{
	return arg;
}

static void test_no_call_rcu_thread(void **state)
{
	struct ptsim_global_stats g;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, nothing, NULL), EAGAIN);
	for (int s = 0; s < PTSIM_STRATEGY_COUNT; s++) {
		struct ptsim_mm *mm, *child;

		if (!ptsim_strategy_available((enum ptsim_strategy)s))
			continue;
		assert_int_equal(ptsim_mm_create((enum ptsim_strategy)s, &mm), 0);
		assert_int_equal(ptsim_mmap(mm, BASE, 8 * MiB, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
		                            PTSIM_MAP_FIXED, NULL),
		                 0);
		assert_int_equal(ptsim_touch(mm, BASE, 8 * MiB, PTSIM_ACCESS_WRITE), 0);
		assert_int_equal(ptsim_fork(mm, &child), 0);
		/* Strategies that free tables on DONTNEED free them by RCU. */
		assert_int_equal(ptsim_madvise(mm, BASE, 4 * MiB, PTSIM_MADV_DONTNEED), 0);
		assert_true(ptsim_reclaim(mm) >= 0);
		assert_int_equal(ptsim_munmap(mm, BASE + 4 * MiB, 2 * MiB), 0);
		assert_int_equal(ptsim_mm_check(mm, NULL, 0), 0);
		ptsim_mm_destroy(child);
		ptsim_mm_destroy(mm);
	}
	ptsim_synchronize();
	assert_int_equal(ptsim_get_global_stats(&g), 0);
	assert_int_equal(g.live_mms, 0);
	assert_int_equal(g.tables_pending_free, 0);
	assert_int_equal(g.frames_in_use, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_call_rcu_thread),
	};

	__atomic_store_n(&threads_fail, 1, __ATOMIC_RELAXED);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

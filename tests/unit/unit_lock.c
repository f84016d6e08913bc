// SPDX-License-Identifier: MIT
/* Spinlock and mmap rwsem: mutual exclusion and contention counting (lib/lock.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>

#include "lock.h"

#define THREADS 4
#define ROUNDS  20000

static spinlock_t spin;
static struct rwsem sem;
static uint64_t counter; /* protected by the lock under test */
static struct ptsim_lock_stats stats[THREADS];

static void *spin_worker(void *arg)
{
	struct ptsim_lock_stats *st = arg;

	for (int i = 0; i < ROUNDS; i++) {
		spin_lock(&spin, st);
		counter++;
		spin_unlock(&spin);
	}
	return NULL;
}

static void *rw_worker(void *arg)
{
	struct ptsim_lock_stats *st = arg;

	for (int i = 0; i < ROUNDS; i++) {
		if (i % 4 == 0) {
			down_write(&sem, st);
			counter++;
			up_write(&sem);
		} else {
			down_read(&sem, st);
			assert_false(rwsem_is_write_locked(&sem));
			up_read(&sem);
		}
	}
	return NULL;
}

static void run(void *(*fn)(void *))
{
	pthread_t t[THREADS];
	struct ptsim_lock_stats sum = {0};

	counter = 0;
	for (int i = 0; i < THREADS; i++) {
		stats[i] = (struct ptsim_lock_stats){0};
		pthread_create(&t[i], NULL, fn, &stats[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		lock_stats_add(&sum, &stats[i]);
	}
	assert_int_equal(sum.acquisitions, (uint64_t)THREADS * ROUNDS);
	assert_true(sum.contended <= sum.acquisitions);
	assert_true(sum.contended == 0 || sum.wait_ns > 0);
}

static void test_spinlock_excludes(void **state)
{
	(void)state;
	run(spin_worker);
	assert_int_equal(counter, (uint64_t)THREADS * ROUNDS);
	assert_false(spin_is_locked(&spin));
}

static void test_rwsem_excludes_writers(void **state)
{
	(void)state;
	run(rw_worker);
	assert_int_equal(counter, (uint64_t)THREADS * ROUNDS / 4);
	assert_int_equal(sem.state, 0);
}

static void test_trylock_and_contention(void **state)
{
	struct ptsim_lock_stats st = {0};

	(void)state;
	assert_true(spin_trylock(&spin));
	assert_false(spin_trylock(&spin));
	spin_unlock(&spin);
	spin_lock(&spin, &st);
	spin_unlock(&spin);
	assert_int_equal(st.acquisitions, 1);
	assert_int_equal(st.contended, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_spinlock_excludes),
	        cmocka_unit_test(test_rwsem_excludes_writers),
	        cmocka_unit_test(test_trylock_and_contention),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

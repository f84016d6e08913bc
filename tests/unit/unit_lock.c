// SPDX-License-Identifier: MIT
/* Spinlock and mmap rwsem: mutual exclusion and contention counting (lib/lock.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

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

static atomic_int reader_started, reader_got_in;

static void *handoff_reader(void *arg)
{
	struct ptsim_lock_stats *st = arg;

	atomic_store(&reader_started, 1);
	down_read(&sem, st);
	atomic_store(&reader_got_in, 1);
	up_read(&sem);
	return NULL;
}

/*
 * A writer that drops the lock and takes it again at once must not keep a
 * waiting reader out for ever (the stress tests saw faulters and zappers
 * make no progress for seconds behind a munmap/mmap loop): a reader that
 * waited past the timeout sets the handoff flag, and the writer's next
 * down_write() waits until that reader got in.
 */
static void test_rwsem_reader_handoff(void **state)
{
	struct ptsim_lock_stats wst = {0}, rst = {0};
	uint64_t deadline;
	pthread_t t;

	(void)state;
	down_write(&sem, &wst);
	assert_int_equal(pthread_create(&t, NULL, handoff_reader, &rst), 0);
	while (!atomic_load(&reader_started))
		sched_yield();
	/* A bound for a stalled machine only: the flag comes after 4 ms. */
	deadline = ptsim_now_ns() + 10000000000ull;
	while (!(__atomic_load_n(&sem.state, __ATOMIC_ACQUIRE) & RWSEM_HANDOFF) &&
	       ptsim_now_ns() < deadline)
		sched_yield();
	assert_true(__atomic_load_n(&sem.state, __ATOMIC_ACQUIRE) & RWSEM_HANDOFF);
	assert_false(atomic_load(&reader_got_in));
	/* Back to back, as munmap then mmap: the reader goes first. */
	up_write(&sem);
	down_write(&sem, &wst);
	assert_true(atomic_load(&reader_got_in));
	up_write(&sem);
	pthread_join(t, NULL);
	assert_int_equal(sem.state, 0);
	assert_int_equal(wst.acquisitions, 2);
	assert_int_equal(rst.acquisitions, 1);
	assert_int_equal(rst.contended, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_spinlock_excludes),
	        cmocka_unit_test(test_rwsem_excludes_writers),
	        cmocka_unit_test(test_trylock_and_contention),
	        cmocka_unit_test(test_rwsem_reader_handoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

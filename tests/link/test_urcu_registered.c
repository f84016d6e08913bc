// SPDX-License-Identifier: MIT
/*
 * A program that uses liburcu-memb itself registers its threads, as
 * liburcu's documentation requires; libptsim must then neither register
 * them a second time (liburcu asserts) nor unregister them behind the
 * program's back at thread exit.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <urcu/urcu-memb.h>

#include "workload.h"

#define NTHREADS 4

static void run_workloads(void)
{
	char msg[256] = "";

	assert_int_equal(link_workload(PTSIM_STRATEGY_RCU, msg, sizeof(msg)), 0);
	assert_int_equal(link_workload(PTSIM_STRATEGY_NONE, msg, sizeof(msg)), 0);
}

/* The program's thread: registered before and unregistered after libptsim. */
static void *registered_thread(void *arg)
{
	(void)arg;
	urcu_memb_register_thread();
	run_workloads();
	/* Still registered: a read-side section of the program's own works. */
	urcu_memb_read_lock();
	urcu_memb_read_unlock();
	urcu_memb_unregister_thread();
	return NULL;
}

/* A thread the program never registers: libptsim registers it, and at exit unregisters it. */
static void *plain_thread(void *arg)
{
	(void)arg;
	run_workloads();
	return NULL;
}

static void test_main_thread_registered(void **state)
{
	(void)state;
	urcu_memb_register_thread();
	run_workloads();
	ptsim_synchronize();
	urcu_memb_unregister_thread();
	/* Unregistered: libptsim must not take the thread for registered now. */
	urcu_memb_register_thread();
	run_workloads();
	urcu_memb_unregister_thread();
}

static void test_threads_registered_and_not(void **state)
{
	pthread_t t[2 * NTHREADS];

	(void)state;
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_create(&t[2 * i], NULL, registered_thread, NULL), 0);
		assert_int_equal(pthread_create(&t[2 * i + 1], NULL, plain_thread, NULL), 0);
	}
	for (int i = 0; i < 2 * NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	/* Grace periods still complete: every exited thread left liburcu's registry. */
	urcu_memb_synchronize_rcu();
	ptsim_synchronize();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_main_thread_registered),
	        cmocka_unit_test(test_threads_registered_and_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* Threads need no ceremony: registered on first use, cleaned up at exit. */
#include "thread.h"

#include <pthread.h>

#include "frame.h"
#include "rcu.h"

__thread struct ptsim_thread ptsim_current;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

void ptsim_rcu_register(void);

static void thread_exit(void *arg)
{
	(void)arg;
	frame_cache_drain();
	if (ptsim_current.registered) {
		ptsim_current.registered = false;
		ptsim_rcu_thread_exit();
	}
}

static void make_key(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

void ptsim_thread_register_slow(void)
{
	pthread_once(&exit_key_once, make_key);
	ptsim_rcu_register();
	ptsim_current.registered = true;
	/* Any non-NULL value makes the destructor run at thread exit. */
	pthread_setspecific(exit_key, &ptsim_current);
}

void ptsim_thread_enter(void)
{
	if (unlikely(!ptsim_current.registered))
		ptsim_thread_register_slow();
}

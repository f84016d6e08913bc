// SPDX-License-Identifier: MIT
/* Threads need no ceremony: registered on first use, cleaned up at exit. */
#include "thread.h"

#include <pthread.h>

#include "frame.h"
#include "rcu.h"

__thread struct ptsim_thread ptsim_current;

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void thread_exit(void *arg)
{
	(void)arg;
	frame_cache_drain();
	if (ptsim_current.registered) {
		ptsim_current.registered = false;
		/* The program's own registration is the program's to undo. */
		if (ptsim_current.rcu_registered_here && ptsim_rcu_registered())
			ptsim_rcu_unregister();
		ptsim_current.rcu_registered_here = false;
	}
}

static void make_key(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

void ptsim_thread_register_slow(void)
{
	pthread_once(&exit_key_once, make_key);
	if (!ptsim_rcu_registered()) {
		ptsim_rcu_register();
		ptsim_current.rcu_registered_here = true;
	}
	ptsim_current.registered = true;
	/* Any non-NULL value makes the destructor run at thread exit. */
	pthread_setspecific(exit_key, &ptsim_current);
}

void ptsim_thread_enter(void)
{
	/* Also when the program unregistered a thread it had registered itself. */
	if (unlikely(!ptsim_current.registered || !ptsim_rcu_registered()))
		ptsim_thread_register_slow();
}

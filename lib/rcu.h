/* SPDX-License-Identifier: MIT */
/*
 * RCU glue. The flavour is liburcu's "memb": readers pay a thread-local
 * increment and no fence (sys_membarrier makes the writer pay instead), and
 * unlike QSBR it needs no periodic quiescent-state reports from threads that
 * never return to a main loop — a research program's threads don't.
 */
#ifndef PTSIM_RCU_H
#define PTSIM_RCU_H

#include "internal.h"

struct rcu_head_ptsim {
	void *next;
	void (*func)(struct rcu_head_ptsim *);
};

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE /* liburcu's read side inlined: it is on every fault */
#endif
#include <urcu/urcu-memb.h>

static inline void ptsim_rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

static inline void ptsim_rcu_read_unlock(void)
{
	urcu_memb_read_unlock();
}

/* call_rcu(): func runs after every reader that could see the object is done. */
void ptsim_call_rcu(struct rcu_head_ptsim *head, void (*func)(struct rcu_head_ptsim *));
/* rcu_barrier(): every callback queued so far has run. */
void ptsim_rcu_barrier(void);

/* Called once per thread at exit (thread.c): frame cache, RCU unregistration. */
void ptsim_rcu_thread_exit(void);

#endif

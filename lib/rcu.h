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

/*
 * ThreadSanitizer cannot see liburcu's ordering (liburcu is not built with
 * it, and its grace periods work through sys_membarrier): tell it that a
 * read-side section's end happens before every callback that runs after
 * the grace period, and that call_rcu() publishes the object to the
 * callback. Without TSan these compile to nothing.
 */
#if defined(__SANITIZE_THREAD__)
#define PTSIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PTSIM_TSAN 1
#endif
#endif
#ifdef PTSIM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char ptsim_rcu_gp_sync;
#define rcu_tsan_release(p) __tsan_release(p)
#define rcu_tsan_acquire(p) __tsan_acquire(p)
#else
#define rcu_tsan_release(p) ((void)(p))
#define rcu_tsan_acquire(p) ((void)(p))
#endif

static inline void ptsim_rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

static inline void ptsim_rcu_read_unlock(void)
{
#ifdef PTSIM_TSAN
	rcu_tsan_release(&ptsim_rcu_gp_sync);
#endif
	urcu_memb_read_unlock();
}

/* call_rcu(): func runs after every reader that could see the object is done. */
void ptsim_call_rcu(struct rcu_head_ptsim *head, void (*func)(struct rcu_head_ptsim *));
/* First thing in every RCU callback: what the grace period ordered. */
static inline void ptsim_rcu_callback_enter(struct rcu_head_ptsim *head)
{
	rcu_tsan_acquire(head);
#ifdef PTSIM_TSAN
	rcu_tsan_acquire(&ptsim_rcu_gp_sync);
#endif
}

/* rcu_barrier(): every callback queued so far has run. */
void ptsim_rcu_barrier(void);

/*
 * Whether liburcu knows the calling thread as a reader: a program that uses
 * liburcu-memb itself registers its threads (and liburcu asserts on a second
 * registration), so thread.c asks before registering and unregisters only
 * the threads it registered.
 */
static inline bool ptsim_rcu_registered(void)
{
	return URCU_TLS(urcu_memb_reader).registered;
}
void ptsim_rcu_register(void);
void ptsim_rcu_unregister(void);

#endif

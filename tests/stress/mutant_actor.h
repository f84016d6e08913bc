/* SPDX-License-Identifier: MIT */
/*
 * What the hook-driven mutant tests (mutant_rcu.c, mutant_rwsem.c) share:
 * the actor thread that does the other side of a race window while the
 * hooked thread waits inside it, the round's mm, and the round loop that
 * runs the mutant and the real strategy on the same schedule.
 */
#ifndef PTSIM_MUTANT_ACTOR_H
#define PTSIM_MUTANT_ACTOR_H

#include <semaphore.h>
#include <stdbool.h>

#include <ptsim/ptsim.h>

#define MUTANT_ROUNDS 10
#define MUTANT_BASE   0x500000000000ULL
#define MUTANT_LEN    PTSIM_PMD_SIZE

/* The other thread: runs actor.job on actor.mm each time go is posted. */
extern struct mutant_actor {
	sem_t go, done;
	struct ptsim_mm *mm;
	int (*job)(struct ptsim_mm *mm);
	int rc; /* the last job's result */
	bool quit;
} actor;

extern __thread bool on_actor; /* this thread is the actor */

/* Starts the actor thread; the program exits if it cannot. */
void mutant_actor_start(void);
/* Runs one job on the actor and waits until it is done. */
void mutant_actor_run(void);
void mutant_actor_stop(void);

/* A job: MADV_DONTNEED of all MUTANT_LEN at MUTANT_BASE. */
int mutant_dontneed_all(struct ptsim_mm *mm);

/* Prints "PROG: what: rc (strerror)" and exits 1; prog is set by mutant_main(). */
_Noreturn void mutant_fail(const char *what, int rc);

/* A checked mm of strategy s with the mutant set, MUTANT_LEN at MUTANT_BASE
 * mapped read-write and written (one PTE table). */
struct ptsim_mm *mutant_mm_filled(enum ptsim_strategy s, unsigned mutant);

/*
 * Turns checked mode on, starts the actor, then MUTANT_ROUNDS times runs
 * round(mutant) and round(PTSIM_MUTANT_NONE), each true when the detector
 * or ptsim_mm_check() caught something. Returns the exit status: 0 when
 * every mutant round was caught and every real round was clean, 77 (skip)
 * when checked mode is not built.
 */
int mutant_main(const char *prog, const char *what, unsigned mutant,
                bool (*round)(unsigned mutant));

#endif

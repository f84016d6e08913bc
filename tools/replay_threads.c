/* SPDX-License-Identifier: MIT */
/*
 * Multi-threaded replay: one real thread per recorded thread (tN prefix),
 * each running its own operations. The cross-thread order is the order of
 * the lines: a baton (one semaphore per thread) passes from each operation
 * to the thread of the next, so exactly one thread runs at a time and the
 * figures are the same on every run, while every operation still runs on
 * a thread of its own (its RCU registration, its locks, its stack).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define WORKER_STACK_PREFAULT (64 * 1024)

struct baton {
	const struct replay_trace *t;
	replay_run_fn run;
	void *ctx;
	sem_t turn[REPLAY_MAX_THREADS]; /* posted when the thread's next operation is due */
	sem_t ready;                    /* each worker posts it once, when started */
	size_t next;                    /* the operation due; only the baton holder touches it */
	int err;                        /* the first failure, 0 while all is well */
	bool done;
};

struct worker {
	struct baton *b;
	int tid;
};

/* Faults in the stack a worker will use, before the baseline is taken. */
static __attribute__((noinline)) void prefault_worker_stack(void)
{
	volatile char pad[WORKER_STACK_PREFAULT];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

/* Hands the baton on: to the thread of the next operation, or to every thread at the end. */
static void pass_baton(struct baton *b)
{
	if (!b->done && b->next < b->t->nr_ops) {
		sem_post(&b->turn[b->t->ops[b->next].tid]);
		return;
	}
	b->done = true;
	for (int k = 0; k < b->t->nr_threads; k++)
		sem_post(&b->turn[k]);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct baton *b = w->b;

	prefault_worker_stack();
	sem_post(&b->ready);
	for (;;) {
		while (sem_wait(&b->turn[w->tid]) && errno == EINTR)
			;
		if (b->done)
			break;
		b->err = b->run(b->ctx, b->next);
		if (b->err)
			b->done = true;
		b->next++;
		pass_baton(b);
	}
	return NULL;
}

int replay_run_threads(const struct replay_trace *t, replay_run_fn run, replay_start_fn start,
                       void *ctx)
{
	static struct baton b; /* static: no allocation between the baseline and the end */
	struct worker w[REPLAY_MAX_THREADS];
	pthread_t th[REPLAY_MAX_THREADS];
	int nr = t->nr_threads, started = 0, err = 0;

	memset(&b, 0, sizeof(b));
	b.t = t;
	b.run = run;
	b.ctx = ctx;
	sem_init(&b.ready, 0, 0);
	for (int k = 0; k < nr; k++)
		sem_init(&b.turn[k], 0, 0);
	for (; started < nr; started++) {
		w[started].b = &b;
		w[started].tid = started;
		err = pthread_create(&th[started], NULL, worker_main, &w[started]);
		if (err)
			break;
	}
	for (int k = 0; k < started; k++)
		while (sem_wait(&b.ready) && errno == EINTR)
			;
	if (!err)
		err = -start(ctx);
	else
		err = -err; /* a positive pthread errno */
	if (err)
		b.err = -err;
	b.done = err != 0;
	pass_baton(&b);
	for (int k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	for (int k = 0; k < nr; k++)
		sem_destroy(&b.turn[k]);
	sem_destroy(&b.ready);
	return b.err;
}

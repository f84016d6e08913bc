// SPDX-License-Identifier: MIT
#include "mutant_actor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mutant_actor actor;
__thread bool on_actor;
static const char *prog_name = "mutant";
static pthread_t actor_thread;

static void *actor_main(void *arg)
{
	(void)arg;
	on_actor = true;
	for (;;) {
		sem_wait(&actor.go);
		if (actor.quit)
			return NULL;
		actor.rc = actor.job(actor.mm);
		sem_post(&actor.done);
	}
}

void mutant_actor_start(void)
{
	sem_init(&actor.go, 0, 0);
	sem_init(&actor.done, 0, 0);
	if (pthread_create(&actor_thread, NULL, actor_main, NULL))
		mutant_fail("pthread_create", -1);
}

void mutant_actor_run(void)
{
	sem_post(&actor.go);
	sem_wait(&actor.done);
}

void mutant_actor_stop(void)
{
	actor.quit = true;
	sem_post(&actor.go);
	pthread_join(actor_thread, NULL);
}

void mutant_fail(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %d (%s)\n", prog_name, what, rc, strerror(rc < 0 ? -rc : rc));
	exit(1);
}

int mutant_dontneed_all(struct ptsim_mm *mm)
{
	return ptsim_madvise(mm, MUTANT_BASE, MUTANT_LEN, PTSIM_MADV_DONTNEED);
}

struct ptsim_mm *mutant_mm_filled(enum ptsim_strategy s, unsigned mutant)
{
	struct ptsim_mm *mm;
	int rc;

	if ((rc = ptsim_mm_create(s, &mm)))
		mutant_fail("ptsim_mm_create", rc);
	if ((rc = ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, mutant)))
		mutant_fail("PTSIM_OPT_MUTANT", rc);
	if ((rc = ptsim_mmap(mm, MUTANT_BASE, MUTANT_LEN, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                     PTSIM_MAP_FIXED, NULL)))
		mutant_fail("ptsim_mmap", rc);
	if ((rc = ptsim_touch(mm, MUTANT_BASE, MUTANT_LEN, PTSIM_ACCESS_WRITE)))
		mutant_fail("ptsim_touch (fill)", rc);
	return mm;
}

int mutant_main(const char *prog, const char *what, unsigned mutant, bool (*round)(unsigned mutant))
{
	unsigned caught = 0, clean = 0;

	prog_name = prog;
	if (!ptsim_checked_available() || ptsim_set_checked(1) < 0)
		return 77;
	mutant_actor_start();
	for (int i = 0; i < MUTANT_ROUNDS; i++) {
		caught += round(mutant);
		clean += !round(PTSIM_MUTANT_NONE);
	}
	mutant_actor_stop();
	printf("%s: mutant caught in %u/%d rounds, real strategy clean in %u/%d\n", what, caught,
	       MUTANT_ROUNDS, clean, MUTANT_ROUNDS);
	return caught == MUTANT_ROUNDS && clean == MUTANT_ROUNDS ? 0 : 1;
}

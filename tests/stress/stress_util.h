/* SPDX-License-Identifier: MIT */
/*
 * The clock, run length and random numbers of the time-bounded stress
 * programs (stress.c, stress_cow.c, rwsem_levels.c).
 */
#ifndef PTSIM_STRESS_UTIL_H
#define PTSIM_STRESS_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double stress_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How long a run lasts: 2 s, or PTSIM_STRESS_SECONDS when set above 0. */
static inline double stress_seconds(void)
{
	const char *e = getenv("PTSIM_STRESS_SECONDS");
	double s = e ? strtod(e, NULL) : 0;

	return s > 0 ? s : 2.0;
}

static inline void stress_sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	nanosleep(&ts, NULL);
}

/* A per-thread linear congruential generator: no shared state, no lock. */
static inline unsigned stress_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

#endif

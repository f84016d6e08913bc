// SPDX-License-Identifier: MIT
/*
 * PTSIM_MALLOC=jemalloc: a dedicated jemalloc arena behind all of libptsim's
 * memory, so that mallctl statistics give what the simulator really holds.
 * Only for the static library: jemalloc's initial-exec TLS cannot be loaded
 * by dlopen, so the shared library always uses memalloc_libc.c.
 */
#include "memalloc.h"

#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static unsigned arena_index;
static int arena_flags; /* MALLOCX_ARENA | MALLOCX_TCACHE_NONE, or 0 */

static void arena_init(void)
{
	unsigned idx;
	size_t sz = sizeof(idx);

	if (mallctl("arenas.create", &idx, &sz, NULL, 0) == 0) {
		arena_index = idx;
		/* No thread cache: freed bytes must show in the arena's stats at once. */
		arena_flags = MALLOCX_ARENA(idx) | MALLOCX_TCACHE_NONE;
	}
}

void *ptsim_alloc(size_t size)
{
	pthread_once(&arena_once, arena_init);
	if (ptsim_inject_alloc_failure())
		return NULL;
	return mallocx(size ? size : 1, arena_flags | MALLOCX_ZERO);
}

void *ptsim_alloc_aligned(size_t size, size_t align)
{
	pthread_once(&arena_once, arena_init);
	if (ptsim_inject_alloc_failure())
		return NULL;
	return mallocx(size, arena_flags | MALLOCX_ALIGN(align));
}

void *ptsim_realloc(void *p, size_t size)
{
	pthread_once(&arena_once, arena_init);
	if (ptsim_inject_alloc_failure())
		return NULL;
	if (!p)
		return mallocx(size, arena_flags | MALLOCX_ZERO);
	return rallocx(p, size, arena_flags);
}

void ptsim_free(void *p)
{
	if (p)
		dallocx(p, arena_flags);
}

int ptsim_memalloc_stats(uint64_t *allocated, uint64_t *resident)
{
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch);
	char name[96];
	size_t small = 0, large = 0, res = 0, vsz = sizeof(size_t);

	pthread_once(&arena_once, arena_init);
	if (!arena_flags)
		return -ENOSYS;
	mallctl("epoch", &epoch, &sz, &epoch, sz);
	snprintf(name, sizeof(name), "stats.arenas.%u.small.allocated", arena_index);
	if (mallctl(name, &small, &vsz, NULL, 0))
		return -ENOSYS;
	snprintf(name, sizeof(name), "stats.arenas.%u.large.allocated", arena_index);
	mallctl(name, &large, &vsz, NULL, 0);
	snprintf(name, sizeof(name), "stats.arenas.%u.resident", arena_index);
	mallctl(name, &res, &vsz, NULL, 0);
	*allocated = small + large;
	*resident = res;
	return 0;
}

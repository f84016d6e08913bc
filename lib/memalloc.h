/* SPDX-License-Identifier: MIT */
/*
 * The library's own memory: every byte comes from one dedicated jemalloc
 * arena (mallocx/dallocx, never malloc/free), so what the simulator really
 * uses is measurable through mallctl statistics.
 */
#ifndef PTSIM_MEMALLOC_H
#define PTSIM_MEMALLOC_H

#include "internal.h"

void *ptsim_alloc(size_t size);                       /* zeroed; NULL on failure */
void *ptsim_alloc_aligned(size_t size, size_t align); /* not zeroed */
void *ptsim_realloc(void *p, size_t size);
void ptsim_free(void *p);
/* Failure injection for tests: the next `n`th allocation fails (0: off). */
void ptsim_memalloc_fail_nth(unsigned n);
/* True when an injected failure is due: for allocators that carve from
 * memory already held (table slabs, the frame pool). */
bool ptsim_inject_alloc_failure(void);
int ptsim_memalloc_stats(uint64_t *allocated, uint64_t *resident);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The library's own memory: every byte goes through these calls, so what
 * the simulator really uses is measurable. Two allocators, chosen at build
 * time: a dedicated jemalloc arena (memalloc_jemalloc.c; mallctl statistics,
 * static library only) or the C library's malloc (memalloc_libc.c; the
 * shared library, and every product with PTSIM_MALLOC=libc, so that
 * sanitizers and leak checkers see each block).
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
/* The same, but the nth and every later allocation fail until reset with
 * ptsim_memalloc_fail_nth(0): memory that stays short, for the paths that
 * must not retry forever. Single-threaded tests only. */
void ptsim_memalloc_fail_from(unsigned n);
/* True when an injected failure is due: for allocators that carve from
 * memory already held (table slabs, the frame pool). */
bool ptsim_inject_alloc_failure(void);
int ptsim_memalloc_stats(uint64_t *allocated, uint64_t *resident);

#endif

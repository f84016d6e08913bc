// SPDX-License-Identifier: MIT
/*
 * The C library's malloc behind all of libptsim's memory: the shared
 * library's allocator (it stays loadable by dlopen), and everywhere with
 * PTSIM_MALLOC=libc, so that ASan, LSan and valgrind see every block.
 * The statistics count usable bytes of live blocks; malloc keeps no
 * per-library figure of what is resident.
 */
#include "memalloc.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static uint64_t live_bytes;

static void *account(void *p)
{
	if (p)
		__atomic_add_fetch(&live_bytes, malloc_usable_size(p), __ATOMIC_RELAXED);
	return p;
}

static void unaccount(void *p)
{
	if (p)
		__atomic_sub_fetch(&live_bytes, malloc_usable_size(p), __ATOMIC_RELAXED);
}

void *ptsim_alloc(size_t size)
{
	if (ptsim_inject_alloc_failure())
		return NULL;
	return account(calloc(1, size ? size : 1));
}

void *ptsim_alloc_aligned(size_t size, size_t align)
{
	void *p;

	if (ptsim_inject_alloc_failure())
		return NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size ? size : 1))
		return NULL;
	return account(p);
}

void *ptsim_realloc(void *p, size_t size)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q;

	if (ptsim_inject_alloc_failure())
		return NULL;
	if (!p)
		return account(calloc(1, size ? size : 1));
	q = realloc(p, size ? size : 1);
	if (!q)
		return NULL;
	__atomic_sub_fetch(&live_bytes, old, __ATOMIC_RELAXED);
	return account(q);
}

void ptsim_free(void *p)
{
	unaccount(p);
	free(p);
}

int ptsim_memalloc_stats(uint64_t *allocated, uint64_t *resident)
{
	*allocated = __atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
	*resident = *allocated;
	return 0;
}

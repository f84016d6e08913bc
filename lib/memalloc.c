// SPDX-License-Identifier: MIT
/*
 * What both allocators share: failure injection for tests. The allocator
 * itself is memalloc_jemalloc.c or memalloc_libc.c, chosen by the build.
 */
#include "memalloc.h"

static unsigned fail_countdown;
static bool fail_sticky; /* the nth and every later allocation fail */

bool ptsim_inject_alloc_failure(void)
{
	unsigned n = READ_ONCE(fail_countdown);

	if (likely(n == 0))
		return false;
	if (n == 1 && READ_ONCE(fail_sticky))
		return true;
	return __atomic_sub_fetch(&fail_countdown, 1, __ATOMIC_RELAXED) == 0;
}

void ptsim_memalloc_fail_nth(unsigned n)
{
	WRITE_ONCE(fail_sticky, false);
	WRITE_ONCE(fail_countdown, n);
}

void ptsim_memalloc_fail_from(unsigned n)
{
	WRITE_ONCE(fail_countdown, n);
	WRITE_ONCE(fail_sticky, n != 0);
}

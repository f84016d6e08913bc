// SPDX-License-Identifier: MIT
/*
 * What both allocators share: failure injection for tests. The allocator
 * itself is memalloc_jemalloc.c or memalloc_libc.c, chosen by the build.
 */
#include "memalloc.h"

static unsigned fail_countdown;

bool ptsim_inject_alloc_failure(void)
{
	unsigned n = READ_ONCE(fail_countdown);

	if (likely(n == 0))
		return false;
	return __atomic_sub_fetch(&fail_countdown, 1, __ATOMIC_RELAXED) == 0;
}

void ptsim_memalloc_fail_nth(unsigned n)
{
	WRITE_ONCE(fail_countdown, n);
}

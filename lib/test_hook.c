// SPDX-License-Identifier: MIT
/* Test hooks (test_hook.h). */
#include "test_hook.h"

#ifdef PTSIM_CHECKED
struct test_hook test_hooks[TEST_HOOK_COUNT];

void test_hook_set(enum test_hook_point point, test_hook_fn fn, void *arg)
{
	test_hooks[point].arg = arg;
	/* Release: a hook seen installed sees its argument. */
	__atomic_store_n(&test_hooks[point].fn, fn, __ATOMIC_RELEASE);
}
#endif

// SPDX-License-Identifier: MIT
/* Table slabs and O(1) descriptors (lib/pt_alloc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ptdesc.h"

static void test_descriptor_from_address(void **state)
{
	struct ptdesc *d = pt_alloc(NULL, PT_LEVEL_PTE);
	pte_t *table;

	(void)state;
	assert_non_null(d);
	table = ptdesc_table(d);
	assert_int_equal((uintptr_t)table & (PAGE_SIZE - 1), 0);
	/* Every address inside the table maps back to its descriptor. */
	assert_ptr_equal(ptdesc_of(table), d);
	assert_ptr_equal(ptdesc_of(&table[511]), d);
	assert_int_equal(d->level, PT_LEVEL_PTE);
	assert_int_equal(d->state, PTD_ALLOCATED);
	for (int i = 0; i < 512; i++)
		assert_int_equal(table[i], 0);
	pt_free_now(d);
}

static void test_alloc_free_counts_and_zeroing(void **state)
{
	enum { N = 1200 }; /* more than two slabs */
	static struct ptdesc *d[N];
	uint64_t in_use0, slabs0, pending0, in_use, slabs, pending;

	(void)state;
	pt_alloc_stats(&in_use0, &slabs0, &pending0);
	for (int i = 0; i < N; i++) {
		d[i] = pt_alloc(NULL, PT_LEVEL_PMD);
		assert_non_null(d[i]);
		ptdesc_table(d[i])[7] = 0xdead; /* dirty it: the next owner must get zeros */
		for (int j = 0; j < i; j += 97)
			assert_ptr_not_equal(d[i], d[j]);
	}
	pt_alloc_stats(&in_use, &slabs, &pending);
	assert_int_equal(in_use - in_use0, N);
	assert_true(slabs >= (N + PT_SLAB_PAGES - PT_SLAB_DESC_PAGES - 1) /
	                             (PT_SLAB_PAGES - PT_SLAB_DESC_PAGES));
	for (int i = 0; i < N; i++)
		pt_free_now(d[i]);
	pt_alloc_stats(&in_use, &slabs, &pending);
	assert_int_equal(in_use, in_use0);
	/* Empty slabs go back to jemalloc, but for one kept as a spare. */
	assert_true(slabs <= slabs0 + 1);
	d[0] = pt_alloc(NULL, PT_LEVEL_PTE);
	assert_int_equal(ptdesc_table(d[0])[7], 0);
	pt_free_now(d[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_descriptor_from_address),
	        cmocka_unit_test(test_alloc_free_counts_and_zeroing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

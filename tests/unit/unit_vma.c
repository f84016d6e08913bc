// SPDX-License-Identifier: MIT
/* The sorted VMA array (lib/vma.c). Pages are drawn one character per 4 KiB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vma.h"

#define P(n) ((uint64_t)(n)*PAGE_SIZE)

static void add(struct vma_tree *t, uint64_t s, uint64_t e, int prot, uint64_t anon)
{
	struct vm_area v = {.start = s, .end = e, .prot = prot, .anon_vma = anon};

	assert_int_equal(vma_reserve(t, 1), 0);
	vma_insert(t, vma_find_index(t, s), &v);
}

static void test_find_and_lookup(void **state)
{
	struct vma_tree t;

	(void)state;
	vma_tree_init(&t);
	/* page: 0123456789
	 *       .AA..BBB..   */
	add(&t, P(1), P(3), 3, 0);
	add(&t, P(5), P(8), 3, 0);
	assert_ptr_equal(find_vma(&t, 0), t.v[0]);
	assert_ptr_equal(find_vma(&t, P(3)), t.v[1]);
	assert_null(find_vma(&t, P(8)));
	assert_null(vma_lookup(&t, P(4)));
	assert_ptr_equal(vma_lookup(&t, P(7)), t.v[1]);
	assert_true(vma_range_covered(&t, P(5), P(8)));
	assert_false(vma_range_covered(&t, P(1), P(6)));
	assert_true(vma_range_overlaps(&t, P(0), P(2)));
	assert_false(vma_range_overlaps(&t, P(3), P(5)));
	vma_tree_destroy(&t);
}

static void test_split_and_merge(void **state)
{
	struct vma_tree t;

	(void)state;
	vma_tree_init(&t);
	/* AAAAAAAA -> AAA BB AAA (split twice) -> the middle gets prot 1 -> merge back */
	add(&t, P(0), P(8), 3, 7);
	assert_int_equal(vma_reserve(&t, 2), 0);
	vma_split(&t, 0, P(3));
	vma_split(&t, 1, P(5));
	assert_int_equal(t.nr, 3);
	assert_int_equal(t.v[1]->start, P(3));
	assert_int_equal(t.v[1]->end, P(5));
	assert_int_equal(t.v[2]->anon_vma, 7);
	t.v[1]->prot = 1;
	assert_int_equal(vma_merge_around(&t, 1), 1);
	assert_int_equal(t.nr, 3); /* different prot: no merge */
	t.v[1]->prot = 3;
	assert_int_equal(vma_merge_around(&t, 1), 0);
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.v[0]->start, P(0));
	assert_int_equal(t.v[0]->end, P(8));
	vma_tree_destroy(&t);
}

static void test_anon_vma_compatibility(void **state)
{
	struct vma_tree t;

	(void)state;
	vma_tree_init(&t);
	/* AAAABBBB with two different anon_vmas never merge; an unfaulted one joins. */
	add(&t, P(0), P(4), 3, 1);
	add(&t, P(4), P(8), 3, 2);
	assert_false(vma_try_join(&t, 0));
	add(&t, P(8), P(9), 3, 0);
	assert_true(vma_try_join(&t, 1));
	assert_int_equal(t.nr, 2);
	assert_int_equal(t.v[1]->end, P(9));
	assert_int_equal(t.v[1]->anon_vma, 2);
	vma_tree_destroy(&t);
}

static void test_gap_search(void **state)
{
	struct vma_tree t;

	(void)state;
	vma_tree_init(&t);
	/* page: 0123456789ABCDEF, low = 1, high = 15
	 *       ....XX....XX...   */
	add(&t, P(4), P(6), 3, 0);
	add(&t, P(10), P(12), 3, 0);
	assert_int_equal(vma_unmapped_area_topdown(&t, P(3), P(1), P(15)), P(12));
	assert_int_equal(vma_unmapped_area_topdown(&t, P(4), P(1), P(15)), P(6));
	assert_int_equal(vma_unmapped_area_topdown(&t, P(5), P(1), P(15)), 0);
	assert_int_equal(vma_unmapped_area_topdown(&t, P(3), P(1), P(11)), P(7));
	assert_int_equal(vma_unmapped_area_topdown(&t, P(4), P(1), P(9)),
	                 0); /* [6,9) is 3 pages, [1,4) too */
	assert_int_equal(vma_unmapped_area_bottomup(&t, P(3), P(1), P(15)), P(1));
	assert_int_equal(vma_unmapped_area_bottomup(&t, P(4), P(1), P(15)), P(6));
	vma_tree_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_find_and_lookup),
	        cmocka_unit_test(test_split_and_merge),
	        cmocka_unit_test(test_anon_vma_compatibility),
	        cmocka_unit_test(test_gap_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

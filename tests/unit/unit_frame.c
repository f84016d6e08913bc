// SPDX-License-Identifier: MIT
/* The frame allocator and references (lib/frame.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "frame.h"

static uint64_t in_use(void)
{
	uint64_t n, meta;

	frame_global_stats(&n, &meta);
	return n;
}

static void test_alloc_put_reuse(void **state)
{
	uint64_t base = in_use();
	uint32_t a = frame_alloc(), b = frame_alloc();

	(void)state;
	assert_int_not_equal(a, UINT32_MAX);
	assert_int_not_equal(a, b);
	assert_int_not_equal(a, ZERO_FRAME);
	assert_int_equal(frame_refcount(a), 1);
	assert_int_equal(in_use() - base, 2);
	frame_get(a);
	frame_put(a);
	assert_int_equal(frame_refcount(a), 1);
	frame_put(a);
	frame_put(b);
	assert_int_equal(in_use(), base);
	assert_int_equal(frame_refcount(a), 0);
}

static void test_pin_keeps_frame_alive(void **state)
{
	uint32_t a = frame_alloc();
	uint64_t c;

	(void)state;
	assert_true(frame_try_pin(a));
	c = frame_count(a);
	assert_int_equal(FRAME_REFS(c), 2);
	assert_int_equal(FRAME_PINS(c), 1);
	frame_put(a); /* the mapping goes (zap) */
	assert_int_equal(frame_refcount(a), 1);
	frame_unpin(a);
	assert_int_equal(frame_refcount(a), 0);
	/* A free frame cannot be pinned: GUP-fast must back off. */
	assert_false(frame_try_pin(a));
}

static void test_pfn_space(void **state)
{
	(void)state;
	assert_true(is_zero_pfn(ptsim_zero_pfn()));
	assert_true(pfn_is_frame(frame_pfn(12345)));
	assert_int_equal(pfn_frame(frame_pfn(12345)), 12345);
	/* Table PFNs (process addresses >> 12) are below every frame PFN. */
	assert_false(pfn_is_frame(0x7fffffffffffULL >> 12));
}

static void test_many_frames_cross_chunks(void **state)
{
	enum { N = FRAME_CHUNK_FRAMES + 1000 };
	static uint32_t f[N];
	uint64_t base = in_use();

	(void)state;
	for (int i = 0; i < N; i++) {
		f[i] = frame_alloc();
		assert_int_not_equal(f[i], UINT32_MAX);
	}
	assert_int_equal(in_use() - base, N);
	for (int i = 0; i < N; i++)
		frame_put(f[i]);
	assert_int_equal(in_use(), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_alloc_put_reuse),
	        cmocka_unit_test(test_pin_keeps_frame_alive),
	        cmocka_unit_test(test_pfn_space),
	        cmocka_unit_test(test_many_frames_cross_chunks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

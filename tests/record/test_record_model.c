/* SPDX-License-Identifier: MIT */
/*
 * ptsim-record's pieces without the hooks: the layout model (split, merge,
 * cover), the resync against this process's /proc/self/maps, and the
 * present-page runs read from its page tables.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record.h"

static struct rec_state *new_state(void)
{
	void *p = mmap(NULL, sizeof(struct rec_state), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	((struct rec_state *)p)->fd = -1;
	((struct rec_state *)p)->pagemap_fd = -1;
	return p;
}

static void free_state(struct rec_state *st)
{
	if (st->pagemap_fd >= 0)
		close(st->pagemap_fd);
	munmap(st, sizeof(*st));
}

/* The trace text written so far, NUL-terminated. */
static const char *text(struct rec_state *st)
{
	assert_true(st->out_len < sizeof(st->out));
	st->out[st->out_len] = '\0';
	return st->out;
}

static void test_model_split_and_merge(void **state)
{
	struct rec_state *st = new_state();

	(void)state;
	rec_model_set(st, 0x10000, 0x20000, PROT_READ | PROT_WRITE);
	rec_model_set(st, 0x20000, 0x30000, PROT_READ | PROT_WRITE); /* merges */
	assert_int_equal(st->nr_model, 1);
	rec_model_set(st, 0x14000, 0x18000, PROT_NONE); /* splits in three */
	assert_int_equal(st->nr_model, 3);
	assert_int_equal(rec_model_prot_at(st, 0x15000), PROT_NONE);
	assert_int_equal(rec_model_prot_at(st, 0x18000), PROT_READ | PROT_WRITE);
	assert_true(rec_model_covers(st, 0x10000, 0x30000));
	rec_model_set(st, 0x14000, 0x18000, PROT_READ | PROT_WRITE); /* merges back */
	assert_int_equal(st->nr_model, 1);
	rec_model_set(st, 0x1f000, 0x21000, REC_PROT_UNMAPPED); /* a hole */
	assert_int_equal(st->nr_model, 2);
	assert_false(rec_model_covers(st, 0x10000, 0x30000));
	assert_true(rec_model_overlaps(st, 0x1e000, 0x20000));
	assert_false(rec_model_overlaps(st, 0x1f000, 0x21000));
	assert_int_equal(rec_model_prot_at(st, 0x20000), REC_PROT_UNMAPPED);
	rec_model_set(st, 0x0, 0x40000, REC_PROT_UNMAPPED); /* everything */
	assert_int_equal(st->nr_model, 0);
	free_state(st);
}

/* "tN OP 0xADDR 0xLEN": a line of the text for that range, or NULL. */
static const char *find_op(const char *txt, const char *op, void *addr, size_t len)
{
	char line[128];

	snprintf(line, sizeof(line), "t0 %s %p 0x%zx", op, addr, len);
	return strstr(txt, line);
}

static void test_resync_follows_maps(void **state)
{
	struct rec_state *st = new_state();
	size_t len = 16 * REC_PAGE_SIZE;
	char *p;

	(void)state;
	assert_int_equal(rec_resync(st, 0), 0);
	assert_true(st->nr_model > 3); /* the program, libc, the stack at least */
	assert_non_null(strstr(text(st), "t0 mmap "));
	/* a new mapping, with a hole punched in it and a read-only part */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_false(rec_model_overlaps(st, (uintptr_t)p, (uintptr_t)p + len));
	st->out_len = 0;
	assert_int_equal(rec_resync(st, 0), 0);
	assert_true(rec_model_covers(st, (uintptr_t)p, (uintptr_t)p + len));
	munmap(p + 4 * REC_PAGE_SIZE, 2 * REC_PAGE_SIZE);
	mprotect(p + 8 * REC_PAGE_SIZE, 4 * REC_PAGE_SIZE, PROT_READ);
	st->out_len = 0;
	assert_int_equal(rec_resync(st, 0), 0);
	assert_non_null(find_op(text(st), "munmap", p + 4 * REC_PAGE_SIZE, 2 * REC_PAGE_SIZE));
	assert_non_null(find_op(text(st), "mprotect", p + 8 * REC_PAGE_SIZE, 4 * REC_PAGE_SIZE));
	assert_int_equal(rec_model_prot_at(st, (uintptr_t)p + 8 * REC_PAGE_SIZE), PROT_READ);
	assert_int_equal(rec_model_prot_at(st, (uintptr_t)p + 4 * REC_PAGE_SIZE),
	                 REC_PROT_UNMAPPED);
	munmap(p, len);
	free_state(st);
}

/* Two runs of present pages, in both ways of reading them. */
static void test_touch_present_runs(void **state)
{
	struct rec_state *st = new_state();
	size_t len = 8 * REC_PAGE_SIZE;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(p != MAP_FAILED);
	st->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (st->pagemap_fd < 0) {
		free_state(st);
		munmap(p, len);
		skip();
	}
	p[0] = 1;
	p[REC_PAGE_SIZE] = 1;
	p[5 * REC_PAGE_SIZE] = 1;
	rec_model_set(st, (uintptr_t)p, (uintptr_t)p + len, PROT_READ | PROT_WRITE);
	for (int mode = -1; mode <= 0; mode++) { /* -1: PAGEMAP_SCAN if there, 0: read */
		st->scan_mode = mode;
		st->out_len = 0;
		rec_touch_present(st, 0, (uintptr_t)p, (uintptr_t)p + len);
		assert_non_null(find_op(text(st), "touch", p, 2 * REC_PAGE_SIZE));
		assert_non_null(find_op(text(st), "touch", p + 5 * REC_PAGE_SIZE, REC_PAGE_SIZE));
		assert_null(strstr(text(st), " r\n"));
	}
	munmap(p, len);
	free_state(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_model_split_and_merge),
	        cmocka_unit_test(test_resync_follows_maps),
	        cmocka_unit_test(test_touch_present_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

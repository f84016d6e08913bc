/* SPDX-License-Identifier: MIT */
/*
 * Which pages of a range are present, from the process's own page tables:
 * the PAGEMAP_SCAN ioctl (Linux 6.7+) hands back runs of present pages and
 * skips empty tables in the kernel; where it is missing, /proc/self/pagemap
 * is read an entry (8 bytes) per page. Each run becomes one touch, so that
 * the replay builds the page tables the kernel built.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record.h"

/* linux/fs.h of Linux 6.7; the build host's headers may be older. */
struct rec_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define REC_PAGEMAP_SCAN    _IOWR('f', 16, struct rec_pm_scan_arg)
#define REC_PAGE_IS_PRESENT (1ULL << 3)
#define REC_PM_PRESENT      (1ULL << 63)

/* Whether the last checkpoint wrote a run that holds [start, end). */
static bool in_prev_runs(const struct rec_state *st, uint64_t start, uint64_t end)
{
	int lo = 0, hi = st->nr_prev_runs;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (st->prev_runs[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->nr_prev_runs && st->prev_runs[lo].start <= start &&
	       st->prev_runs[lo].end >= end;
}

static void put_touch(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot)
{
	if (st->in_checkpoint) {
		bool known = !st->zapped && in_prev_runs(st, start, end);

		if (st->nr_cur_runs < REC_MAX_RUNS)
			st->cur_runs[st->nr_cur_runs] = (struct rec_run){start, end};
		st->nr_cur_runs++;
		if (known)
			return; /* the replay has these pages: nothing has zapped them since */
	}
	rec_put_range(st, tid, "touch", start, end - start);
	rec_put(st, prot & PROT_WRITE ? " w\n" : " r\n");
}

/* 0 when done, -1 when the ioctl is not there (the caller falls back). */
static int scan_ioctl(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot)
{
	struct rec_pm_scan_arg arg = {
	        .size = sizeof(arg),
	        .vec = (uint64_t)(uintptr_t)st->regions,
	        .vec_len = REC_NR_REGIONS,
	        .category_mask = REC_PAGE_IS_PRESENT,
	        .return_mask = REC_PAGE_IS_PRESENT,
	};

	while (start < end) {
		long n;

		arg.start = start;
		arg.end = end;
		arg.walk_end = 0;
		n = syscall(SYS_ioctl, st->pagemap_fd, REC_PAGEMAP_SCAN, &arg);
		if (n < 0)
			return errno == EINTR ? 0 : -1;
		for (long i = 0; i < n; i++)
			put_touch(st, tid, st->regions[i].start, st->regions[i].end, prot);
		if (arg.walk_end <= start)
			break;
		start = arg.walk_end;
	}
	return 0;
}

static void scan_read(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot)
{
	uint64_t run = 0; /* start of the run of present pages being built, 0: none */

	while (start < end) {
		uint64_t pages = (end - start) / REC_PAGE_SIZE;
		ssize_t r;

		if (pages > REC_NR_PM)
			pages = REC_NR_PM;
		r = syscall(SYS_pread64, st->pagemap_fd, st->pm, pages * 8,
		            (off_t)(start / REC_PAGE_SIZE * 8));
		if (r < 8)
			break;
		for (ssize_t i = 0; i < r / 8; i++, start += REC_PAGE_SIZE) {
			bool present = st->pm[i] & REC_PM_PRESENT;

			if (present && !run)
				run = start;
			if (!present && run) {
				put_touch(st, tid, run, start, prot);
				run = 0;
			}
		}
	}
	if (run)
		put_touch(st, tid, run, start, prot);
}

/* One stretch of one protection: touches are what that protection allows. */
static void touch_area(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot)
{
	if (prot == PROT_NONE || st->pagemap_fd < 0)
		return; /* no access would succeed: the replay could not fault such a page */
	if (st->scan_mode != 0) {
		if (scan_ioctl(st, tid, start, end, prot) == 0) {
			st->scan_mode = 1;
			return;
		}
		if (st->scan_mode == 1)
			return; /* it worked before: a transient failure, the next checkpoint
			           retries */
		st->scan_mode = 0;
	}
	scan_read(st, tid, start, end, prot);
}

void rec_touch_present(struct rec_state *st, int tid, uint64_t start, uint64_t end)
{
	for (int i = 0; i < st->nr_model && st->model[i].start < end; i++) {
		uint64_t s = st->model[i].start > start ? st->model[i].start : start;
		uint64_t e = st->model[i].end < end ? st->model[i].end : end;

		if (s < e)
			touch_area(st, tid, s, e, st->model[i].prot);
	}
}

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
#define REC_PAGE_IS_FILE    (1ULL << 2)
#define REC_PAGE_IS_PRESENT (1ULL << 3)
#define REC_PAGE_IS_PFNZERO (1ULL << 5)
#define REC_PM_PRESENT      (1ULL << 63)
#define REC_PM_FILE         (1ULL << 61) /* a file page or shared anonymous memory */

/* What a run of present pages is, as far as the replay needs to know. */
enum page_kind {
	PAGE_ANON, /* a private frame: the VMA has an anon_vma */
	PAGE_FILE, /* a page of the file (or shared memory): no anon_vma for it */
	PAGE_ZERO, /* the shared zero page: a read fault, no anon_vma */
};

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

/*
 * A checkpoint leaves out a run the last one wrote when nothing zapped
 * since; every run it finds is kept for the next one to compare with.
 */
static bool already_written(struct rec_state *st, uint64_t start, uint64_t end)
{
	bool known;

	if (!st->in_checkpoint)
		return false;
	known = !st->zapped && in_prev_runs(st, start, end);
	if (st->nr_cur_runs < REC_MAX_RUNS)
		st->cur_runs[st->nr_cur_runs] = (struct rec_run){start, end};
	st->nr_cur_runs++;
	return known;
}

static void put_one_touch(struct rec_state *st, int tid, uint64_t start, uint64_t end, char access)
{
	rec_put_range(st, tid, "touch", start, end - start);
	rec_put(st, access == 'w' ? " w\n" : " r\n");
}

/*
 * A run of pages to touch. A private frame in a VMA that cannot be written
 * (RELRO after the loader's relocations, memory written and then
 * protected) was written while the VMA could be, and gave it an anon_vma,
 * which decides what fork copies: the replay does the same, write access
 * given for the touch and taken back. The zero page is a read fault.
 */
static void put_touch(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot,
                      enum page_kind kind)
{
	bool written_ro = kind == PAGE_ANON && !(prot & PROT_WRITE);

	if (already_written(st, start, end))
		return; /* the replay has these pages: nothing has zapped them since */
	if (written_ro) {
		rec_put_range(st, tid, "mprotect", start, end - start);
		rec_put(st, " ");
		rec_put(st, rec_prot_word(prot | PROT_READ | PROT_WRITE));
		rec_put(st, "\n");
	}
	put_one_touch(st, tid, start, end,
	              kind == PAGE_ZERO || (kind == PAGE_FILE && !(prot & PROT_WRITE)) ? 'r' : 'w');
	if (written_ro) {
		rec_put_range(st, tid, "mprotect", start, end - start);
		rec_put(st, " ");
		rec_put(st, rec_prot_word(prot));
		rec_put(st, "\n");
	}
}

/* 0 when done, -1 when the ioctl is not there (the caller falls back). */
static int scan_ioctl(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot)
{
	struct rec_pm_scan_arg arg = {
	        .size = sizeof(arg),
	        .vec = (uint64_t)(uintptr_t)st->regions,
	        .vec_len = REC_NR_REGIONS,
	        .category_mask = REC_PAGE_IS_PRESENT,
	        .return_mask = REC_PAGE_IS_PRESENT | REC_PAGE_IS_FILE | REC_PAGE_IS_PFNZERO,
	};

	while (start < end) {
		long n;

		arg.start = start;
		arg.end = end;
		arg.walk_end = 0;
		n = syscall(SYS_ioctl, st->pagemap_fd, REC_PAGEMAP_SCAN, &arg);
		if (n < 0)
			return errno == EINTR ? 0 : -1;
		for (long i = 0; i < n; i++) {
			uint64_t c = st->regions[i].categories;

			put_touch(st, tid, st->regions[i].start, st->regions[i].end, prot,
			          c & REC_PAGE_IS_PFNZERO ? PAGE_ZERO
			          : c & REC_PAGE_IS_FILE  ? PAGE_FILE
			                                  : PAGE_ANON);
		}
		if (arg.walk_end <= start)
			break;
		start = arg.walk_end;
	}
	return 0;
}

static void scan_read(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot)
{
	uint64_t run = 0; /* start of the run of present pages being built, 0: none */
	enum page_kind kind = PAGE_ANON;

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
			/* the PFN is hidden without privilege: the zero page looks anonymous */
			enum page_kind k = st->pm[i] & REC_PM_FILE ? PAGE_FILE : PAGE_ANON;

			if (run && (!present || k != kind)) {
				put_touch(st, tid, run, start, prot, kind);
				run = 0;
			}
			if (present && !run) {
				run = start;
				kind = k;
			}
		}
	}
	if (run)
		put_touch(st, tid, run, start, prot, kind);
}

/* One stretch of one protection: touches are what that protection allows. */
static void touch_area(struct rec_state *st, int tid, uint64_t start, uint64_t end, int prot)
{
	if ((prot & REC_PROT_MASK) == PROT_NONE || st->pagemap_fd < 0)
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

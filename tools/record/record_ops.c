/* SPDX-License-Identifier: MIT */
/*
 * Each memory call, as the hooks (record_hooks.c) and the trap
 * (record_trap.c) hand it over, under the recorder's lock: first what the
 * call is about to destroy (the present pages of a range it zaps, as
 * touches, so that the replay builds the tables the kernel had), then the
 * call itself, made for real, then the call written as an operation of its
 * thread, with the layout model brought along.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "record.h"

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define st rec_st

static uint64_t page_up(uint64_t len)
{
	return (len + REC_PAGE_SIZE - 1) & ~(REC_PAGE_SIZE - 1);
}

static bool failed(long r)
{
	return r < 0 && r > -4096;
}

/* A range the model does not know is one the process mapped behind the hooks. */
static void know_range(int tid, uint64_t start, uint64_t end)
{
	if (!rec_model_covers(st, start, end))
		rec_resync(st, tid);
}

static void put_op(int tid, const char *op, uint64_t addr, uint64_t len, const char *word)
{
	/* conservative: any of these may have taken pages the last checkpoint wrote */
	if (strcmp(op, "munmap") == 0 || strcmp(op, "madvise") == 0)
		st->zapped = true;
	rec_put_range(st, tid, op, addr, len);
	if (word) {
		rec_put(st, " ");
		rec_put(st, word);
	}
	rec_put(st, "\n");
}

long rec_op_mmap(int tid, uint64_t a, uint64_t len, int prot, int flags, int fd, off_t off)
{
	uint64_t l = page_up(len);
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	long r;

	if ((flags & MAP_FIXED) && rec_model_overlaps(st, a, a + l)) {
		rec_touch_present(st, tid, a, a + l); /* what MAP_FIXED replaces */
		st->zapped = true;
	}
	r = rec_syscall(SYS_mmap, (long)a, (long)len, prot, flags, fd, off);
	if (failed(r))
		return r;
	a = (uint64_t)r;
	if (!fixed && rec_model_overlaps(st, a, a + l)) {
		rec_resync(st, tid); /* something went behind our back: take it all */
	} else {
		put_op(tid, "mmap", a, l, rec_prot_word(prot));
		rec_model_set(st, a, a + l, prot);
	}
	if (flags & MAP_POPULATE)
		rec_touch_present(st, tid, a, a + l);
	return r;
}

long rec_op_munmap(int tid, uint64_t a, uint64_t len)
{
	uint64_t l = page_up(len);
	long r;

	know_range(tid, a, a + l);
	rec_touch_present(st, tid, a, a + l);
	r = rec_syscall(SYS_munmap, (long)a, (long)len, 0, 0, 0, 0);
	if (r == 0) {
		put_op(tid, "munmap", a, l, NULL);
		rec_model_set(st, a, a + l, REC_PROT_UNMAPPED);
	}
	return r;
}

long rec_op_mprotect(int tid, uint64_t a, uint64_t len, int prot)
{
	uint64_t l = page_up(len);
	long r;

	know_range(tid, a, a + l);
	/*
	 * Pages written while the range could be: touched as writes now, so
	 * that the replay's VMA gets its anon_vma as the real one did (and
	 * pages that become inaccessible could not be touched later at all).
	 */
	if (!(prot & PROT_WRITE))
		rec_touch_present(st, tid, a, a + l);
	r = rec_syscall(SYS_mprotect, (long)a, (long)len, prot, 0, 0, 0);
	if (r == 0 && rec_model_covers(st, a, a + l)) {
		put_op(tid, "mprotect", a, l, rec_prot_word(prot));
		rec_model_set(st, a, a + l, prot);
	} else if (r == 0) {
		rec_resync(st, tid);
	}
	return r;
}

/* The trace's word for an advice, or NULL for one that the replay does not model. */
static const char *advice_word(int advice, bool *zaps)
{
	*zaps = false;
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_REMOVE: /* anonymous private memory: as DONTNEED */
		*zaps = true;
		return "dontneed";
	case MADV_FREE:
		*zaps = true;
		return "free";
	case MADV_POPULATE_READ:
		return "populate_read";
	case MADV_POPULATE_WRITE:
		return "populate_write";
	case MADV_NORMAL:
		return "normal";
	case MADV_WILLNEED:
		return "willneed";
	case MADV_COLD:
		return "cold";
	case MADV_PAGEOUT:
		*zaps = true; /* file pages may go: take the touches first */
		return "pageout";
	}
	return NULL;
}

/* madvise over the mapped parts only: the replay stops at an operation that fails. */
static void put_madvise(int tid, uint64_t a, uint64_t end, const char *word)
{
	for (int i = 0; i < st->nr_model && st->model[i].start < end; i++) {
		uint64_t s = st->model[i].start > a ? st->model[i].start : a;
		uint64_t e = st->model[i].end < end ? st->model[i].end : end;

		if (s < e)
			put_op(tid, "madvise", s, e - s, word);
	}
}

long rec_op_madvise(int tid, uint64_t a, uint64_t len, int advice)
{
	uint64_t l = page_up(len);
	bool zaps;
	const char *word = advice_word(advice, &zaps);
	long r;

	if (word)
		know_range(tid, a, a + l);
	if (zaps)
		rec_touch_present(st, tid, a, a + l);
	r = rec_syscall(SYS_madvise, (long)a, (long)len, advice, 0, 0, 0);
	if (word && (r == 0 || (r == -ENOMEM && zaps))) {
		put_madvise(tid, a, a + l, word);
	} else if (r == 0) {
		rec_put(st, "# ");
		rec_put_range(st, tid, "madvise", a, l);
		rec_put(st, " advice ");
		rec_put_dec(st, advice);
		rec_put(st, ": not modelled, left out\n");
	}
	return r;
}

static void put_mremap_comment(uint64_t o, uint64_t ol, uint64_t n, uint64_t nl)
{
	rec_put(st, "# mremap ");
	rec_put_hex(st, o);
	rec_put(st, " ");
	rec_put_hex(st, ol);
	rec_put(st, " -> ");
	rec_put_hex(st, n);
	rec_put(st, " ");
	rec_put_hex(st, nl);
	rec_put(st, "\n");
}

/*
 * mremap is written as what it leaves behind: the old range unmapped, the
 * new one mapped with the old protection, and a touch of each page that
 * arrived there (the kernel moves the entries; the replay faults them in).
 */
long rec_op_mremap(int tid, uint64_t o, uint64_t old_len, uint64_t new_len, int flags,
                   uint64_t want)
{
	uint64_t ol = page_up(old_len), nl = page_up(new_len), n;
	int prot;
	long r;

	know_range(tid, o, o + ol);
	rec_touch_present(st, tid, o, o + ol);
	prot = rec_model_prot_at(st, o);
	r = rec_syscall(SYS_mremap, (long)o, (long)old_len, (long)new_len, flags, (long)want, 0);
	if (failed(r))
		return r;
	if (ol == 0 || prot == REC_PROT_UNMAPPED) {
		rec_resync(st, tid);
		return r;
	}
	n = (uint64_t)r;
	put_mremap_comment(o, ol, n, nl);
	if (n == o && nl < ol) {
		put_op(tid, "munmap", o + nl, ol - nl, NULL);
		rec_model_set(st, o + nl, o + ol, REC_PROT_UNMAPPED);
	} else if (n == o && nl > ol) {
		put_op(tid, "mmap", o + ol, nl - ol, rec_prot_word(prot));
		rec_model_set(st, o + ol, o + nl, prot);
	} else if (n != o) {
		if (flags & MREMAP_DONTUNMAP) {
			put_madvise(tid, o, o + ol, "dontneed");
		} else {
			put_op(tid, "munmap", o, ol, NULL);
			rec_model_set(st, o, o + ol, REC_PROT_UNMAPPED);
		}
		put_op(tid, "mmap", n, nl, rec_prot_word(prot));
		rec_model_set(st, n, n + nl, prot);
		rec_touch_present(st, tid, n, n + nl);
	}
	return r;
}

/*
 * brk (only the trap sees it: glibc's malloc calls it internally): the
 * heap's end moves; what it gives up is zapped like an munmap.
 */
long rec_op_brk(int tid, uint64_t want)
{
	long cur = rec_syscall(SYS_brk, 0, 0, 0, 0, 0, 0), r;
	uint64_t old_end = page_up((uint64_t)cur), new_end;

	if (want && want < (uint64_t)cur)
		rec_touch_present(st, tid, page_up(want), old_end);
	r = rec_syscall(SYS_brk, (long)want, 0, 0, 0, 0, 0);
	new_end = page_up((uint64_t)r);
	if (new_end > old_end) {
		if (rec_model_overlaps(st, old_end, new_end)) {
			rec_resync(st, tid);
		} else {
			put_op(tid, "mmap", old_end, new_end - old_end, "rw");
			rec_model_set(st, old_end, new_end, PROT_READ | PROT_WRITE);
		}
	} else if (new_end < old_end) {
		put_op(tid, "munmap", new_end, old_end - new_end, NULL);
		rec_model_set(st, new_end, old_end, REC_PROT_UNMAPPED);
	}
	return r;
}

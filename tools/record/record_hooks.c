/* SPDX-License-Identifier: MIT */
/*
 * The interposed functions: what a program (or a library it links, such as
 * jemalloc) calls through the C library's exported symbols. Each hands the
 * call to record_ops.c under the recorder's lock, or makes it unrecorded
 * before the recorder has started. The C library's own internal calls do
 * not come here: record_trap.c catches those.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "record.h"

/* The C library's convention: -1 and errno. */
static long libc_result(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

__attribute__((visibility("default"))) void *mmap(void *addr, size_t len, int prot, int flags,
                                                  int fd, off_t off)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;
	int tid = rec_enter();
	long r;

	if (tid < 0)
		return (void *)libc_result(
		        rec_syscall(SYS_mmap, (long)a, (long)len, prot, flags, fd, off));
	r = rec_op_mmap(tid, a, len, prot, flags, fd, off);
	rec_leave(tid);
	r = libc_result(r);
	return r == -1 ? MAP_FAILED : (void *)r;
}

__attribute__((visibility("default"))) void *mmap64(void *addr, size_t len, int prot, int flags,
                                                    int fd, off_t off)
        __attribute__((alias("mmap")));

__attribute__((visibility("default"))) int munmap(void *addr, size_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;
	int tid = rec_enter();
	long r;

	if (tid < 0)
		return (int)libc_result(rec_syscall(SYS_munmap, (long)a, (long)len, 0, 0, 0, 0));
	r = rec_op_munmap(tid, a, len);
	rec_leave(tid);
	return (int)libc_result(r);
}

__attribute__((visibility("default"))) int mprotect(void *addr, size_t len, int prot)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;
	int tid = rec_enter();
	long r;

	if (tid < 0)
		return (int)libc_result(
		        rec_syscall(SYS_mprotect, (long)a, (long)len, prot, 0, 0, 0));
	r = rec_op_mprotect(tid, a, len, prot);
	rec_leave(tid);
	return (int)libc_result(r);
}

__attribute__((visibility("default"))) int madvise(void *addr, size_t len, int advice)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;
	int tid = rec_enter();
	long r;

	if (tid < 0)
		return (int)libc_result(
		        rec_syscall(SYS_madvise, (long)a, (long)len, advice, 0, 0, 0));
	r = rec_op_madvise(tid, a, len, advice);
	rec_leave(tid);
	return (int)libc_result(r);
}

__attribute__((visibility("default"))) void *mremap(void *old, size_t old_len, size_t new_len,
                                                    int flags, ...)
{
	uint64_t o = (uint64_t)(uintptr_t)old, want = 0;
	int tid;
	long r;
	va_list ap;

	va_start(ap, flags);
	if (flags & MREMAP_FIXED)
		want = (uint64_t)(uintptr_t)va_arg(ap, void *);
	va_end(ap);
	tid = rec_enter();
	if (tid < 0) {
		r = rec_syscall(SYS_mremap, (long)o, (long)old_len, (long)new_len, flags,
		                (long)want, 0);
	} else {
		r = rec_op_mremap(tid, o, old_len, new_len, flags, want);
		rec_leave(tid);
	}
	r = libc_result(r);
	return r == -1 ? MAP_FAILED : (void *)r;
}

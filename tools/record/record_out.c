/* SPDX-License-Identifier: MIT */
/*
 * The trace text, formatted by hand into the recorder's buffer: stdio may
 * allocate, and the recorder runs inside mmap() and friends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record.h"

void rec_flush(struct rec_state *st)
{
	size_t done = 0;

	while (st->fd >= 0 && done < st->out_len) {
		ssize_t r = syscall(SYS_write, st->fd, st->out + done, st->out_len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* a full disk loses the rest: the replay will say the trace ends
			          early */
		done += (size_t)r;
	}
	st->written += done;
	st->out_len = 0;
}

void rec_put(struct rec_state *st, const char *s)
{
	size_t n = strlen(s);

	if (st->out_len + n > sizeof(st->out))
		rec_flush(st);
	if (n > sizeof(st->out))
		return;
	memcpy(st->out + st->out_len, s, n);
	st->out_len += n;
}

void rec_put_hex(struct rec_state *st, uint64_t v)
{
	char buf[20], *p = buf + sizeof(buf);

	*--p = '\0';
	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	rec_put(st, p);
}

void rec_put_dec(struct rec_state *st, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	rec_put(st, p);
}

void rec_put_thread(struct rec_state *st, int tid)
{
	rec_put(st, "t");
	rec_put_dec(st, tid);
	rec_put(st, " ");
}

void rec_put_range(struct rec_state *st, int tid, const char *op, uint64_t addr, uint64_t len)
{
	rec_put_thread(st, tid);
	rec_put(st, op);
	rec_put(st, " ");
	rec_put_hex(st, addr);
	rec_put(st, " ");
	rec_put_hex(st, len);
}

/*
 * The trace's protections: x86-64 cannot map write-only or execute-only
 * pages (write implies read, and so does execute for user pages), so those
 * are written as the protection the hardware gives them.
 */
const char *rec_prot_word(int prot)
{
	bool w = prot & PROT_WRITE, x = prot & PROT_EXEC;

	if ((prot & REC_PROT_MASK) == PROT_NONE)
		return "none";
	if (x)
		return w ? "rwx" : "rx";
	return w ? "rw" : "r";
}

long rec_raw_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, off_t off)
{
	return rec_syscall(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

/* Reads a whole (small) /proc file into buf, NUL-terminated. */
int rec_read_file(const char *path, char *buf, size_t size, size_t *len)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return -errno;
	while (n < size - 1) {
		ssize_t r = syscall(SYS_read, fd, buf + n, size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	syscall(SYS_close, fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return 0;
}

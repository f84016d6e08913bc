/* SPDX-License-Identifier: MIT */
/*
 * ptsim-replay --probe: finds out, by doing it, which properties of this
 * machine's kernel the host comparisons rely on. Kernels of one version
 * differ by configuration and boot options (a 6.18 host booted without the
 * zero page maps a fresh page on every read fault), so the tests ask the
 * kernel rather than trust its version string.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "replay.h"

#define MiB           (1024ULL * 1024)
#define PMD_SIZE_HOST (2 * MiB)

/* A field of /proc/self/status in kB, or -1. */
static long long status_kb(const char *key)
{
	char buf[8192];
	size_t klen = strlen(key);
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10);
	return -1;
}

/* A PMD-aligned anonymous region of len bytes (the PTE tables are its own). */
static char *map_aligned(size_t len)
{
	size_t span = len + PMD_SIZE_HOST;
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + PMD_SIZE_HOST - 1) & ~(PMD_SIZE_HOST - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + len, (size_t)(p + span - (a + len)));
	return a;
}

/* Read faults on 4 MiB: the zero page costs no RSS, fresh pages 4096 kB. */
int host_probe_zero_page(void)
{
	size_t len = 4 * MiB;
	char *a = map_aligned(len);
	long long before, after;
	volatile char sink = 0;

	if (!a)
		return -1;
	madvise(a, len, MADV_NOHUGEPAGE);
	before = status_kb("RssAnon");
	for (size_t off = 0; off < len; off += 4096)
		sink += ((volatile char *)a)[off];
	after = status_kb("RssAnon");
	munmap(a, len);
	(void)sink;
	if (before < 0 || after < 0)
		return -1;
	return after - before < 2048;
}

/* MADV_DONTNEED of a whole written PMD range frees its PTE table (PT_RECLAIM). */
static int probe_pt_reclaim(void)
{
	size_t len = PMD_SIZE_HOST;
	char *a = map_aligned(len);
	long long before, after;

	if (!a)
		return -1;
	madvise(a, len, MADV_NOHUGEPAGE);
	memset(a, 1, len);
	before = status_kb("VmPTE");
	madvise(a, len, MADV_DONTNEED);
	after = status_kb("VmPTE");
	munmap(a, len);
	if (before < 0 || after < 0)
		return -1;
	return before - after >= 4;
}

/*
 * Anonymous mmap without a hint, length a multiple of 2 MiB: PMD-aligned
 * when the kernel does thp_get_unmapped_area(). A 4 KiB mapping first
 * moves the top-down search off any alignment it had by chance.
 */
static int probe_thp_align(void)
{
	int aligned = 0;

	for (int i = 0; i < 2; i++) {
		void *small = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		char *big = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		                 -1, 0);

		if (big != MAP_FAILED) {
			aligned += ((uintptr_t)big & (PMD_SIZE_HOST - 1)) == 0;
			munmap(big, 4 * MiB);
		}
		if (small != MAP_FAILED)
			munmap(small, 4096);
	}
	return aligned == 2;
}

static int read_int_file(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

static const char *yes_no(int v)
{
	return v < 0 ? "unknown" : v ? "yes" : "no";
}

int host_probe_print(FILE *out)
{
	int vmpte = status_kb("VmPTE") >= 0;

	fprintf(out, "vmpte=%s pt_reclaim=%s zero_page=%s thp_align=%s overcommit=%d\n",
	        yes_no(vmpte), yes_no(vmpte ? probe_pt_reclaim() : -1),
	        yes_no(host_probe_zero_page()), yes_no(probe_thp_align()),
	        read_int_file("/proc/sys/vm/overcommit_memory"));
	return 0;
}

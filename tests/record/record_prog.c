/* SPDX-License-Identifier: MIT */
/*
 * A small program for ptsim-record to record (tests/record/record_test.sh):
 * three threads map, touch, advise, protect, remap and unmap memory, and a
 * forked child does some of it too, with pauses for the recorder's
 * checkpoint thread. The workers also fill and empty a malloc arena of
 * their own, which glibc grows and trims with internal calls (mmap,
 * mprotect, madvise) that only the recorder's seccomp trap sees. Nothing
 * here knows about the recorder.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define PMD (2 * MIB)

static void touch(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		((volatile char *)p)[i] = 1;
}

static void pause_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	nanosleep(&ts, NULL);
}

static char *map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static char *pmd_align(char *p)
{
	return (char *)(((uintptr_t)p + PMD - 1) & ~(uintptr_t)(PMD - 1));
}

#define NR_BLOCKS  24
#define BLOCK_SIZE 120000 /* under the mmap threshold: from the arena */

/* 2.7 MiB of blocks in this thread's arena, then all freed: glibc trims the heap. */
static void churn_arena(void)
{
	static __thread char *blocks[NR_BLOCKS];

	for (int i = 0; i < NR_BLOCKS; i++) {
		blocks[i] = malloc(BLOCK_SIZE);
		if (!blocks[i])
			exit(1);
		memset(blocks[i], 1, BLOCK_SIZE);
	}
	pause_ms(30);
	for (int i = NR_BLOCKS - 1; i >= 0; i--)
		free(blocks[i]);
}

static void *worker(void *arg)
{
	long n = (long)arg;
	char *p = map(8 * MIB), *q = pmd_align(p);

	churn_arena();
	touch(q, 4 * MIB);
	pause_ms(30);
	if (mprotect(q + 2 * MIB, 2 * MIB, PROT_READ))
		perror("mprotect");
	if (madvise(q, PMD, n == 1 ? MADV_DONTNEED : MADV_FREE))
		perror("madvise");
	touch(q + 4 * MIB, 64 * 1024);
	pause_ms(30);
	if (munmap(p, 3 * MIB))
		perror("munmap");
	return NULL;
}

int main(void)
{
	char *a = map(16 * MIB), *al = pmd_align(a), *b, *c;
	pthread_t th[2];
	pid_t pid;

	touch(al, 8 * MIB);
	pause_ms(30);
	/* whole tables: freed by PT_RECLAIM; part of a table: kept */
	madvise(al, 4 * MIB, MADV_DONTNEED);
	madvise(al + 4 * MIB + 4096, PMD, MADV_DONTNEED);
	pause_ms(30);
	for (long i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	b = map(PMD);
	touch(b, PMD);
	c = mremap(b, PMD, 6 * MIB, MREMAP_MAYMOVE);
	if (c == MAP_FAILED) {
		perror("mremap");
		return 1;
	}
	touch(c + 4 * MIB, MIB);
	pause_ms(30);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		touch(al + 8 * MIB, 2 * MIB);
		madvise(al + 6 * MIB, 2 * MIB, MADV_DONTNEED);
		pause_ms(30);
		exit(0);
	}
	waitpid(pid, NULL, 0);
	munmap(a, 16 * MIB);
	munmap(c, 6 * MIB);
	pause_ms(30);
	printf("record_prog: done\n");
	return 0;
}

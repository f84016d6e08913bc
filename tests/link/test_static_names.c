// SPDX-License-Identifier: MIT
/*
 * Linked against libptsim.a: research code that has its own find_vma,
 * down_write and handle_mm_fault (the kernel names the library's internals
 * follow) links and keeps them, and keeps the C library's malloc even when
 * jemalloc is inside libptsim.a. Built twice: dynamic and fully -static.
 * Plain C (no CMocka), so that the -static build needs no static CMocka.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

/* The program's own, unrelated functions of the same names. */
int find_vma(int x);
int down_write(int x);
int handle_mm_fault(int x);
int find_vma(int x)
{
	return x + 1;
}
int down_write(int x)
{
	return x + 2;
}
int handle_mm_fault(int x)
{
	return x + 3;
}

static int fails;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
	fails += !ok;
}

int main(void)
{
	char msg[256] = "";
	struct mallinfo2 before, after;
	void *volatile p; /* so that the compiler keeps the malloc */

	check(find_vma(1) == 2 && down_write(1) == 3 && handle_mm_fault(1) == 4,
	      "the program's find_vma, down_write, handle_mm_fault are its own");
	check(link_workload(PTSIM_STRATEGY_RCU, msg, sizeof(msg)) == 0, "libptsim works (rcu)");
	check(link_workload(PTSIM_STRATEGY_NONE, msg, sizeof(msg)) == 0, "libptsim works (none)");
	if (msg[0])
		printf("     %s\n", msg);
	check(strcmp(ptsim_version(), PTSIM_VERSION) == 0, "ptsim_version() is the header's");

	/* glibc's mallinfo2() counts what its own malloc handed out, no other's. */
	before = mallinfo2();
	p = malloc(4u << 20);
	memset(p, 1, 4u << 20);
	after = mallinfo2();
	check(after.uordblks + after.hblkhd >= before.uordblks + before.hblkhd + (4u << 20),
	      "malloc is still the C library's");
	free(p);
	return fails ? 1 : 0;
}

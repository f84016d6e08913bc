/* SPDX-License-Identifier: MIT */
/*
 * ptsim_hello: the libptsim public API in one small program.
 *
 * For each strategy this build offers among "none" and "rcu": map 64 MiB,
 * write every page, print the page-table bytes (VmPTE), MADV_DONTNEED it all
 * and print them again. Linux up to 6.13 ("none") keeps the 32 empty PTE
 * tables until munmap; Linux 6.14+ with PT_RECLAIM ("rcu") frees them during
 * the DONTNEED. Then a bad call shows the kernel's errno, and
 * ptsim_mm_check() verifies every invariant of the simulated address space.
 *
 * Build (installed library): cc ptsim_hello.c $(pkg-config --cflags --libs ptsim)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ptsim/ptsim.h>

#define HELLO_BASE 0x500000000000ULL /* 512 GiB aligned: every table below it is ours */
#define HELLO_LEN  (64ULL << 20)

static int failed(const char *what, int err)
{
	fprintf(stderr, "ptsim_hello: %s: %s\n", what, strerror(-err));
	return 1;
}

static int print_vmpte(struct ptsim_mm *mm, const char *when, uint64_t *bytes)
{
	struct ptsim_mm_stats st;
	int err = ptsim_mm_get_stats(mm, &st);

	if (err)
		return failed("ptsim_mm_get_stats", err);
	printf("  %-16s pgtables_bytes=%llu (pte tables %llu, pmd %llu, pud %llu)\n", when,
	       (unsigned long long)st.pgtables_bytes, (unsigned long long)st.nr_pte_tables,
	       (unsigned long long)st.nr_pmd_tables, (unsigned long long)st.nr_pud_tables);
	*bytes = st.pgtables_bytes;
	return 0;
}

static int run(enum ptsim_strategy s)
{
	struct ptsim_mm *mm;
	uint64_t addr, touched, dontneed;
	char msg[256];
	int err, bad, ret = 1;

	err = ptsim_mm_create(s, &mm);
	if (err)
		return failed("ptsim_mm_create", err);
	printf("strategy %s\n", ptsim_strategy_name(s));

	err = ptsim_mmap(mm, HELLO_BASE, HELLO_LEN, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                 PTSIM_MAP_FIXED, &addr);
	if (err) {
		failed("ptsim_mmap", err);
		goto out;
	}
	err = ptsim_touch(mm, addr, HELLO_LEN, PTSIM_ACCESS_WRITE);
	if (err) {
		failed("ptsim_touch", err);
		goto out;
	}
	if (print_vmpte(mm, "after touch", &touched))
		goto out;
	err = ptsim_madvise(mm, addr, HELLO_LEN, PTSIM_MADV_DONTNEED);
	if (err) {
		failed("ptsim_madvise", err);
		goto out;
	}
	if (print_vmpte(mm, "after DONTNEED", &dontneed))
		goto out;

	/* A misaligned start: Linux's madvise(2) answers EINVAL and changes nothing. */
	bad = ptsim_madvise(mm, addr + 1, PTSIM_PAGE_SIZE, PTSIM_MADV_DONTNEED);
	printf("  madvise(addr + 1) = %d (%s)\n", bad, strerror(-bad));
	if (bad != -EINVAL) {
		fprintf(stderr, "ptsim_hello: expected -EINVAL\n");
		goto out;
	}

	err = ptsim_mm_check(mm, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "ptsim_hello: ptsim_mm_check: %s\n", msg);
		goto out;
	}
	printf("  ptsim_mm_check: consistent\n");

	/* none keeps the emptied PTE tables; rcu frees them and keeps the PMD and PUD. */
	if (s == PTSIM_STRATEGY_NONE ? dontneed != touched : dontneed >= touched) {
		fprintf(stderr, "ptsim_hello: unexpected pgtables_bytes after DONTNEED\n");
		goto out;
	}
	ret = 0;
out:
	ptsim_mm_destroy(mm);
	return ret;
}

int main(void)
{
	static const enum ptsim_strategy strategies[] = {PTSIM_STRATEGY_NONE, PTSIM_STRATEGY_RCU};
	int ret = 0;

	for (size_t i = 0; i < sizeof(strategies) / sizeof(strategies[0]); i++) {
		if (!ptsim_strategy_available(strategies[i])) {
			printf("strategy %s: not available in this build\n",
			       ptsim_strategy_name(strategies[i]));
			continue;
		}
		ret |= run(strategies[i]);
	}
	return ret;
}

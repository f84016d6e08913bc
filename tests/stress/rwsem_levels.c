/* SPDX-License-Identifier: MIT */
/*
 * rwsem stress (label `stress`): tables of every level freed while real
 * threads walk them, in checked mode (the use-after-free detector on).
 *
 *   V1  AT(1G) - 4M .. AT(1G) + 4M      8 MiB across a 1 GiB line: PTE
 *                                       tables under two PMD tables
 *   V3  AT(1G) + 8M .. + 2M             remapped (munmap + mmap MAP_FIXED):
 *                                       free_pgtables() on the PMD table a
 *                                       DONTNEED of V1 may free too
 *   V2  AT(512G) - 2M .. AT(512G) + 2M  4 MiB across a 512 GiB line: two
 *                                       PUD tables, one PMD table each
 *
 *   faulter  x2  ptsim_touch read/write of random pages and runs
 *   zapper   x2  DONTNEED of random sub-ranges and of whole regions (the
 *                free pass frees PTE, PMD and PUD tables), MADV_FREE
 *   remapper x1  munmap/mmap of V3, mprotect of V2 read-only and back
 *   walker   x1  ptsim_walk_page_range over V1 and V2, ptsim_get_pte
 *   gup      x1  ptsim_gup_fast + ptsim_unpin (lockless: the TLB flush
 *                before each free waits for it)
 *   forker   x1  ptsim_fork + ptsim_mm_destroy of the child
 *
 * Threads tolerate -EFAULT, -EACCES and -ENOMEM (a range being remapped or
 * write-protected). After the join: ptsim_mm_check() == 0, no detector
 * report, tables of every level were freed by DONTNEED (pmd_tables_freed
 * and pud_tables_freed > 0, write acquisitions of the rwsem), two counted
 * atomics per rwsem acquisition; then a DONTNEED of V1 and V2 and a munmap
 * of V3 leave VmPTE at exactly 0, which only rwsem does.
 *
 * Time bounds the work: default 2 s, PTSIM_STRESS_SECONDS overrides it; up
 * to 3 times more while no PMD or no PUD table was freed yet (a loaded
 * machine).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ptsim/ptsim.h>

#include "stress_util.h"

#define MiB     (1ULL << 20)
#define GiB     (1ULL << 30)
#define PG      PTSIM_PAGE_SIZE
#define BASE    0x500000000000ULL
#define V1      (BASE + GiB - 4 * MiB)
#define V1_LEN  (8 * MiB)
#define V3      (BASE + GiB + 8 * MiB)
#define V3_LEN  (2 * MiB)
#define V2      (BASE + 512 * GiB - 2 * MiB)
#define V2_LEN  (4 * MiB)
#define PROT_RW (PTSIM_PROT_READ | PTSIM_PROT_WRITE)

static struct ptsim_mm *mm;
static atomic_int stop, failures;
static atomic_ulong ops;

static void check_rc(const char *what, int rc)
{
	if (rc >= 0 || rc == -EFAULT || rc == -EACCES || rc == -ENOMEM)
		return;
	if (atomic_fetch_add(&failures, 1) == 0)
		fprintf(stderr, "rwsem_levels: %s = %d (%s)\n", what, rc, strerror(-rc));
}

/* A random page-aligned [start, start+len) inside one region. */
static void random_range(unsigned *seed, uint64_t *start, uint64_t *len)
{
	static const uint64_t base[3] = {V1, V2, V3}, size[3] = {V1_LEN, V2_LEN, V3_LEN};
	unsigned r = stress_rand(seed) % 3;
	uint64_t pages = size[r] / PG, first = stress_rand(seed) % pages;

	*start = base[r] + first * PG;
	*len = (1 + stress_rand(seed) % (pages - first)) * PG;
}

static void *faulter(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		uint64_t start, len;

		random_range(&seed, &start, &len);
		if (len > 64 * PG)
			len = 64 * PG;
		check_rc("ptsim_touch", ptsim_touch(mm, start, len, stress_rand(&seed) & 1));
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

static void *zapper(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		uint64_t start, len;
		unsigned r = stress_rand(&seed) % 8;

		random_range(&seed, &start, &len);
		if (r == 0) { /* whole regions: every level below them empties */
			check_rc("DONTNEED V1", ptsim_madvise(mm, V1, V1_LEN, PTSIM_MADV_DONTNEED));
			check_rc("DONTNEED V2", ptsim_madvise(mm, V2, V2_LEN, PTSIM_MADV_DONTNEED));
		} else if (r == 1) {
			check_rc("MADV_FREE", ptsim_madvise(mm, start, len, PTSIM_MADV_FREE));
		} else {
			check_rc("DONTNEED", ptsim_madvise(mm, start, len, PTSIM_MADV_DONTNEED));
		}
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

static void *remapper(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		uint64_t got;

		if (stress_rand(&seed) & 1) {
			check_rc("munmap V3", ptsim_munmap(mm, V3, V3_LEN));
			check_rc("mmap V3",
			         ptsim_mmap(mm, V3, V3_LEN, PROT_RW, PTSIM_MAP_FIXED, &got));
		} else {
			check_rc("mprotect V2 ro",
			         ptsim_mprotect(mm, V2, V2_LEN / 2, PTSIM_PROT_READ));
			check_rc("mprotect V2 rw", ptsim_mprotect(mm, V2, V2_LEN / 2, PROT_RW));
		}
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

static int count_pte(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	(void)addr;
	(void)next;
	/* A present entry must map the zero page or a frame: never poison. */
	if (pte && !(pte & PTSIM_PTE_PRESENT))
		(*(int *)priv)++;
	return 0;
}

static void *walker(void *arg)
{
	static const struct ptsim_walk_ops wops = {.pte_entry = count_pte};
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		uint64_t start, len, pte;
		int bad = 0;

		check_rc("walk V1", ptsim_walk_page_range(mm, V1, V1 + V1_LEN, &wops, &bad));
		check_rc("walk V2", ptsim_walk_page_range(mm, V2, V2 + V2_LEN, &wops, &bad));
		random_range(&seed, &start, &len);
		check_rc("ptsim_get_pte", ptsim_get_pte(mm, start, &pte));
		if (bad)
			check_rc("walk saw an entry that is neither none nor present", -EIO);
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

static void *gup(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	uint64_t pfns[16];

	while (!atomic_load(&stop)) {
		uint64_t start, len;
		int n;

		random_range(&seed, &start, &len);
		n = (int)(len / PG < 16 ? len / PG : 16);
		n = ptsim_gup_fast(mm, start, n, stress_rand(&seed) & 1, pfns);
		if (n < 0)
			check_rc("ptsim_gup_fast", n);
		else
			ptsim_unpin(pfns, n);
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

static void *forker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		struct ptsim_mm *child;
		int rc = ptsim_fork(mm, &child);

		check_rc("ptsim_fork", rc);
		if (!rc) {
			check_rc("child DONTNEED",
			         ptsim_madvise(child, V1, V1_LEN, PTSIM_MADV_DONTNEED));
			ptsim_mm_destroy(child);
		}
		atomic_fetch_add(&ops, 1);
	}
	return NULL;
}

static int expect(const char *what, int ok)
{
	if (!ok)
		printf("FAIL %s\n", what);
	return ok ? 0 : 1;
}

int main(void)
{
	void *(*fn[])(void *) = {faulter, faulter, zapper, zapper, remapper, walker, gup, forker};
	enum { N = sizeof(fn) / sizeof(fn[0]) };
	struct ptsim_mm_stats st;
	pthread_t t[N];
	char msg[256] = "ptsim_mm_check";
	double secs = stress_seconds();
	uint64_t got, uaf0;
	int bad = 0, rc;

	if (!ptsim_checked_available() || ptsim_set_checked(1) < 0)
		return 77;
	if (!ptsim_strategy_available(PTSIM_STRATEGY_RWSEM))
		return 77;
	uaf0 = ptsim_uaf_count();
	if (ptsim_mm_create(PTSIM_STRATEGY_RWSEM, &mm))
		return 1;
	if (ptsim_mmap(mm, V1, V1_LEN, PROT_RW, PTSIM_MAP_FIXED, &got) ||
	    ptsim_mmap(mm, V2, V2_LEN, PROT_RW, PTSIM_MAP_FIXED, &got) ||
	    ptsim_mmap(mm, V3, V3_LEN, PROT_RW, PTSIM_MAP_FIXED, &got))
		return 1;
	for (unsigned i = 0; i < N; i++)
		if (pthread_create(&t[i], NULL, fn[i], (void *)(uintptr_t)(7919u * (i + 1))))
			return 1;
	/* Past the time, a loaded machine gets up to 3 times more to free a
	 * PMD and a PUD table (the zappers must find them empty). */
	stress_sleep_s(secs);
	for (double end = stress_now_s() + 3 * secs; stress_now_s() < end; stress_sleep_s(0.05))
		if (ptsim_mm_get_stats(mm, &st) == 0 && st.pmd_tables_freed && st.pud_tables_freed)
			break;
	atomic_store(&stop, 1);
	for (unsigned i = 0; i < N; i++)
		pthread_join(t[i], NULL);

	rc = ptsim_mm_check(mm, msg, sizeof(msg));
	bad += expect(msg, rc == 0);
	bad += expect("no failed call in the threads", atomic_load(&failures) == 0);
	bad += expect("no use-after-free report", ptsim_uaf_count() == uaf0);
	ptsim_mm_get_stats(mm, &st);
	printf("rwsem_levels: %lu operations in %.1f s; tables freed PTE %" PRIu64 " PMD %" PRIu64
	       " PUD %" PRIu64 " (%" PRIu64 " KiB of VmPTE)\n",
	       atomic_load(&ops), secs, st.pte_tables_freed, st.pmd_tables_freed,
	       st.pud_tables_freed, st.pgtables_bytes_freed / 1024);
	printf("  pt_rwsem: %" PRIu64 " acquisitions (%" PRIu64 " for write), %" PRIu64
	       " contended, wait %.3f ms (writers %.3f ms)\n",
	       st.pt_rwsem.acquisitions, st.pt_rwsem_write.acquisitions, st.pt_rwsem.contended,
	       st.pt_rwsem.wait_ns / 1e6, st.pt_rwsem_write.wait_ns / 1e6);
	bad += expect("PMD tables freed", st.pmd_tables_freed > 0);
	bad += expect("PUD tables freed", st.pud_tables_freed > 0);
	bad += expect("the rwsem taken for write", st.pt_rwsem_write.acquisitions > 0);
	bad += expect("two atomics per rwsem acquisition",
	              st.refcount_atomics == 2 * st.pt_rwsem.acquisitions);

	/*
	 * V3 gone, then everything zapped: no table of any level is left. In
	 * this order: munmap keeps the kernel's floor/ceiling rule and leaves
	 * the PMD table it shares with V1, which V1's DONTNEED then frees.
	 */
	rc = ptsim_munmap(mm, V3, V3_LEN) | ptsim_madvise(mm, V1, V1_LEN, PTSIM_MADV_DONTNEED) |
	     ptsim_madvise(mm, V2, V2_LEN, PTSIM_MADV_DONTNEED);
	bad += expect("the final munmap and DONTNEED", rc == 0);
	ptsim_mm_get_stats(mm, &st);
	if (expect("VmPTE 0 after DONTNEED of everything",
	           st.pgtables_bytes == 0 && st.nr_pud_tables == 0 && st.nr_pmd_tables == 0 &&
	                   st.nr_pte_tables == 0))
		bad++, printf("  left: PUD %" PRIu64 " PMD %" PRIu64 " PTE %" PRIu64 "\n",
		              st.nr_pud_tables, st.nr_pmd_tables, st.nr_pte_tables);
	rc = ptsim_mm_check(mm, msg, sizeof(msg));
	bad += expect(msg, rc == 0);
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	bad += expect("no use-after-free report at the end", ptsim_uaf_count() == uaf0);
	printf("rwsem_levels: %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * COW PTE tables under threads (label `stress`), in checked mode.
 *
 *   stress_cow STRATEGY   A parent with PTSIM_OPT_COW_PTE keeps forking
 *       while threads fault (read and write), zap (DONTNEED of whole and
 *       partial tables), walk (ptsim_walk_page_range) and pin (GUP-fast,
 *       read and write) in the parent and in its current child; the main
 *       thread also forks grandchildren, unmaps and remaps in children and
 *       runs ptsim_mm_check() on every mm it holds. At the end: every check
 *       passed, the use-after-free detector saw nothing, and every table,
 *       frame and COW link is gone with the mms.
 *
 *   stress_cow --mutant STRATEGY   PTSIM_MUTANT_COW_NO_BREAK (zaps and
 *       frees ignore COW links) against the real option, same schedule
 *       each round: the child unmaps a shared table and the parent reads
 *       it. The mutant empties and frees the table under the parent, which
 *       the detector reports and ptsim_mm_check() rejects, in every round;
 *       the real option never. (A corrupted parent is not destroyed: its
 *       teardown would free the quarantined table a second time.)
 *
 *   --deferred (before STRATEGY, with or without --mutant): the same with
 *       PTSIM_OPT_COW_PTE = 2, accounting deferred to the COW break.
 *
 * Exit 0 on success, 77 when this build lacks the strategy or checked mode.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np() */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ptsim/ptsim.h>

#include "stress_util.h"

#define BASE     0x500000000000ULL
#define LEN      (8 * PTSIM_PMD_SIZE)
#define PAGES    (LEN / PTSIM_PAGE_SIZE)
#define PROT     (PTSIM_PROT_READ | PTSIM_PROT_WRITE)
#define NWORKERS 6

static enum ptsim_strategy strategy;
static uint64_t cow_mode = 1; /* PTSIM_OPT_COW_PTE: 2 with --deferred */
static atomic_int failures;

#define FAIL(...)                                            \
	do {                                                 \
		fprintf(stderr, "stress_cow: " __VA_ARGS__); \
		atomic_fetch_add(&failures, 1);              \
	} while (0)

static struct ptsim_mm *new_parent(int mutant)
{
	struct ptsim_mm *mm;

	if (ptsim_mm_create(strategy, &mm))
		return NULL;
	if (mutant && ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_COW_NO_BREAK))
		FAIL("the mutant was refused\n");
	if (ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, cow_mode))
		FAIL("PTSIM_OPT_COW_PTE was refused\n");
	if (ptsim_mmap(mm, BASE, LEN, PROT, PTSIM_MAP_FIXED, NULL) ||
	    ptsim_touch(mm, BASE, LEN, PTSIM_ACCESS_WRITE))
		FAIL("cannot populate the parent\n");
	return mm;
}

static int check(const char *who, struct ptsim_mm *mm)
{
	char msg[256];
	int rc = ptsim_mm_check(mm, msg, sizeof(msg));

	if (rc)
		fprintf(stderr, "stress_cow: %s: ptsim_mm_check() = %d: %s\n", who, rc, msg);
	return rc;
}

/* --- the threaded run ------------------------------------------------------ */

static struct {
	pthread_rwlock_t child_lock; /* the main thread swaps the child under it */
	struct ptsim_mm *parent, *child;
	atomic_bool stop;
	atomic_ulong ops;
} sh;

static int count_pte(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	(void)addr;
	(void)next;
	if (pte & PTSIM_PTE_PRESENT)
		++*(uint64_t *)priv;
	return 0;
}

static const struct ptsim_walk_ops walk_ops = {.pte_entry = count_pte};

/* One operation on mm, chosen by the worker's kind. */
static void worker_op(int kind, struct ptsim_mm *mm, unsigned *seed)
{
	uint64_t page = stress_rand(seed) % PAGES, addr = BASE + page * PTSIM_PAGE_SIZE;
	uint64_t pfns[4], present = 0;
	int rc, n;

	switch (kind) {
	case 0: /* faulter */
	case 1:
		rc = ptsim_touch(mm, addr, PTSIM_PAGE_SIZE,
		                 stress_rand(seed) & 1 ? PTSIM_ACCESS_WRITE : PTSIM_ACCESS_READ);
		if (rc && rc != -EACCES)
			FAIL("touch: %d\n", rc);
		break;
	case 2: /* zapper: a whole table, or part of one */
		addr &= ~(PTSIM_PMD_SIZE - 1);
		rc = ptsim_madvise(mm, addr,
		                   stress_rand(seed) & 1 ? PTSIM_PMD_SIZE : PTSIM_PMD_SIZE / 4,
		                   stress_rand(seed) % 4 ? PTSIM_MADV_DONTNEED : PTSIM_MADV_FREE);
		if (rc && rc != -ENOMEM)
			FAIL("madvise: %d\n", rc);
		break;
	case 3: /* locked walker */
		rc = ptsim_walk_page_range(mm, BASE, BASE + LEN, &walk_ops, &present);
		if (rc && rc != -ENOMEM)
			FAIL("walk: %d\n", rc);
		break;
	default: /* GUP-fast, read or write */
		if (page + 4 > PAGES)
			page = PAGES - 4;
		n = ptsim_gup_fast(mm, BASE + page * PTSIM_PAGE_SIZE, 4,
		                   (int)(stress_rand(seed) & 1), pfns);
		if (n < 0)
			FAIL("gup_fast: %d\n", n);
		else
			ptsim_unpin(pfns, n);
		break;
	}
}

static void *worker(void *arg)
{
	int kind = (int)(intptr_t)arg;
	unsigned seed = 0x9e3779b9u * (unsigned)(kind + 1);

	while (!atomic_load(&sh.stop)) {
		if (stress_rand(&seed) & 1) {
			worker_op(kind, sh.parent, &seed);
		} else {
			pthread_rwlock_rdlock(&sh.child_lock);
			if (sh.child)
				worker_op(kind, sh.child, &seed);
			pthread_rwlock_unlock(&sh.child_lock);
		}
		atomic_fetch_add(&sh.ops, 1);
	}
	return NULL;
}

/* The parent shared, copied, reused and dropped COW PTE tables. */
static bool every_cow_path_ran(struct ptsim_mm *mm)
{
	struct ptsim_mm_stats st;

	return ptsim_mm_get_stats(mm, &st) == 0 && st.cow_pte_shared && st.cow_pte_copied &&
	       st.cow_pte_reused && st.cow_pte_dropped;
}

static int run_threads(void)
{
	pthread_t t[NWORKERS];
	struct ptsim_global_stats g;
	struct ptsim_mm_stats st;
	struct ptsim_mm *grandchild = NULL;
	double end = stress_now_s() + stress_seconds();
	unsigned seed = 12345, forks = 0, checks = 0;
	uint64_t uaf0 = ptsim_uaf_count();
	pthread_rwlockattr_t attr;

	/* glibc's rwlock prefers readers by default: six workers taking it in
	 * turn kept the main thread from swapping the child for over a second. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sh.child_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	sh.parent = new_parent(0);
	if (!sh.parent)
		return 1;
	for (int i = 0; i < NWORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	/* Past the time, a loaded machine gets up to 3 times more to run every path. */
	while (stress_now_s() < end ||
	       (!every_cow_path_ran(sh.parent) && stress_now_s() < end + 3 * stress_seconds())) {
		struct ptsim_mm *child = NULL, *old;
		uint64_t off = (stress_rand(&seed) % 8) * PTSIM_PMD_SIZE;

		/* fork while the workers run in the parent */
		if (ptsim_fork(sh.parent, &child)) {
			FAIL("fork\n");
			break;
		}
		forks++;
		pthread_rwlock_wrlock(&sh.child_lock);
		old = sh.child;
		sh.child = child;
		pthread_rwlock_unlock(&sh.child_lock);
		/* the old child forks a grandchild, then goes: links of three mms */
		if (old) {
			if (grandchild) {
				checks += check("grandchild", grandchild) == 0;
				ptsim_mm_destroy(grandchild);
				grandchild = NULL;
			}
			if (stress_rand(&seed) & 1 && ptsim_fork(old, &grandchild))
				FAIL("fork of a child\n");
			checks += check("old child", old) == 0;
			ptsim_mm_destroy(old);
		}
		if (grandchild && (stress_rand(&seed) & 1)) {
			/* unmap a table and a half and map it again */
			if (ptsim_munmap(grandchild, BASE + off, PTSIM_PMD_SIZE * 3 / 2) ||
			    ptsim_mmap(grandchild, BASE + off, PTSIM_PMD_SIZE * 3 / 2, PROT,
			               PTSIM_MAP_FIXED, NULL) < 0)
				FAIL("munmap/mmap in the grandchild\n");
			if (ptsim_touch(grandchild, BASE, LEN, PTSIM_ACCESS_READ))
				FAIL("touch in the grandchild\n");
		}
		checks += check("parent", sh.parent) == 0;
		if (stress_rand(&seed) % 4 == 0 &&
		    ptsim_mprotect(sh.parent, BASE + off, PTSIM_PMD_SIZE / 2, PTSIM_PROT_READ) == 0)
			ptsim_mprotect(sh.parent, BASE + off, PTSIM_PMD_SIZE / 2, PROT);
	}
	atomic_store(&sh.stop, true);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
	if (check("parent", sh.parent) || (sh.child && check("child", sh.child)) ||
	    (grandchild && check("grandchild", grandchild)))
		atomic_fetch_add(&failures, 1);
	ptsim_mm_get_stats(sh.parent, &st);
	printf("stress_cow %s: parent shared %" PRIu64 " tables, copied %" PRIu64
	       ", reused %" PRIu64 ", dropped %" PRIu64 "\n",
	       ptsim_strategy_name(strategy), st.cow_pte_shared, st.cow_pte_copied,
	       st.cow_pte_reused, st.cow_pte_dropped);
	if (!st.cow_pte_shared || !st.cow_pte_copied || !st.cow_pte_reused || !st.cow_pte_dropped)
		FAIL("some COW PTE path never ran\n");
	/* The parent goes first: its children adopt what it owned. */
	ptsim_mm_destroy(sh.parent);
	if (sh.child && check("child after the parent", sh.child))
		atomic_fetch_add(&failures, 1);
	ptsim_mm_destroy(sh.child);
	ptsim_mm_destroy(grandchild);
	ptsim_synchronize();
	ptsim_get_global_stats(&g);
	printf("stress_cow %s: %u forks, %lu worker ops, %u checks passed, %" PRIu64
	       " use-after-free reports\n",
	       ptsim_strategy_name(strategy), forks, (unsigned long)atomic_load(&sh.ops), checks,
	       ptsim_uaf_count() - uaf0);
	if (ptsim_uaf_count() != uaf0)
		FAIL("the detector reported %" PRIu64 " accesses\n", ptsim_uaf_count() - uaf0);
	if (g.live_mms || g.tables_in_use || g.tables_pending_free || g.frames_in_use ||
	    g.cow_pte_shared_tables || g.cow_pte_unowned_tables)
		FAIL("left behind: %" PRIu64 " mms, %" PRIu64 " tables, %" PRIu64
		     " pending, %" PRIu64 " frames, %" PRIu64 " shared, %" PRIu64 " unowned\n",
		     g.live_mms, g.tables_in_use, g.tables_pending_free, g.frames_in_use,
		     g.cow_pte_shared_tables, g.cow_pte_unowned_tables);
	if (forks < 2)
		FAIL("only %u forks\n", forks);
	return atomic_load(&failures) ? 1 : 0;
}

/* --- the mutant ------------------------------------------------------------- */

#define ROUNDS 10

/* One round: the mutant is caught when both the detector and the checker saw
 * the shared table freed; the real option is clean when neither did. */
static bool mutant_round(int mutant, int r)
{
	bool by_detector, by_checker;
	struct ptsim_mm *parent = new_parent(mutant), *child = NULL;
	uint64_t uaf0 = ptsim_uaf_count(), pte = 0;
	bool caught;
	char msg[256];

	if (!parent || ptsim_fork(parent, &child)) {
		FAIL("setup\n");
		return false;
	}
	/* The child unmaps table 0, still linked by the parent, and exits. */
	if (ptsim_munmap(child, BASE, PTSIM_PMD_SIZE))
		FAIL("munmap in the child\n");
	ptsim_mm_destroy(child);
	ptsim_synchronize();
	/* The parent reads what it wrote there. */
	ptsim_touch(parent, BASE, PTSIM_PMD_SIZE, PTSIM_ACCESS_READ);
	ptsim_get_pte(parent, BASE, &pte);
	by_detector = ptsim_uaf_count() != uaf0;
	by_checker = ptsim_mm_check(parent, msg, sizeof(msg)) != 0;
	if (mutant && r == 0)
		printf("stress_cow --mutant: detector %s, ptsim_mm_check(): %s\n",
		       by_detector ? "reported it" : "silent", by_checker ? msg : "passed");
	caught = mutant ? by_detector && by_checker : by_detector || by_checker;
	if (!mutant)
		ptsim_mm_destroy(parent);
	return caught;
}

static int run_mutant(void)
{
	int caught = 0, clean = 0;

	for (int r = 0; r < ROUNDS; r++) {
		caught += mutant_round(1, r);
		clean += !mutant_round(0, r);
	}
	printf("stress_cow --mutant %s: mutant caught in %d/%d rounds, real option clean in "
	       "%d/%d\n",
	       ptsim_strategy_name(strategy), caught, ROUNDS, clean, ROUNDS);
	return caught == ROUNDS && clean == ROUNDS && !atomic_load(&failures) ? 0 : 1;
}

int main(int argc, char **argv)
{
	int mutant = 0, i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--mutant") == 0)
			mutant = 1;
		else if (strcmp(argv[i], "--deferred") == 0)
			cow_mode = 2;
		else
			break;
	}
	if (i != argc - 1 || ptsim_strategy_parse(argv[i], &strategy)) {
		fprintf(stderr, "usage: stress_cow [--mutant] [--deferred] STRATEGY\n");
		return 2;
	}
	if (!ptsim_strategy_available(strategy) || !ptsim_checked_available())
		return 77;
	ptsim_set_checked(1);
	return mutant ? run_mutant() : run_threads();
}

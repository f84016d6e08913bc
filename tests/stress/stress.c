/* SPDX-License-Identifier: MIT */
/*
 * Stress suite (label `stress`): real threads for a bounded time on shared
 * ranges, in checked mode (the use-after-free detector on).
 *
 *   stress STRATEGY          the mixed workload below; must end consistent
 *   stress --detect [STRAT]  (default unsafe) zappers, faulters and GUP-fast
 *                            on the same 2 MiB chunks until the detector
 *                            reports a use after free or 20 s pass; asserts
 *                            that it did report
 *
 * Mixed workload, two mms of the strategy under test:
 *
 *   mm A  AT(0)      [c0|c1|c2|c3]  8 MiB, shared by every thread
 *         AT(16M)    [r0|r1]        4 MiB, remapped by the mmap thread
 *   mm B  AT(0)      [c0|c1]        4 MiB, PTSIM_OPT_GATHER_BATCH = 8: a zap
 *                                   drops the PTL every 8 frames, mid-table,
 *                                   while faulters refill the part already
 *                                   zapped (the Feb-2025 PT_RECLAIM race)
 *
 *   faulter  x2  ptsim_touch read/write of random pages and runs of pages
 *   zapper   x2  #0: DONTNEED of whole aligned 2 MiB chunks;
 *                #1: DONTNEED of random sub-ranges, MADV_FREE
 *   remapper x1  munmap + mmap MAP_FIXED, or MAP_FIXED over the live range
 *   walker   x1  ptsim_walk_page_range, checking every present entry
 *   gup      x1  ptsim_gup_fast + ptsim_unpin
 *   reclaim  x1  ptsim_reclaim (both mms), ptsim_reclaim_global
 *
 * Threads tolerate -EFAULT and -ENOMEM (a range being remapped); any other
 * error fails. After the join: ptsim_mm_check() == 0, no use-after-free
 * report, consistent stats; after destroy + ptsim_synchronize(), the global
 * figures are back to the baseline.
 *
 * Time, not iterations, bounds the work (TSan is ~10x slower): default 2 s,
 * PTSIM_STRESS_SECONDS overrides it.
 */
#include "common/ptsim_test.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stress_util.h"

#define CHUNK          PTSIM_PMD_SIZE
#define A_LEN          (4 * CHUNK)
#define A_REMAP        AT(16 * MiB)
#define REMAP_LEN      (2 * CHUNK)
#define B_LEN          (2 * CHUNK)
#define GUP_PAGES      16
#define DETECT_LIMIT_S 20.0

enum kind { K_FAULT, K_ZAP, K_REMAP, K_WALK, K_GUP, K_RECLAIM, K_COUNT };
static const char *const kind_name[K_COUNT] = {"faulter", "zapper",   "remapper",
                                               "walker",  "gup_fast", "reclaimer"};

struct shared {
	struct ptsim_mm *a, *b;
	atomic_int stop;
	atomic_int failures;
	atomic_flag reported;
	char first_failure[256];
	atomic_uint_fast64_t ops[K_COUNT];
	atomic_uint_fast64_t tolerated; /* -EFAULT / -ENOMEM from a remapped range */
	atomic_uint_fast64_t walked_ptes, present_ptes, pinned, reclaimed_bytes;
};

struct worker {
	struct shared *sh;
	enum kind kind;
	int id;
	unsigned int seed;
};

static void report(struct shared *sh, const char *what, long rc)
{
	atomic_fetch_add(&sh->failures, 1);
	if (!atomic_flag_test_and_set(&sh->reported))
		snprintf(sh->first_failure, sizeof(sh->first_failure), "%s = %ld", what, rc);
}

/* 0 is success; -EFAULT/-ENOMEM are tolerated; anything else fails. */
static void check_rc(struct shared *sh, const char *what, long rc)
{
	if (rc == 0)
		return;
	if (rc == -EFAULT || rc == -ENOMEM) {
		atomic_fetch_add_explicit(&sh->tolerated, 1, memory_order_relaxed);
		return;
	}
	report(sh, what, rc);
}

#define CALL(sh, call) check_rc((sh), #call, (long)(call))

static int stopping(struct shared *sh)
{
	return atomic_load_explicit(&sh->stop, memory_order_relaxed);
}

static void count_op(struct worker *w)
{
	atomic_fetch_add_explicit(&w->sh->ops[w->kind], 1, memory_order_relaxed);
}

/* A random page of mm A (either region) or of mm B; *mm set accordingly. */
static uint64_t random_page(struct worker *w, struct ptsim_mm **mm, uint64_t *limit)
{
	unsigned int r = stress_rand(&w->seed);

	switch (r % 4) {
	case 0:
		*mm = w->sh->b;
		*limit = AT(B_LEN);
		return AT((uint64_t)(stress_rand(&w->seed) % (B_LEN / PG)) * PG);
	case 1:
		*mm = w->sh->a;
		*limit = A_REMAP + REMAP_LEN;
		return A_REMAP + (uint64_t)(stress_rand(&w->seed) % (REMAP_LEN / PG)) * PG;
	default:
		*mm = w->sh->a;
		*limit = AT(A_LEN);
		return AT((uint64_t)(stress_rand(&w->seed) % (A_LEN / PG)) * PG);
	}
}

static void *faulter(void *arg)
{
	struct worker *w = arg;

	while (!stopping(w->sh)) {
		struct ptsim_mm *mm;
		uint64_t limit;
		uint64_t at = random_page(w, &mm, &limit);
		unsigned int r = stress_rand(&w->seed);
		int access = r & 1 ? PTSIM_ACCESS_WRITE : PTSIM_ACCESS_READ;
		uint64_t len = PG;

		if (r & 2) /* a run of up to 64 pages: refills a half-zapped table */
			len = (1 + stress_rand(&w->seed) % 64) * PG;
		if (at + len > limit)
			len = limit - at;
		CALL(w->sh, ptsim_touch(mm, at, len, access));
		count_op(w);
	}
	return NULL;
}

static void *zapper(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (!stopping(sh)) {
		unsigned int r = stress_rand(&w->seed);

		if (w->id == 0) {
			/* whole aligned 2 MiB chunks: the PT_RECLAIM case */
			uint64_t c = AT((uint64_t)(r % 4) * CHUNK);

			if (r & 0x10) {
				c = AT((uint64_t)(r % 2) * CHUNK);
				CALL(sh, ptsim_madvise(sh->b, c, CHUNK, PTSIM_MADV_DONTNEED));
			} else if (r & 0x20) {
				CALL(sh, ptsim_madvise(sh->a, c, CHUNK, PTSIM_MADV_DONTNEED));
			} else {
				c = A_REMAP + (uint64_t)(r % 2) * CHUNK;
				CALL(sh, ptsim_madvise(sh->a, c, CHUNK, PTSIM_MADV_DONTNEED));
			}
		} else {
			/* random sub-ranges, across chunk borders; MADV_FREE now and then */
			struct ptsim_mm *mm;
			uint64_t limit;
			uint64_t at = random_page(w, &mm, &limit);
			uint64_t len = (1 + stress_rand(&w->seed) % 1024) * PG;
			int advice = r % 4 == 0 ? PTSIM_MADV_FREE : PTSIM_MADV_DONTNEED;

			if (at + len > limit)
				len = limit - at;
			CALL(sh, ptsim_madvise(mm, at, len, advice));
		}
		count_op(w);
	}
	return NULL;
}

static void *remapper(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (!stopping(sh)) {
		unsigned int r = stress_rand(&w->seed);
		uint64_t got = 0;
		int err;

		if (r & 1) {
			/* unmap, then map again: a window where the range is a hole */
			err = ptsim_munmap(sh->a, A_REMAP, REMAP_LEN);
			if (err)
				report(sh, "ptsim_munmap(remap range)", err);
		}
		err = ptsim_mmap(sh->a, A_REMAP, REMAP_LEN, PROT_RW, PTSIM_MAP_FIXED, &got);
		if (err || got != A_REMAP)
			report(sh, "ptsim_mmap(MAP_FIXED remap range)", err ? err : -1);
		if (r & 2) /* populate a chunk, so that the next unmap has tables to free */
			CALL(sh, ptsim_madvise(sh->a, A_REMAP + (uint64_t)(r >> 2 & 1) * CHUNK,
			                       CHUNK, PTSIM_MADV_POPULATE_WRITE));
		count_op(w);
	}
	return NULL;
}

struct tally {
	uint64_t ptes, present, bad;
	uint64_t first_bad_pte, first_bad_addr;
};

static int tally_pte(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	struct tally *t = priv;
	uint64_t pfn = PTSIM_PTE_PFN(pte);
	uint64_t zero = ptsim_zero_pfn();
	int sane;

	(void)next;
	t->ptes++;
	if (pte == 0)
		return 0;
	/* no swap entries in this workload: a non-none entry must be present */
	sane = (pte & PTSIM_PTE_PRESENT) && (pte & PTSIM_PTE_USER) && pfn != 0;
	/* frames sit above the zero page; the zero page is never writable */
	sane = sane && pfn >= zero && pfn - zero < (1ULL << 32);
	sane = sane && !(pfn == zero && (pte & PTSIM_PTE_RW));
	if (!sane) {
		if (!t->bad++) {
			t->first_bad_pte = pte;
			t->first_bad_addr = addr;
		}
		return 0;
	}
	t->present++;
	return 0;
}

static const struct ptsim_walk_ops tally_ops = {.pte_entry = tally_pte};

static void walk_one(struct worker *w, struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	struct tally t = {0};
	int rc = ptsim_walk_page_range(mm, start, end, &tally_ops, &t);

	CALL(w->sh, rc);
	if (t.bad) {
		char msg[128];

		snprintf(msg, sizeof(msg), "walk: insane pte %#" PRIx64 " at %#" PRIx64,
		         t.first_bad_pte, t.first_bad_addr);
		report(w->sh, msg, (long)t.bad);
	}
	if (t.present > (end - start) / PG)
		report(w->sh, "walk: more present entries than pages", (long)t.present);
	atomic_fetch_add_explicit(&w->sh->walked_ptes, t.ptes, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->sh->present_ptes, t.present, memory_order_relaxed);
}

static void *walker(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;

	while (!stopping(sh)) {
		walk_one(w, sh->a, AT(0), AT(A_LEN));
		walk_one(w, sh->a, A_REMAP, A_REMAP + REMAP_LEN);
		walk_one(w, sh->b, AT(0), AT(B_LEN));
		count_op(w);
	}
	return NULL;
}

static void *gup(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint64_t pfns[GUP_PAGES];

	while (!stopping(sh)) {
		struct ptsim_mm *mm;
		uint64_t limit;
		uint64_t at = random_page(w, &mm, &limit);
		int nr = (int)((limit - at) / PG < GUP_PAGES ? (limit - at) / PG : GUP_PAGES);
		int n = ptsim_gup_fast(mm, at, nr, (int)(stress_rand(&w->seed) & 1), pfns);

		if (n < 0 || n > nr) {
			report(sh, "ptsim_gup_fast", n);
		} else {
			for (int i = 0; i < n; i++)
				if (pfns[i] == 0)
					report(sh, "ptsim_gup_fast: pfn 0", i);
			ptsim_unpin(pfns, n);
			atomic_fetch_add_explicit(&sh->pinned, (uint64_t)n, memory_order_relaxed);
		}
		count_op(w);
	}
	return NULL;
}

static void *reclaimer(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct timespec pause = {0, 200 * 1000}; /* 0.2 ms: let the others run */

	while (!stopping(sh)) {
		int64_t got[3];

		got[0] = ptsim_reclaim(sh->a);
		got[1] = ptsim_reclaim(sh->b);
		got[2] = ptsim_reclaim_global(0);
		for (int i = 0; i < 3; i++) {
			/* -EBUSY: bitfield's mmap_read_trylock() met a writer (RFC 7/7) */
			if (got[i] < 0 && got[i] != -EBUSY)
				report(sh, "ptsim_reclaim*", (long)got[i]);
			else if (got[i] < 0)
				continue;
			else
				atomic_fetch_add_explicit(&sh->reclaimed_bytes, (uint64_t)got[i],
				                          memory_order_relaxed);
		}
		count_op(w);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static int fails; /* checks that failed in the main thread */

#define EXPECT(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fails++;                                               \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

static void print_lock(const char *name, const struct ptsim_lock_stats *l)
{
	printf("    %-16s acquisitions %10" PRIu64 "  contended %9" PRIu64 "  wait %8.3f ms\n",
	       name, l->acquisitions, l->contended, (double)l->wait_ns / 1e6);
}

/* Stats consistency, the invariant check, and a summary line. */
static void check_mm(const char *name, struct ptsim_mm *mm, int expect_ok)
{
	struct ptsim_mm_stats st;
	char msg[512] = "";
	int rc;

	EXPECT(ptsim_mm_get_stats(mm, &st) == 0, "%s: stats", name);
	rc = ptsim_mm_check(mm, msg, sizeof(msg));
	if (expect_ok)
		EXPECT(rc == 0, "%s: ptsim_mm_check = %d: %s", name, rc, msg);
	else
		printf("  %s: ptsim_mm_check = %d%s%s (not asserted)\n", name, rc, rc ? ": " : "",
		       msg);
	if (expect_ok) {
		EXPECT(st.pgtables_bytes == TABLE_BYTES * (st.nr_pte_tables + st.nr_pmd_tables +
		                                           st.nr_pud_tables),
		       "%s: pgtables_bytes %" PRIu64 " != 4096 * (%" PRIu64 " + %" PRIu64
		       " + %" PRIu64 ")",
		       name, st.pgtables_bytes, st.nr_pte_tables, st.nr_pmd_tables,
		       st.nr_pud_tables);
		EXPECT(st.pte_tables_allocated - st.pte_tables_freed == st.nr_pte_tables,
		       "%s: pte tables allocated %" PRIu64 " - freed %" PRIu64
		       " != linked %" PRIu64,
		       name, st.pte_tables_allocated, st.pte_tables_freed, st.nr_pte_tables);
		EXPECT(st.faults == st.faults_read + st.faults_write + st.faults_cow,
		       "%s: faults %" PRIu64 " != read + write + cow", name, st.faults);
		EXPECT(st.pte_tables_freed == st.pte_tables_freed_zap + st.pte_tables_freed_unmap +
		                                      st.pte_tables_freed_reclaim +
		                                      st.pte_tables_freed_walker,
		       "%s: pte_tables_freed %" PRIu64 " != sum of the paths", name,
		       st.pte_tables_freed);
	}
	printf("  %s: faults %" PRIu64 " (r %" PRIu64 " w %" PRIu64 " cow %" PRIu64
	       "), hits %" PRIu64 ", pte tables alloc %" PRIu64 " freed %" PRIu64 " [zap %" PRIu64
	       " unmap %" PRIu64 " reclaim %" PRIu64 " walker %" PRIu64 "], linked now %" PRIu64
	       ", reclaim passes %" PRIu64 "\n",
	       name, st.faults, st.faults_read, st.faults_write, st.faults_cow, st.access_hits,
	       st.pte_tables_allocated, st.pte_tables_freed, st.pte_tables_freed_zap,
	       st.pte_tables_freed_unmap, st.pte_tables_freed_reclaim, st.pte_tables_freed_walker,
	       st.nr_pte_tables, st.reclaim_passes);
	print_lock("mmap_lock", &st.mmap_lock);
	print_lock("ptl", &st.ptl);
	print_lock("pmd_lock", &st.pmd_lock);
	print_lock("page_table_lock", &st.page_table_lock);
}

static void print_uaf(uint64_t i)
{
	struct ptsim_uaf_report r;

	if (ptsim_uaf_get(i, &r) != 0) {
		printf("  uaf report %" PRIu64 ": not kept\n", i);
		return;
	}
	printf("  uaf report %" PRIu64 ": table %#" PRIx64
	       " level %d op %s strategy %s addr %#" PRIx64 "\n",
	       i, r.table, r.level, r.op ? r.op : "(null)", ptsim_strategy_name(r.strategy),
	       r.addr);
}

static int run_threads(struct shared *sh, struct worker *w, int n, double seconds, int until_uaf)
{
	pthread_t tid[16];
	void *(*fn[K_COUNT])(void *) = {faulter, zapper, remapper, walker, gup, reclaimer};
	double t0 = stress_now_s();

	for (int i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, fn[w[i].kind], &w[i]) != 0) {
			printf("FAIL pthread_create\n");
			exit(1);
		}
	while (stress_now_s() - t0 < seconds && !(until_uaf && ptsim_uaf_count() > 0))
		stress_sleep_s(until_uaf ? 0.01 : 0.05);
	atomic_store(&sh->stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	printf("  ran %.2f s with %d threads\n", stress_now_s() - t0, n);
	return 0;
}

static void print_ops(struct shared *sh)
{
	printf("  ops:");
	for (int k = 0; k < K_COUNT; k++)
		printf(" %s %" PRIu64, kind_name[k], (uint64_t)atomic_load(&sh->ops[k]));
	printf("\n  tolerated -EFAULT/-ENOMEM %" PRIu64 ", walked ptes %" PRIu64
	       " (present %" PRIu64 "), gup pinned %" PRIu64 ", reclaimed %" PRIu64 " bytes\n",
	       (uint64_t)atomic_load(&sh->tolerated), (uint64_t)atomic_load(&sh->walked_ptes),
	       (uint64_t)atomic_load(&sh->present_ptes), (uint64_t)atomic_load(&sh->pinned),
	       (uint64_t)atomic_load(&sh->reclaimed_bytes));
}

static struct ptsim_mm *new_mm(enum ptsim_strategy s)
{
	struct ptsim_mm *mm = NULL;
	int err = ptsim_mm_create(s, &mm);

	if (err) {
		printf("FAIL ptsim_mm_create(%s) = %d\n", ptsim_strategy_name(s), err);
		exit(1);
	}
	return mm;
}

static void map_at(struct ptsim_mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t got = 0;
	int err = ptsim_mmap(mm, addr, len, PROT_RW, PTSIM_MAP_FIXED, &got);

	if (err || got != addr) {
		printf("FAIL ptsim_mmap(%#" PRIx64 ") = %d\n", addr, err);
		exit(1);
	}
}

static int stress(enum ptsim_strategy s)
{
	static struct shared sh;
	struct worker w[8];
	const enum kind kinds[8] = {K_FAULT, K_FAULT, K_ZAP, K_ZAP,
	                            K_REMAP, K_WALK,  K_GUP, K_RECLAIM};
	struct ptsim_global_stats g0, g1;
	double seconds = stress_seconds();
	int id[K_COUNT] = {0};

	printf("stress %s: %.1f s\n", ptsim_strategy_name(s), seconds);
	ptsim_synchronize();
	ptsim_get_global_stats(&g0);

	sh.a = new_mm(s);
	sh.b = new_mm(s);
	EXPECT(ptsim_mm_set_option(sh.b, PTSIM_OPT_GATHER_BATCH, 8) == 0, "gather batch");
	map_at(sh.a, AT(0), A_LEN);
	map_at(sh.a, A_REMAP, REMAP_LEN);
	map_at(sh.b, AT(0), B_LEN);

	for (int i = 0; i < 8; i++)
		w[i] = (struct worker){.sh = &sh,
		                       .kind = kinds[i],
		                       .id = id[kinds[i]]++,
		                       .seed = 0x9e3779b9u * (unsigned int)(i + 1)};
	run_threads(&sh, w, 8, seconds, 0);
	print_ops(&sh);

	EXPECT(atomic_load(&sh.failures) == 0, "%d failed calls in the threads; first: %s",
	       atomic_load(&sh.failures), sh.first_failure);
	check_mm("mm A", sh.a, 1);
	check_mm("mm B (gather batch 8)", sh.b, 1);
	EXPECT(ptsim_uaf_count() == 0, "%" PRIu64 " use-after-free reports", ptsim_uaf_count());
	if (ptsim_uaf_count())
		print_uaf(0);

	ptsim_mm_destroy(sh.a);
	ptsim_mm_destroy(sh.b);
	ptsim_synchronize();
	ptsim_get_global_stats(&g1);
	EXPECT(g1.live_mms == g0.live_mms, "live_mms %" PRIu64 " != %" PRIu64, g1.live_mms,
	       g0.live_mms);
	EXPECT(g1.tables_in_use == g0.tables_in_use, "tables_in_use %" PRIu64 " != %" PRIu64,
	       g1.tables_in_use, g0.tables_in_use);
	EXPECT(g1.frames_in_use == g0.frames_in_use, "frames_in_use %" PRIu64 " != %" PRIu64,
	       g1.frames_in_use, g0.frames_in_use);
	EXPECT(g1.tables_pending_free == 0, "tables_pending_free %" PRIu64, g1.tables_pending_free);
	printf("  global locks (all mms):\n");
	print_lock("mmap_lock", &g1.mmap_lock);
	print_lock("ptl", &g1.ptl);
	print_lock("pmd_lock", &g1.pmd_lock);
	print_lock("page_table_lock", &g1.page_table_lock);
	printf("stress %s: %s\n", ptsim_strategy_name(s), fails ? "FAILED" : "ok");
	return fails ? 1 : 0;
}

/* Zappers (whole 2 MiB), faulters (the simulated MMU) and GUP-fast, all on
 * the same chunks, until the detector reports or DETECT_LIMIT_S pass. */
static int detect(enum ptsim_strategy s)
{
	static struct shared sh;
	struct worker w[6];
	const enum kind kinds[6] = {K_ZAP, K_ZAP, K_FAULT, K_FAULT, K_GUP, K_GUP};
	int id[K_COUNT] = {0};
	uint64_t n;

	printf("detect %s: up to %.0f s\n", ptsim_strategy_name(s), DETECT_LIMIT_S);
	ptsim_uaf_reset();
	sh.a = new_mm(s);
	sh.b = new_mm(s); /* the workers pick pages of both */
	map_at(sh.a, AT(0), A_LEN);
	map_at(sh.a, A_REMAP, REMAP_LEN);
	map_at(sh.b, AT(0), B_LEN);
	for (int i = 0; i < 6; i++)
		w[i] = (struct worker){.sh = &sh,
		                       .kind = kinds[i],
		                       .id = 0, /* zappers: whole chunks only */
		                       .seed = 0x7f4a7c15u * (unsigned int)(i + 1)};
	(void)id;
	run_threads(&sh, w, 6, DETECT_LIMIT_S, 1);
	print_ops(&sh);
	n = ptsim_uaf_count();
	printf("  use-after-free reports: %" PRIu64 "\n", n);
	if (n)
		print_uaf(0);
	/* errors in the threads and a broken mm are what unsafe does: not asserted */
	if (atomic_load(&sh.failures))
		printf("  %d failed calls in the threads (not asserted); first: %s\n",
		       atomic_load(&sh.failures), sh.first_failure);
	check_mm("mm A", sh.a, 0);
	check_mm("mm B", sh.b, 0);
	ptsim_mm_destroy(sh.a);
	ptsim_mm_destroy(sh.b);
	ptsim_synchronize();
	EXPECT(n > 0, "the detector did not report a use after free under %s in %.0f s",
	       ptsim_strategy_name(s), DETECT_LIMIT_S);
	printf("detect %s: %s\n", ptsim_strategy_name(s), fails ? "FAILED" : "caught");
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	int detect_mode = argc > 1 && strcmp(argv[1], "--detect") == 0;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (detect_mode) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	rc = pt_strategy_from_args(argc, argv,
	                           detect_mode ? PTSIM_STRATEGY_UNSAFE : PTSIM_STRATEGY_RCU);
	if (rc >= 0)
		return rc;
	if (!ptsim_checked_available()) {
		printf("this build has no use-after-free detector (PTSIM_CHECKED=OFF): skipped\n");
		return 77;
	}
	if (ptsim_set_checked(1) < 0) {
		printf("ptsim_set_checked(1) failed\n");
		return 1;
	}
	return detect_mode ? detect(pt_strategy) : stress(pt_strategy);
}

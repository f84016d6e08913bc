/* SPDX-License-Identifier: MIT */
/*
 * three_actors: the kernel's page-table actors as real threads on one mm.
 *
 *   faulter    writes and reads random pages (page faults, or hits)
 *   zapper     MADV_DONTNEED of whole 2 MiB chunks and of smaller ranges
 *   walker     a locked walk (ptsim_walk_page_range, as walk_page_range())
 *              and a lockless one (ptsim_gup_fast, as GUP-fast)
 *   reclaimer  the strategy's reclaim pass (ptsim_reclaim)
 *
 * They run for about a second on 16 MiB (eight PTE tables' worth), then the
 * program prints what each did, what the mm's counters say (faults, PTE
 * tables freed by each path), where the threads waited (mmap_lock, PTE
 * locks, PMD locks, page_table_lock: acquisitions, contended, wait) for the
 * mm and for the whole library, the result of ptsim_mm_check(), and how many
 * uses of a freed table the detector saw (checked mode, when built in).
 *
 *   three_actors [STRATEGY] [SECONDS]      (default: rcu, 1)
 *
 * Build (installed library):
 *   cc -pthread three_actors.c $(pkg-config --cflags --libs ptsim)
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

#define BASE   0x500000000000ULL /* 512 GiB aligned: every table below it is ours */
#define CHUNK  PTSIM_PMD_SIZE    /* what one PTE table maps */
#define NCHUNK 8
#define LEN    (NCHUNK * CHUNK)
#define PAGES  (LEN / PTSIM_PAGE_SIZE)
#define PIN    16

static struct ptsim_mm *mm;
static atomic_int stop;
static atomic_int errors;

struct actor {
	const char *name;
	void *(*fn)(void *);
	unsigned int seed;
	uint64_t ops;    /* calls made */
	uint64_t pages;  /* pages touched, zapped, walked (present) or pinned */
	uint64_t pages2; /* walker: pages pinned by GUP-fast */
	int64_t bytes;   /* reclaimer: page-table bytes freed */
	pthread_t tid;
};

static unsigned int next_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static void bad(const char *what, int err)
{
	fprintf(stderr, "three_actors: %s: %s\n", what, strerror(-err));
	atomic_fetch_add(&errors, 1);
}

static void *faulter(void *arg)
{
	struct actor *a = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned int r = next_rand(&a->seed);
		uint64_t page = next_rand(&a->seed) % (PAGES - 32);
		uint64_t n = 1 + r % 32;
		int err = ptsim_touch(mm, BASE + page * PTSIM_PAGE_SIZE, n * PTSIM_PAGE_SIZE,
		                      r & 0x100 ? PTSIM_ACCESS_WRITE : PTSIM_ACCESS_READ);

		if (err)
			bad("ptsim_touch", err);
		a->ops++;
		a->pages += n;
	}
	return NULL;
}

static void *zapper(void *arg)
{
	struct actor *a = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned int r = next_rand(&a->seed);
		uint64_t start = BASE + (uint64_t)(r % NCHUNK) * CHUNK, len = CHUNK;
		int err;

		if (r & 0x100) { /* a part of a chunk: the table keeps other entries */
			start += (uint64_t)(next_rand(&a->seed) % 256) * PTSIM_PAGE_SIZE;
			len = 64 * PTSIM_PAGE_SIZE;
		}
		err = ptsim_madvise(mm, start, len, PTSIM_MADV_DONTNEED);
		if (err)
			bad("ptsim_madvise(MADV_DONTNEED)", err);
		a->ops++;
		a->pages += len / PTSIM_PAGE_SIZE;
	}
	return NULL;
}

static int count_present(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	(void)addr;
	(void)next;
	if (pte & PTSIM_PTE_PRESENT)
		++*(uint64_t *)priv;
	return 0;
}

static void *walker(void *arg)
{
	static const struct ptsim_walk_ops ops = {.pte_entry = count_present};
	struct actor *a = arg;
	uint64_t pfns[PIN];

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t page = next_rand(&a->seed) % (PAGES - PIN);
		uint64_t present = 0;
		int err = ptsim_walk_page_range(mm, BASE, BASE + LEN, &ops, &present);
		int n;

		if (err)
			bad("ptsim_walk_page_range", err);
		a->pages += present;
		n = ptsim_gup_fast(mm, BASE + page * PTSIM_PAGE_SIZE, PIN, 0, pfns);
		if (n < 0) {
			bad("ptsim_gup_fast", n);
		} else {
			ptsim_unpin(pfns, n);
			a->pages2 += (uint64_t)n;
		}
		a->ops++;
	}
	return NULL;
}

static void *reclaimer(void *arg)
{
	struct actor *a = arg;
	const struct timespec pause = {0, 1000 * 1000}; /* 1 ms between passes */

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int64_t got = ptsim_reclaim(mm);

		if (got < 0)
			bad("ptsim_reclaim", (int)got);
		else
			a->bytes += got;
		a->ops++;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void print_lock(const char *name, const struct ptsim_lock_stats *l)
{
	printf("    %-16s acquisitions %10" PRIu64 "  contended %8" PRIu64 "  wait %9.3f ms\n",
	       name, l->acquisitions, l->contended, (double)l->wait_ns / 1e6);
}

int main(int argc, char **argv)
{
	enum ptsim_strategy s = PTSIM_STRATEGY_RCU;
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 1.0;
	struct actor actors[] = {
	        {.name = "faulter", .fn = faulter, .seed = 1},
	        {.name = "zapper", .fn = zapper, .seed = 2},
	        {.name = "walker", .fn = walker, .seed = 3},
	        {.name = "reclaimer", .fn = reclaimer, .seed = 4},
	};
	const int nactors = (int)(sizeof(actors) / sizeof(actors[0]));
	struct ptsim_mm_stats st;
	struct ptsim_global_stats g;
	struct timespec run;
	char msg[256];
	uint64_t addr;
	int err, checked = 0;

	if (argc > 1 && ptsim_strategy_parse(argv[1], &s) != 0) {
		fprintf(stderr, "usage: %s [none|atomic|percpu|bitfield|rcu] [SECONDS]\n", argv[0]);
		return 2;
	}
	if (!ptsim_strategy_available(s)) {
		printf("strategy %s is not available in this build\n", ptsim_strategy_name(s));
		return 0;
	}
	if (!(seconds > 0))
		seconds = 1.0;
	/* the use-after-free detector, if this build has it */
	if (ptsim_checked_available() && ptsim_set_checked(1) >= 0)
		checked = 1;

	err = ptsim_mm_create(s, &mm);
	if (err) {
		bad("ptsim_mm_create", err);
		return 1;
	}
	err = ptsim_mmap(mm, BASE, LEN, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED, &addr);
	if (err) {
		bad("ptsim_mmap", err);
		ptsim_mm_destroy(mm);
		return 1;
	}

	printf("three_actors: strategy %s, %d threads on %llu MiB for %.1f s%s\n",
	       ptsim_strategy_name(s), nactors, (unsigned long long)(LEN >> 20), seconds,
	       checked ? ", use-after-free detector on" : "");
	for (int i = 0; i < nactors; i++)
		if (pthread_create(&actors[i].tid, NULL, actors[i].fn, &actors[i]) != 0) {
			fprintf(stderr, "three_actors: pthread_create failed\n");
			return 1;
		}
	run.tv_sec = (time_t)seconds;
	run.tv_nsec = (long)((seconds - (double)run.tv_sec) * 1e9);
	nanosleep(&run, NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < nactors; i++)
		pthread_join(actors[i].tid, NULL);

	printf("what each actor did:\n");
	printf("  faulter    %10" PRIu64 " touches   %12" PRIu64 " pages accessed\n", actors[0].ops,
	       actors[0].pages);
	printf("  zapper     %10" PRIu64 " DONTNEEDs %12" PRIu64 " pages zapped\n", actors[1].ops,
	       actors[1].pages);
	printf("  walker     %10" PRIu64 " rounds    %12" PRIu64 " present ptes walked, %" PRIu64
	       " pages pinned by GUP-fast\n",
	       actors[2].ops, actors[2].pages, actors[2].pages2);
	printf("  reclaimer  %10" PRIu64 " passes    %12" PRId64 " bytes of page tables freed\n",
	       actors[3].ops, actors[3].bytes);

	err = ptsim_mm_get_stats(mm, &st);
	if (err)
		bad("ptsim_mm_get_stats", err);
	printf("the mm:\n");
	printf("  faults %" PRIu64 " (read %" PRIu64 ", write %" PRIu64 ", cow %" PRIu64
	       "), hits %" PRIu64 "\n",
	       st.faults, st.faults_read, st.faults_write, st.faults_cow, st.access_hits);
	printf("  PTE tables allocated %" PRIu64 ", freed %" PRIu64 " (zap %" PRIu64
	       ", unmap %" PRIu64 ", reclaim %" PRIu64 ", walker %" PRIu64 "), linked now %" PRIu64
	       "\n",
	       st.pte_tables_allocated, st.pte_tables_freed, st.pte_tables_freed_zap,
	       st.pte_tables_freed_unmap, st.pte_tables_freed_reclaim, st.pte_tables_freed_walker,
	       st.nr_pte_tables);
	printf("  pgtables_bytes %" PRIu64 ", rss %" PRIu64 " pages, zero-page ptes %" PRIu64
	       ", refcount atomics %" PRIu64 ", reclaim passes %" PRIu64 "\n",
	       st.pgtables_bytes, st.rss_anon_pages, st.zero_page_ptes, st.refcount_atomics,
	       st.reclaim_passes);
	printf("  locks of this mm:\n");
	print_lock("mmap_lock", &st.mmap_lock);
	print_lock("ptl", &st.ptl);
	print_lock("pmd_lock", &st.pmd_lock);
	print_lock("page_table_lock", &st.page_table_lock);

	err = ptsim_mm_check(mm, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "three_actors: ptsim_mm_check: %s\n", msg);
		atomic_fetch_add(&errors, 1);
	} else {
		printf("ptsim_mm_check: consistent\n");
	}
	printf("use-after-free detector: %" PRIu64 " report(s)%s\n", ptsim_uaf_count(),
	       checked ? "" : " (not in this build)");
	if (ptsim_uaf_count() > 0)
		atomic_fetch_add(&errors, 1);

	ptsim_mm_destroy(mm);
	ptsim_synchronize();
	err = ptsim_get_global_stats(&g);
	if (err)
		bad("ptsim_get_global_stats", err);
	printf("the library, all mms (after destroy): live mms %" PRIu64 ", tables in use %" PRIu64
	       ", frames in use %" PRIu64 "\n",
	       g.live_mms, g.tables_in_use, g.frames_in_use);
	print_lock("mmap_lock", &g.mmap_lock);
	print_lock("ptl", &g.ptl);
	print_lock("pmd_lock", &g.pmd_lock);
	print_lock("page_table_lock", &g.page_table_lock);
	return atomic_load(&errors) ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * madvise_churn: the allocator workload that motivated freeing empty PTE
 * tables (memory handed back with MADV_DONTNEED / MADV_FREE, never munmap),
 * run under every strategy in turn, in one process, with optional concurrent
 * locked walkers, GUP-fast walkers and reclaimers. One row per strategy and
 * thread count: throughput, fault and madvise latency (log2 histograms),
 * VmPTE over time, tables freed, lock contention.
 *
 * Workloads (each worker thread owns a slice of one shared mapping):
 *   churn     write-touch 16 random pages of a random 2 MiB chunk, then
 *             DONTNEED a random whole chunk or a random 1..64-page sub-range;
 *   sparse    the jemalloc/tcmalloc pattern behind the 110 GB VmPTE: touch one
 *             page in each of 32 consecutive 2 MiB chunks, DONTNEED all 64 MiB;
 *   zero      read-mostly: read-touch (zero page) 64 random pages of a chunk, or
 *             the whole chunk one time in four; one write in 16; DONTNEED a
 *             random chunk one time in eight;
 *   jemalloc  a real jemalloc arena per thread whose extent hooks map, purge
 *             and unmap in the simulated mm; malloc/free of a size mix, each
 *             object's pages write-touched through ptsim_touch.
 *
 * Uses only the public API <ptsim/ptsim.h> (and jemalloc's for its workload).
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "fork_cow.h"

#include <errno.h>
#include <getopt.h>
#include <jemalloc/jemalloc.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "madvise_churn"

#define SIM_BASE        0x100000000000ULL /* 16 TiB, aligned to a PGD entry */
#define CHUNK           PTSIM_PMD_SIZE
#define PAGE            PTSIM_PAGE_SIZE
#define PAGES_PER_CHUNK 512
#define PHASE_ITERS     64 /* --iterations: VmPTE sampled (and reclaim run) every PHASE_ITERS */
#define MAX_THREADS     256
#define MAX_TCOUNTS     16
#define MAX_REPEAT      99
#define SAMPLE_NS       50000000ULL /* --seconds: VmPTE sampled every 50 ms */
#define SAMPLE_EQ_NS    2000000ULL  /* equal-work simulator rows (short): every 2 ms */
#define DEFAULT_TOTAL_S 10.0

enum workload { WL_CHURN, WL_SPARSE, WL_ZERO, WL_JEMALLOC };
static const char *const wl_names[] = {"churn", "sparse", "zero", "jemalloc"};

struct options {
	bool sel[BENCH_MAX_STRATEGIES];
	int tcounts[MAX_TCOUNTS];
	int ntcounts;
	double seconds; /* per row; 0 with --iterations */
	bool seconds_given;
	uint64_t iterations;
	uint64_t region;
	enum workload wl;
	int walkers, gup, reclaimers;
	uint64_t reclaim_interval_ms;
	int advice; /* PTSIM_MADV_DONTNEED or PTSIM_MADV_FREE */
	uint64_t seed;
	enum bench_format format;
	bool host;
	bool equal_work; /* timed mode with --host: simulator rows repeat the kernel's work */
	bool hist;       /* table mode: draw the latency histograms */
	int repeat;
	const char *timeseries;
	const char *csv_dir;
};

/* Latency histogram: 8 sub-buckets per power of two (values to within 12.5%). */
#define HSUB     8
#define HBUCKETS (64 * HSUB)
struct hist {
	uint64_t n;
	uint64_t b[HBUCKETS];
};

static int hist_index(uint64_t v)
{
	if (v < HSUB)
		return (int)v;
	int lg = 63 - __builtin_clzll(v);
	return lg * HSUB + (int)((v >> (lg - 3)) & (HSUB - 1));
}

static double hist_value(int i)
{
	if (i < HSUB)
		return i;
	int lg = i / HSUB, sub = i % HSUB;
	double lo = ldexp(1.0, lg) * (1.0 + sub / (double)HSUB);
	return lo + ldexp(1.0, lg) / (2.0 * HSUB);
}

static void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->n++;
}

static void hist_merge(struct hist *d, const struct hist *s)
{
	for (int i = 0; i < HBUCKETS; i++)
		d->b[i] += s->b[i];
	d->n += s->n;
}

static double hist_pct(const struct hist *h, double p)
{
	if (!h->n)
		return NAN;
	uint64_t want = (uint64_t)ceil(p * (double)h->n), acc = 0;
	if (want == 0)
		want = 1;
	for (int i = 0; i < HBUCKETS; i++) {
		acc += h->b[i];
		if (acc >= want)
			return hist_value(i);
	}
	return NAN;
}

/* Log2 bucket k (k >= 1) holds [2^(k-1), 2^k); bucket 0 holds 0. */
static void hist_log2(const struct hist *h, uint64_t out[65])
{
	memset(out, 0, 65 * sizeof(out[0]));
	for (int i = 0; i < HBUCKETS; i++) {
		if (!h->b[i])
			continue;
		int k = i < HSUB ? (i == 0 ? 0 : 64 - __builtin_clzll((uint64_t)i)) : i / HSUB + 1;
		out[k] += h->b[i];
	}
}

struct sample {
	double t_ms;
	uint64_t kb;
};

/* Lock figures of one lock kind, as ptsim_lock_stats. */
struct lockfig {
	uint64_t acq, contended, wait_ns;
};

struct row {
	char strategy[16];
	const char *era; /* ptsim_strategy_era(), "host" for the kernel row */
	int threads;
	int repeat; /* 1..--repeat */
	bool sim;
	double seconds;
	uint64_t ops, faults, iterations;
	struct hist fault, madv, reclaim;
	uint64_t vmpte_peak_kb, vmpte_end_kb;
	int64_t vmpte_other_kb; /* kernel row: VmPTE change outside the mapping, taken off */
	uint64_t tables_freed, refcount_atomics;
	uint64_t reclaim_wlock_ns, reclaim_passes, walker_ops, gup_pages;
	uint64_t sim_memory_bytes;
	struct lockfig vma_lock, mmap_lock, pmd_lock, ptl, page_table_lock;
	struct lockfig pt_rwsem, pt_rwsem_write; /* rwsem's page-table rwsem */
	uint64_t pmd_tables_freed, pud_tables_freed, pgtables_bytes_freed;
	uint64_t vma_lock_fallbacks, tlb_flushes, tlb_flush_ns, tlb_irqs_off_wait_ns;
	uint64_t *thread_iters; /* iterations each worker ran (the equal-work reference) */
	uint64_t teardown_ns;   /* ptsim_mm_destroy (exit_mmap) at the end of the row */
	uint64_t uaf;
	bool checked;
	bool jemalloc;
	uint64_t host_touched_pages; /* jemalloc: host pages jemalloc itself wrote in the range */
	struct sample *series;
	size_t nseries, capseries;
};

struct run;

struct worker {
	struct run *run;
	int idx;
	uint64_t rng;
	uint64_t lo, len; /* slice of the mapping (simulated or host address) */
	uint8_t *mapped;  /* one bit per page of the slice: believed present */
	uint64_t ops, iterations;
	struct hist fault, madv;
	/* jemalloc */
	unsigned arena;
	uint64_t bump, bump_end;
	void *objs[256];
	size_t objsz[256];
	pthread_t tid;
	uint64_t t_start, t_end; /* when this worker began and ended its workload */
	int err;
};

struct run {
	const struct options *o;
	bool sim;
	enum ptsim_strategy s;
	struct ptsim_mm *mm;
	uint64_t base, len;
	int threads;
	atomic_bool stop;
	pthread_barrier_t bar;
	uint64_t phases;
	uint64_t start_ns;
	uint64_t host_vmpte_base;
	const uint64_t *limit; /* equal work: per-thread iterations (NULL: --seconds) */
	atomic_int workers_done;
	struct bench_progress *pr;
	const char *label;
	struct row *row;
	pthread_mutex_t series_lock;
	atomic_uint_fast64_t walker_ops, gup_pages;
	struct worker *w;
};

static _Thread_local struct worker *cur_worker;

/* xorshift64*, seeded through splitmix64. */
static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static void die_err(const char *what, int err)
{
	bench_die(PROG, 1, "%s: %s", what, strerror(-err));
}

static uint64_t vmpte_now(struct run *r)
{
	if (r->sim) {
		struct ptsim_mm_stats st;
		if (ptsim_mm_get_stats(r->mm, &st) < 0)
			return 0;
		return st.pgtables_bytes / 1024;
	}
	uint64_t b = 0;
	bench_proc_status_bytes("VmPTE", &b);
	return b > r->host_vmpte_base ? (b - r->host_vmpte_base) / 1024 : 0;
}

static void record_sample(struct run *r)
{
	struct row *row = r->row;
	uint64_t kb = vmpte_now(r);

	pthread_mutex_lock(&r->series_lock);
	if (row->nseries == row->capseries) {
		row->capseries = row->capseries ? 2 * row->capseries : 256;
		row->series = realloc(row->series, row->capseries * sizeof(*row->series));
		if (!row->series)
			bench_die(PROG, 1, "out of memory");
	}
	row->series[row->nseries++] =
	        (struct sample){(double)(bench_now_ns() - r->start_ns) / 1e6, kb};
	if (kb > row->vmpte_peak_kb)
		row->vmpte_peak_kb = kb;
	pthread_mutex_unlock(&r->series_lock);
}

/* ---- the actions, simulated or on this machine's kernel ---- */

static void touch_page(struct worker *w, uint64_t page, bool write)
{
	struct run *r = w->run;
	uint64_t addr = w->lo + page * PAGE;
	bool was = w->mapped[page >> 3] & (1u << (page & 7));
	uint64_t t0 = bench_now_ns();

	if (r->sim) {
		int e = ptsim_touch(r->mm, addr, PAGE,
		                    write ? PTSIM_ACCESS_WRITE : PTSIM_ACCESS_READ);
		if (e < 0 && !w->err)
			w->err = e;
	} else if (write) {
		*(volatile unsigned char *)(uintptr_t)addr = 1;
	} else {
		(void)*(volatile unsigned char *)(uintptr_t)addr;
	}
	if (!was) {
		hist_add(&w->fault, bench_now_ns() - t0);
		w->mapped[page >> 3] |= (uint8_t)(1u << (page & 7));
	}
	w->ops++;
}

static void advise(struct worker *w, uint64_t page, uint64_t npages)
{
	struct run *r = w->run;
	uint64_t addr = w->lo + page * PAGE, t0 = bench_now_ns();
	int e;

	if (r->sim) {
		e = ptsim_madvise(r->mm, addr, npages * PAGE, r->o->advice);
	} else {
		e = madvise((void *)(uintptr_t)addr, npages * PAGE,
		            r->o->advice == PTSIM_MADV_FREE ? MADV_FREE : MADV_DONTNEED);
		if (e)
			e = -errno;
	}
	hist_add(&w->madv, bench_now_ns() - t0);
	if (e < 0 && !w->err)
		w->err = e;
	/* MADV_FREE keeps the entries (only reclaim of the frames would drop them). */
	if (r->o->advice == PTSIM_MADV_DONTNEED)
		for (uint64_t p = page; p < page + npages; p++)
			w->mapped[p >> 3] &= (uint8_t) ~(1u << (p & 7));
	w->ops++;
}

/* ---- jemalloc arena whose extents live in the simulated mm ---- */

static struct worker *arena_owner[4096];

static struct worker *hook_worker(unsigned arena_ind)
{
	return arena_ind < 4096 ? arena_owner[arena_ind] : NULL;
}

static void *hk_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t align, bool *zero,
                      bool *commit, unsigned ai)
{
	(void)h;
	struct worker *w = hook_worker(ai);
	if (!w || new_addr)
		return NULL;
	uint64_t a = (w->bump + align - 1) & ~(uint64_t)(align - 1);
	if (a + size > w->bump_end || a + size < a)
		return NULL;
	w->bump = a + size;
	*zero = true; /* never touched since the region was mapped */
	*commit = true;
	return (void *)(uintptr_t)a;
}

static void jm_madvise(unsigned ai, void *addr, size_t off, size_t len, int advice)
{
	struct worker *w = hook_worker(ai);
	if (!w)
		return;
	uint64_t a = (uint64_t)(uintptr_t)addr + off, t0 = bench_now_ns();
	int e = ptsim_madvise(w->run->mm, a, len, advice);
	if (e < 0 && !w->err)
		w->err = e;
	/* jemalloc calls its hooks on the thread that frees: record there. */
	if (cur_worker == w)
		hist_add(&w->madv, bench_now_ns() - t0);
	w->ops++;
}

/*
 * dalloc opts out (returns true), as jemalloc's own hooks do with opt.retain
 * on Linux: jemalloc keeps the address range and purges it instead
 * (decommit opts out too, so the purge is a real madvise). The range goes
 * back with munmap in destroy, when the arena is destroyed.
 */
static bool hk_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned ai)
{
	(void)h, (void)addr, (void)size, (void)committed, (void)ai;
	return true;
}

static void hk_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed, unsigned ai)
{
	(void)h, (void)committed;
	struct worker *w = hook_worker(ai);
	if (w)
		ptsim_munmap(w->run->mm, (uint64_t)(uintptr_t)addr, size);
}

static bool hk_commit(extent_hooks_t *h, void *a, size_t s, size_t o, size_t l, unsigned ai)
{
	(void)h, (void)a, (void)s, (void)o, (void)l, (void)ai;
	return false; /* commit: a no-op that succeeds (the mapping is always RW) */
}

static bool hk_decommit(extent_hooks_t *h, void *a, size_t s, size_t o, size_t l, unsigned ai)
{
	(void)h, (void)a, (void)s, (void)o, (void)l, (void)ai;
	return true; /* opt out, as on Linux with overcommit: jemalloc purges instead */
}

static bool hk_purge_lazy(extent_hooks_t *h, void *a, size_t s, size_t o, size_t l, unsigned ai)
{
	(void)h, (void)s;
	jm_madvise(ai, a, o, l, PTSIM_MADV_FREE);
	return false;
}

static bool hk_purge_forced(extent_hooks_t *h, void *a, size_t s, size_t o, size_t l, unsigned ai)
{
	(void)h, (void)s;
	jm_madvise(ai, a, o, l, PTSIM_MADV_DONTNEED);
	return false;
}

static bool hk_split(extent_hooks_t *h, void *a, size_t s, size_t sa, size_t sb, bool c,
                     unsigned ai)
{
	(void)h, (void)a, (void)s, (void)sa, (void)sb, (void)c, (void)ai;
	return false;
}

static bool hk_merge(extent_hooks_t *h, void *a, size_t sa, void *b, size_t sb, bool c, unsigned ai)
{
	(void)h, (void)a, (void)sa, (void)b, (void)sb, (void)c, (void)ai;
	return false;
}

static extent_hooks_t hooks_dontneed = {hk_alloc,        hk_dalloc,   hk_destroy,
                                        hk_commit,       hk_decommit, NULL,
                                        hk_purge_forced, hk_split,    hk_merge};
static extent_hooks_t hooks_free = {hk_alloc,        hk_dalloc,   hk_destroy,
                                    hk_commit,       hk_decommit, hk_purge_lazy,
                                    hk_purge_forced, hk_split,    hk_merge};

static int arena_setup(struct worker *w)
{
	extent_hooks_t *hp = w->run->o->advice == PTSIM_MADV_FREE ? &hooks_free : &hooks_dontneed;
	size_t sz = sizeof(unsigned);
	unsigned ai;
	char name[64];
	ssize_t dirty = 0, muzzy = w->run->o->advice == PTSIM_MADV_FREE ? -1 : 0;

	/*
	 * Created with the default hooks so that the arena's own metadata (its
	 * "base") is real memory; the hooks are installed after, for extents.
	 */
	if (mallctl("arenas.create", &ai, &sz, NULL, 0))
		return -ENOMEM;
	if (ai >= 4096)
		return -ENOSPC;
	arena_owner[ai] = w;
	w->arena = ai;
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", ai);
	if (mallctl(name, NULL, NULL, &dirty, sizeof(dirty)))
		return -EINVAL;
	snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", ai);
	if (mallctl(name, NULL, NULL, &muzzy, sizeof(muzzy)))
		return -EINVAL;
	snprintf(name, sizeof(name), "arena.%u.extent_hooks", ai);
	if (mallctl(name, NULL, NULL, &hp, sizeof(hp)))
		return -EINVAL;
	return 0;
}

static void arena_teardown(struct worker *w)
{
	char name[64];

	for (int i = 0; i < 256; i++)
		if (w->objs[i])
			dallocx(w->objs[i], MALLOCX_ARENA(w->arena) | MALLOCX_TCACHE_NONE),
			        w->objs[i] = NULL;
	snprintf(name, sizeof(name), "arena.%u.destroy", w->arena);
	mallctl(name, NULL, NULL, NULL, 0);
	arena_owner[w->arena] = NULL;
}

static size_t jm_size(uint64_t *rng)
{
	uint64_t r = rnd(rng) % 1000;

	if (r < 900) /* small: 16 B .. 8 KiB */
		return (size_t)16 << (rnd(rng) % 10);
	if (r < 990) /* medium: 16 KiB .. 1 MiB */
		return ((size_t)16384 << (rnd(rng) % 6)) + rnd(rng) % 16384;
	return ((size_t)1 << 20) + rnd(rng) % (7 << 20); /* large: 1 .. 8 MiB */
}

static void iter_jemalloc(struct worker *w)
{
	int flags = MALLOCX_ARENA(w->arena) | MALLOCX_TCACHE_NONE;
	int slot = (int)(rnd(&w->rng) % 256);

	if (w->objs[slot]) {
		dallocx(w->objs[slot], flags);
		w->objs[slot] = NULL;
		w->ops++;
	}
	size_t sz = jm_size(&w->rng);
	void *p = mallocx(sz, flags);
	w->ops++;
	if (!p) {
		if (!w->err)
			w->err = -ENOMEM;
		return;
	}
	w->objs[slot] = p;
	w->objsz[slot] = sz;
	/* Write every page of the object once, as the program using it would. */
	uint64_t a = (uint64_t)(uintptr_t)p, end = a + sz;
	for (uint64_t pg = a & ~(PAGE - 1); pg < end; pg += PAGE) {
		uint64_t t0 = bench_now_ns();
		int e = ptsim_touch(w->run->mm, pg, PAGE, PTSIM_ACCESS_WRITE);
		hist_add(&w->fault, bench_now_ns() - t0);
		if (e < 0 && !w->err)
			w->err = e;
		w->ops++;
	}
}

/* ---- the workloads: one iteration ---- */

static void iteration(struct worker *w)
{
	uint64_t nchunks = w->len / CHUNK, npages = w->len / PAGE;

	switch (w->run->o->wl) {
	case WL_CHURN: {
		uint64_t c = rnd(&w->rng) % nchunks;
		for (int k = 0; k < 16; k++)
			touch_page(w, c * PAGES_PER_CHUNK + rnd(&w->rng) % PAGES_PER_CHUNK, true);
		if (rnd(&w->rng) & 1) {
			advise(w, (rnd(&w->rng) % nchunks) * PAGES_PER_CHUNK, PAGES_PER_CHUNK);
		} else {
			uint64_t p = rnd(&w->rng) % npages, n = 1 + rnd(&w->rng) % 64;
			if (p + n > npages)
				n = npages - p;
			advise(w, p, n);
		}
		break;
	}
	case WL_SPARSE: {
		uint64_t win = nchunks < 32 ? nchunks : 32;
		uint64_t c0 = rnd(&w->rng) % (nchunks - win + 1);
		for (uint64_t c = c0; c < c0 + win; c++)
			touch_page(w, c * PAGES_PER_CHUNK + rnd(&w->rng) % PAGES_PER_CHUNK, true);
		advise(w, c0 * PAGES_PER_CHUNK, win * PAGES_PER_CHUNK);
		break;
	}
	case WL_ZERO: {
		uint64_t c = rnd(&w->rng) % nchunks, base = c * PAGES_PER_CHUNK;
		if (rnd(&w->rng) % 4 == 0)
			for (uint64_t p = 0; p < PAGES_PER_CHUNK; p++)
				touch_page(w, base + p, false);
		else
			for (int k = 0; k < 64; k++)
				touch_page(w, base + rnd(&w->rng) % PAGES_PER_CHUNK, false);
		if (rnd(&w->rng) % 16 == 0)
			touch_page(w, base + rnd(&w->rng) % PAGES_PER_CHUNK, true);
		if (rnd(&w->rng) % 8 == 0)
			advise(w, (rnd(&w->rng) % nchunks) * PAGES_PER_CHUNK, PAGES_PER_CHUNK);
		break;
	}
	case WL_JEMALLOC:
		iter_jemalloc(w);
		break;
	}
	/* Read by the progress line of the main thread while the row runs. */
	__atomic_store_n(&w->iterations, w->iterations + 1, __ATOMIC_RELAXED);
}

static void phase_barrier(struct run *r)
{
	/* A: workers stop; reclaimers run their pass; B: sample; C: go on. */
	pthread_barrier_wait(&r->bar);
	if (pthread_barrier_wait(&r->bar) == PTHREAD_BARRIER_SERIAL_THREAD)
		record_sample(r);
	pthread_barrier_wait(&r->bar);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;

	cur_worker = w;
	w->t_start = bench_now_ns();
	if (r->o->wl == WL_JEMALLOC) {
		int e = arena_setup(w);
		if (e < 0) {
			w->err = e;
			atomic_store(&r->stop, true);
		}
	}
	if (r->o->iterations) {
		for (uint64_t i = 0; i < r->o->iterations; i++) {
			if (!w->err)
				iteration(w);
			if ((i + 1) % PHASE_ITERS == 0 || i + 1 == r->o->iterations)
				phase_barrier(r);
		}
	} else {
		uint64_t lim = r->limit ? r->limit[w->idx] : UINT64_MAX;
		while (!atomic_load_explicit(&r->stop, memory_order_relaxed) && !w->err &&
		       w->iterations < lim)
			iteration(w);
	}
	w->t_end = bench_now_ns();
	atomic_fetch_add(&r->workers_done, 1);
	return NULL;
}

/* ---- helpers: walkers, GUP-fast, reclaimers, sampler ---- */

struct aux {
	struct run *r;
	int idx;
	uint64_t rng;
	pthread_t tid;
};

static int walk_pte(uint64_t pte, uint64_t addr, uint64_t next, void *priv)
{
	(void)addr, (void)next;
	*(uint64_t *)priv += pte != 0;
	return 0;
}

static void *walker_main(void *arg)
{
	struct aux *a = arg;
	struct run *r = a->r;
	const struct ptsim_walk_ops ops = {.pte_entry = walk_pte};
	uint64_t nchunks = r->len / CHUNK, present = 0;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		uint64_t c = rnd(&a->rng) % nchunks, n = 4;
		if (c + n > nchunks)
			n = nchunks - c;
		ptsim_walk_page_range(r->mm, r->base + c * CHUNK, r->base + (c + n) * CHUNK, &ops,
		                      &present);
		atomic_fetch_add(&r->walker_ops, 1);
	}
	return NULL;
}

static void *gup_main(void *arg)
{
	struct aux *a = arg;
	struct run *r = a->r;
	uint64_t pfns[16], npages = r->len / PAGE;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		uint64_t p = rnd(&a->rng) % (npages - 16);
		int n = ptsim_gup_fast(r->mm, r->base + p * PAGE, 16, (int)(rnd(&a->rng) & 1),
		                       pfns);
		if (n > 0) {
			ptsim_unpin(pfns, n);
			atomic_fetch_add(&r->gup_pages, (uint64_t)n);
		}
	}
	return NULL;
}

static void reclaim_once(struct aux *a)
{
	uint64_t t0 = bench_now_ns();

	if (a->idx % 2 == 0)
		ptsim_reclaim(a->r->mm);
	else
		ptsim_reclaim_global(0);
	uint64_t d = bench_now_ns() - t0;
	pthread_mutex_lock(&a->r->series_lock);
	hist_add(&a->r->row->reclaim, d);
	pthread_mutex_unlock(&a->r->series_lock);
}

static void *reclaimer_main(void *arg)
{
	struct aux *a = arg;
	struct run *r = a->r;

	if (r->o->iterations) {
		for (uint64_t ph = 0; ph < r->phases; ph++) {
			pthread_barrier_wait(&r->bar);
			reclaim_once(a);
			if (pthread_barrier_wait(&r->bar) == PTHREAD_BARRIER_SERIAL_THREAD)
				record_sample(r);
			pthread_barrier_wait(&r->bar);
		}
		return NULL;
	}
	uint64_t next = bench_now_ns() + r->o->reclaim_interval_ms * 1000000ULL;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		if (bench_now_ns() >= next) {
			reclaim_once(a);
			next += r->o->reclaim_interval_ms * 1000000ULL;
		}
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *sampler_main(void *arg)
{
	struct run *r = arg;
	uint64_t next = r->start_ns;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		record_sample(r);
		next += r->limit ? SAMPLE_EQ_NS : SAMPLE_NS;
		uint64_t now = bench_now_ns();
		while (now < next && !atomic_load_explicit(&r->stop, memory_order_relaxed)) {
			uint64_t d = next - now > 10000000ULL ? 10000000ULL : next - now;
			struct timespec ts = {0, (long)d};
			nanosleep(&ts, NULL);
			now = bench_now_ns();
		}
	}
	return NULL;
}

/* ---- one row ---- */

/* kb - other, never below 0. */
static uint64_t vmpte_minus(uint64_t kb, int64_t other)
{
	int64_t v = (int64_t)kb - other;
	return v > 0 ? (uint64_t)v : 0;
}

static void lockfig_set(struct lockfig *d, const struct ptsim_lock_stats *s)
{
	*d = (struct lockfig){s->acquisitions, s->contended, s->wait_ns};
}

static uint64_t host_minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_minflt;
}

static uint64_t host_resident_pages(uint64_t addr, uint64_t len)
{
	uint64_t n = 0, step = 1ULL << 30;
	unsigned char *vec = malloc(step / PAGE);

	for (uint64_t off = 0; vec && off < len; off += step) {
		uint64_t l = len - off < step ? len - off : step;
		if (mincore((void *)(uintptr_t)(addr + off), l, vec) == 0)
			for (uint64_t i = 0; i < l / PAGE; i++)
				n += vec[i] & 1;
	}
	free(vec);
	return n;
}

/*
 * Real memory for the kernel rows and the jemalloc extents: at a fixed
 * address aligned to a PGD entry when it is free, so that the tables needed
 * do not depend on where ASLR put the mapping (determinism of VmPTE).
 */
#define HOST_BASE 0x200000000000ULL
static void *reserve_host(uint64_t len, size_t *maplen, uint64_t *base)
{
	void *p = mmap((void *)(uintptr_t)HOST_BASE, len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == (void *)(uintptr_t)HOST_BASE) {
		*maplen = len;
		*base = HOST_BASE;
		return p;
	}
	if (p != MAP_FAILED)
		munmap(p, len);
	*maplen = len + PTSIM_PUD_SIZE;
	p = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	         -1, 0);
	if (p == MAP_FAILED)
		bench_die(PROG, 1, "mmap %zu: %s", *maplen, strerror(errno));
	*base = ((uint64_t)(uintptr_t)p + PTSIM_PUD_SIZE - 1) & ~(PTSIM_PUD_SIZE - 1);
	return p;
}

/* One "row N/M: ..." progress line, with how far the running row has got. */
static void row_progress(struct run *r, uint64_t now)
{
	uint64_t done = 0, want = 0;

	for (int i = 0; i < r->threads; i++) {
		done += __atomic_load_n(&r->w[i].iterations, __ATOMIC_RELAXED);
		want += r->limit ? r->limit[i] : r->o->iterations;
	}
	if (want)
		bench_progress_step(r->pr, "%s: %llu/%llu iterations (%.0f%%)", r->label,
		                    (unsigned long long)done, (unsigned long long)want,
		                    100.0 * (double)done / (double)want);
	else
		bench_progress_step(r->pr, "%s: %.1f/%.1f s, %llu iterations", r->label,
		                    (double)(now - r->start_ns) / 1e9, r->o->seconds,
		                    (unsigned long long)done);
}

static void run_row(const struct options *o, bool sim, enum ptsim_strategy s, int threads,
                    int repeat, const uint64_t *limit, struct bench_progress *pr, const char *label,
                    struct row *row)
{
	struct run r;
	void *host_map = NULL;
	size_t host_len = 0;
	uint64_t uaf0 = ptsim_uaf_count(), minflt0 = 0;
	int nwalk = sim ? o->walkers : 0, ngup = sim ? o->gup : 0, nrec = sim ? o->reclaimers : 0;
	int prev_checked = -1;

	memset(&r, 0, sizeof(r));
	memset(row, 0, sizeof(*row));
	r.o = o;
	r.sim = sim;
	r.s = s;
	r.threads = threads;
	r.row = row;
	r.limit = limit;
	r.pr = pr;
	r.label = label;
	row->sim = sim;
	row->threads = threads;
	row->repeat = repeat;
	row->jemalloc = o->wl == WL_JEMALLOC;
	row->era = sim ? ptsim_strategy_era(s) : "host";
	snprintf(row->strategy, sizeof(row->strategy), "%s",
	         sim ? ptsim_strategy_name(s) : "kernel");
	pthread_mutex_init(&r.series_lock, NULL);

	/* The mapping: each thread's slice a whole number of 2 MiB chunks. */
	uint64_t slice = o->region / (uint64_t)threads / CHUNK * CHUNK;
	if (slice < CHUNK)
		bench_die(PROG, 2, "--region too small for %d threads (need 2 MiB each)", threads);
	r.len = slice * (uint64_t)threads;

	if (sim || o->wl == WL_JEMALLOC) {
		if (sim) {
			int e = ptsim_mm_create(s, &r.mm);
			if (e < 0)
				die_err("ptsim_mm_create", e);
		}
		if (o->wl == WL_JEMALLOC) {
			/*
			 * Extents live at real, reserved host addresses mapped at the
			 * same address in the simulated mm: jemalloc may keep its
			 * metadata there (it is real memory), and the pages it writes
			 * are counted afterwards with mincore (host_touched_pages).
			 */
			host_map = reserve_host(r.len, &host_len, &r.base);
		} else {
			r.base = SIM_BASE;
		}
		int e = ptsim_mmap(r.mm, r.base, r.len, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
		                   PTSIM_MAP_FIXED, NULL);
		if (e < 0)
			die_err("ptsim_mmap", e);
	} else {
		bench_proc_status_bytes("VmPTE", &r.host_vmpte_base);
		host_map = reserve_host(r.len, &host_len, &r.base);
		minflt0 = host_minflt();
	}
	if (sim && (nwalk || ngup) && ptsim_checked_available()) {
		prev_checked = ptsim_set_checked(1);
		row->checked = true;
	}

	r.w = calloc((size_t)threads, sizeof(*r.w));
	row->thread_iters = calloc((size_t)threads, sizeof(*row->thread_iters));
	if (!r.w || !row->thread_iters)
		bench_die(PROG, 1, "out of memory");
	for (int i = 0; i < threads; i++) {
		struct worker *w = &r.w[i];
		w->run = &r;
		w->idx = i;
		w->rng = splitmix(o->seed + (uint64_t)i) | 1;
		w->lo = r.base + (uint64_t)i * slice;
		w->len = slice;
		w->bump = w->lo;
		w->bump_end = w->lo + slice;
		w->mapped = calloc(slice / PAGE / 8 + 1, 1);
		if (!w->mapped)
			bench_die(PROG, 1, "out of memory");
	}
	if (o->iterations) {
		r.phases = (o->iterations + PHASE_ITERS - 1) / PHASE_ITERS;
		pthread_barrier_init(&r.bar, NULL, (unsigned)(threads + nrec));
	}

	struct aux *aux = calloc((size_t)(nwalk + ngup + nrec) + 1, sizeof(*aux));
	pthread_t sampler;
	r.start_ns = bench_now_ns();
	if (!o->iterations)
		pthread_create(&sampler, NULL, sampler_main, &r);
	else
		record_sample(&r);
	for (int i = 0; i < threads; i++)
		pthread_create(&r.w[i].tid, NULL, worker_main, &r.w[i]);
	for (int i = 0; i < nwalk + ngup + nrec; i++) {
		aux[i].r = &r;
		aux[i].idx = i < nwalk ? i : i < nwalk + ngup ? i - nwalk : i - nwalk - ngup;
		aux[i].rng = splitmix(o->seed + 1000003ULL * (uint64_t)(i + 1)) | 1;
		pthread_create(&aux[i].tid, NULL,
		               i < nwalk          ? walker_main
		               : i < nwalk + ngup ? gup_main
		                                  : reclaimer_main,
		               &aux[i]);
	}

	/*
	 * Wait: for the deadline (--seconds), or until every worker has run
	 * its iterations (--iterations, or the equal-work counts); a progress
	 * line every second once the whole run is past the quiet period.
	 */
	bool by_time = !o->iterations && !limit;
	uint64_t deadline = r.start_ns + (uint64_t)(o->seconds * 1e9), next_pr = r.start_ns;
	for (;;) {
		uint64_t now = bench_now_ns();
		bool failed = false;
		for (int i = 0; i < threads && !o->iterations; i++)
			failed |= r.w[i].err != 0;
		if (atomic_load(&r.workers_done) == threads || failed ||
		    (by_time && now >= deadline))
			break;
		if (now >= next_pr) {
			row_progress(&r, now);
			next_pr = now + 1000000000ULL;
		}
		uint64_t d = by_time && deadline - now < 20000000ULL ? deadline - now : 20000000ULL;
		struct timespec ts = {0, (long)d};
		nanosleep(&ts, NULL);
	}
	if (o->iterations) {
		for (int i = 0; i < threads; i++)
			pthread_join(r.w[i].tid, NULL);
		row->seconds = (double)(bench_now_ns() - r.start_ns) / 1e9;
		atomic_store(&r.stop, true);
	} else {
		atomic_store(&r.stop, true);
		for (int i = 0; i < threads; i++)
			pthread_join(r.w[i].tid, NULL);
		row->seconds = (double)(bench_now_ns() - r.start_ns) / 1e9;
	}
	for (int i = 0; i < nwalk + ngup + nrec; i++)
		pthread_join(aux[i].tid, NULL);
	/*
	 * The workload has stopped: with reclaimers, one last pass, as a
	 * reclaimer would make once the process goes idle (the bitfield
	 * strategy frees only in such passes).
	 */
	if (nrec > 0) {
		struct aux last = {.r = &r, .idx = 0};
		reclaim_once(&last);
	}
	if (!o->iterations) {
		pthread_join(sampler, NULL);
		record_sample(&r);
	}
	row->vmpte_end_kb = vmpte_now(&r);
	if (row->vmpte_end_kb > row->vmpte_peak_kb)
		row->vmpte_peak_kb = row->vmpte_end_kb;

	/*
	 * Throughput over the workers' own time, first start to last end: an
	 * equal-work row can be short enough for thread start-up to matter.
	 */
	uint64_t t0 = UINT64_MAX, t1 = 0;
	for (int i = 0; i < threads; i++) {
		t0 = r.w[i].t_start < t0 ? r.w[i].t_start : t0;
		t1 = r.w[i].t_end > t1 ? r.w[i].t_end : t1;
	}
	if (t1 > t0)
		row->seconds = (double)(t1 - t0) / 1e9;
	for (int i = 0; i < threads; i++) {
		struct worker *w = &r.w[i];
		if (w->err)
			bench_die(PROG, 1, "%s thread %d: %s%s", row->strategy, i,
			          strerror(-w->err),
			          o->wl == WL_JEMALLOC && w->err == -ENOMEM
			                  ? " (the extent hook hands out each address of the "
			                    "thread's slice once: give each thread more --region)"
			                  : "");
		row->ops += w->ops;
		row->iterations += w->iterations;
		row->thread_iters[i] = w->iterations;
		hist_merge(&row->fault, &w->fault);
		hist_merge(&row->madv, &w->madv);
	}
	row->walker_ops = atomic_load(&r.walker_ops);
	row->gup_pages = atomic_load(&r.gup_pages);

	if (sim) {
		struct ptsim_mm_stats st;
		struct ptsim_global_stats gs;
		ptsim_mm_get_stats(r.mm, &st);
		row->faults = st.faults;
		row->tables_freed = st.pte_tables_freed;
		lockfig_set(&row->vma_lock, &st.vma_lock);
		lockfig_set(&row->mmap_lock, &st.mmap_lock);
		lockfig_set(&row->pmd_lock, &st.pmd_lock);
		lockfig_set(&row->ptl, &st.ptl);
		lockfig_set(&row->page_table_lock, &st.page_table_lock);
		lockfig_set(&row->pt_rwsem, &st.pt_rwsem);
		lockfig_set(&row->pt_rwsem_write, &st.pt_rwsem_write);
		row->pmd_tables_freed = st.pmd_tables_freed;
		row->pud_tables_freed = st.pud_tables_freed;
		row->pgtables_bytes_freed = st.pgtables_bytes_freed;
		row->vma_lock_fallbacks = st.vma_lock_fallbacks;
		row->tlb_flushes = st.tlb_flushes;
		row->tlb_flush_ns = st.tlb_flush_ns;
		row->tlb_irqs_off_wait_ns = st.tlb_irqs_off_wait_ns;
		row->refcount_atomics = st.refcount_atomics;
		row->reclaim_wlock_ns = st.reclaim_write_lock_ns;
		row->reclaim_passes = st.reclaim_passes;
		if (ptsim_get_global_stats(&gs) == 0)
			row->sim_memory_bytes = gs.sim_allocated_bytes;
	} else {
		row->faults = host_minflt() - minflt0;
	}
	if (o->wl == WL_JEMALLOC) {
		for (int i = 0; i < threads; i++)
			arena_teardown(&r.w[i]);
		row->host_touched_pages = host_resident_pages(r.base, r.len);
	}
	if (sim) {
		uint64_t t0 = bench_now_ns();
		ptsim_mm_destroy(r.mm);
		row->teardown_ns = bench_now_ns() - t0;
		ptsim_synchronize();
		row->uaf = ptsim_uaf_count() - uaf0;
		if (prev_checked >= 0)
			ptsim_set_checked(prev_checked);
	}
	if (host_map)
		munmap(host_map, host_len);
	if (!sim && o->wl != WL_JEMALLOC) {
		/*
		 * What VmPTE changed by meanwhile outside the mapping is what is
		 * left after unmapping it (free_pgtables frees its tables): thread
		 * stacks and malloc arenas add tables, and a malloc heap trimmed
		 * or a stack unmapped can take one away. Take it off (or add it
		 * back to) every figure, so that the row counts the workload's
		 * tables only.
		 */
		uint64_t after = 0;
		bench_proc_status_bytes("VmPTE", &after);
		row->vmpte_other_kb = ((int64_t)after - (int64_t)r.host_vmpte_base) / 1024;
		row->vmpte_end_kb = vmpte_minus(row->vmpte_end_kb, row->vmpte_other_kb);
		row->vmpte_peak_kb = vmpte_minus(row->vmpte_peak_kb, row->vmpte_other_kb);
		for (size_t k = 0; k < row->nseries; k++)
			row->series[k].kb = vmpte_minus(row->series[k].kb, row->vmpte_other_kb);
	}
	if (o->iterations)
		pthread_barrier_destroy(&r.bar);
	for (int i = 0; i < threads; i++)
		free(r.w[i].mapped);
	free(r.w);
	free(aux);
	pthread_mutex_destroy(&r.series_lock);
}

/* ---- output ---- */

static double rate(uint64_t n, double s)
{
	return s > 0 ? (double)n / s : NAN;
}

static double fld_atomics(const struct row *w)
{
	return w->sim && w->faults ? (double)w->refcount_atomics / (double)w->faults : NAN;
}

#define SIM(x) (w->sim ? (double)(x) : NAN)

/*
 * Every figure of a run: its JSON key and CSV column, its unit, and how it
 * is read from a row. JSON, every CSV table and the text tables are made
 * from this one list, so they cannot disagree. NAN: no such figure for the
 * row (the kernel row has no lock statistics).
 */
#define ROW_FIELDS(X)                                                                              \
	X(ops_per_sec, "1/s", rate(w->ops, w->seconds))                                            \
	X(faults_per_sec, "1/s", rate(w->faults, w->seconds))                                      \
	X(fault_ns_p50, "ns", hist_pct(&w->fault, 0.50))                                           \
	X(fault_ns_p99, "ns", hist_pct(&w->fault, 0.99))                                           \
	X(madvise_ns_p50, "ns", hist_pct(&w->madv, 0.50))                                          \
	X(madvise_ns_p99, "ns", hist_pct(&w->madv, 0.99))                                          \
	X(vmpte_peak_kb, "kB", (double)w->vmpte_peak_kb)                                           \
	X(vmpte_end_kb, "kB", (double)w->vmpte_end_kb)                                             \
	X(vmpte_other_kb, "kB", w->sim ? NAN : (double)w->vmpte_other_kb)                          \
	X(pte_tables_freed, "tables", SIM(w->tables_freed))                                        \
	X(pmd_tables_freed, "tables", SIM(w->pmd_tables_freed))                                    \
	X(pud_tables_freed, "tables", SIM(w->pud_tables_freed))                                    \
	X(vmpte_freed_kb, "kB", SIM(w->pgtables_bytes_freed / 1024.0))                             \
	X(refcount_atomics_per_fault, "1/fault", fld_atomics(w))                                   \
	X(vma_lock_acquisitions, "count", SIM(w->vma_lock.acq))                                    \
	X(vma_lock_contended, "count", SIM(w->vma_lock.contended))                                 \
	X(vma_lock_wait_ns, "ns", SIM(w->vma_lock.wait_ns))                                        \
	X(vma_lock_fallbacks, "count", SIM(w->vma_lock_fallbacks))                                 \
	X(mmap_lock_acquisitions, "count", SIM(w->mmap_lock.acq))                                  \
	X(mmap_lock_contended, "count", SIM(w->mmap_lock.contended))                               \
	X(mmap_lock_wait_ns, "ns", SIM(w->mmap_lock.wait_ns))                                      \
	X(pmd_lock_acquisitions, "count", SIM(w->pmd_lock.acq))                                    \
	X(pmd_lock_contended, "count", SIM(w->pmd_lock.contended))                                 \
	X(pmd_lock_wait_ns, "ns", SIM(w->pmd_lock.wait_ns))                                        \
	X(ptl_acquisitions, "count", SIM(w->ptl.acq))                                              \
	X(ptl_contended, "count", SIM(w->ptl.contended))                                           \
	X(ptl_wait_ns, "ns", SIM(w->ptl.wait_ns))                                                  \
	X(page_table_lock_acquisitions, "count", SIM(w->page_table_lock.acq))                      \
	X(page_table_lock_contended, "count", SIM(w->page_table_lock.contended))                   \
	X(page_table_lock_wait_ns, "ns", SIM(w->page_table_lock.wait_ns))                          \
	X(pt_rwsem_acquisitions, "count", SIM(w->pt_rwsem.acq))                                    \
	X(pt_rwsem_contended, "count", SIM(w->pt_rwsem.contended))                                 \
	X(pt_rwsem_wait_ns, "ns", SIM(w->pt_rwsem.wait_ns))                                        \
	X(pt_rwsem_write_acquisitions, "count", SIM(w->pt_rwsem_write.acq))                        \
	X(pt_rwsem_write_wait_ns, "ns", SIM(w->pt_rwsem_write.wait_ns))                            \
	X(tlb_flushes, "count", SIM(w->tlb_flushes))                                               \
	X(tlb_flush_ns, "ns", SIM(w->tlb_flush_ns))                                                \
	X(tlb_irqs_off_wait_ns, "ns", SIM(w->tlb_irqs_off_wait_ns))                                \
	X(sim_memory_bytes, "B", SIM(w->sim_memory_bytes))                                         \
	X(uaf_reports, "count", w->sim && w->checked ? (double)w->uaf : NAN)                       \
	X(reclaim_passes, "count", SIM(w->reclaim_passes))                                         \
	X(reclaim_write_lock_ns, "ns", SIM(w->reclaim_wlock_ns))                                   \
	X(reclaim_pass_ns_p50, "ns", hist_pct(&w->reclaim, 0.50))                                  \
	X(reclaim_pass_ns_max, "ns", hist_pct(&w->reclaim, 1.0))                                   \
	X(teardown_ns, "ns", SIM(w->teardown_ns))                                                  \
	X(walker_walks, "count", SIM(w->walker_ops))                                               \
	X(gup_pages, "pages", SIM(w->gup_pages))                                                   \
	X(jemalloc_host_pages_written, "pages", w->jemalloc ? (double)w->host_touched_pages : NAN) \
	X(seconds, "s", w->seconds)                                                                \
	X(ops, "count", (double)w->ops)                                                            \
	X(iterations, "count", (double)w->iterations)                                              \
	X(faults, "count", (double)w->faults)                                                      \
	X(madvise_calls, "count", (double)w->madv.n)

enum field_id {
#define X(name, unit, expr) F_##name,
	ROW_FIELDS(X)
#undef X
	        F_COUNT
};

static const char *const field_name[F_COUNT] = {
#define X(name, unit, expr) #name,
        ROW_FIELDS(X)
#undef X
};

static const char *const field_unit[F_COUNT] = {
#define X(name, unit, expr) unit,
        ROW_FIELDS(X)
#undef X
};

static double field_get(const struct row *w, enum field_id f)
{
	switch (f) {
#define X(name, unit, expr) \
	case F_##name:      \
		return (expr);
		ROW_FIELDS(X)
#undef X
	default:
		return NAN;
	}
}
#undef SIM

/* The figures also given as a ratio to `none` with the same thread count. */
static const enum field_id ratio_fields[] = {F_ops_per_sec, F_fault_ns_p50, F_madvise_ns_p50,
                                             F_vmpte_end_kb};
#define NRATIO (sizeof(ratio_fields) / sizeof(ratio_fields[0]))

/*
 * The results: groups of --repeat runs of one (thread count, strategy),
 * run g's repeat r at runs[g * nrep + r]. Figures of a group are the
 * median over its runs, with the minimum and maximum as the spread.
 */
struct results {
	const struct options *o;
	struct row *runs;
	int ngroups, nrep;
	const struct bench_meta *meta;
};

static struct row *grun(const struct results *R, int g, int rep)
{
	return &R->runs[g * R->nrep + rep];
}

struct stat3 {
	double med, min, max;
};

static struct stat3 group_stat(const struct results *R, int g, enum field_id f)
{
	double v[MAX_REPEAT];
	size_t n = 0;

	for (int r = 0; r < R->nrep; r++) {
		double x = field_get(grun(R, g, r), f);
		if (!isnan(x))
			v[n++] = x;
	}
	return (struct stat3){bench_median(v, n), bench_min(v, n), bench_max(v, n)};
}

/* The group of `none` with g's thread count, or -1. */
static int none_group(const struct results *R, int g)
{
	for (int k = 0; k < R->ngroups; k++)
		if (grun(R, k, 0)->sim && !strcmp(grun(R, k, 0)->strategy, "none") &&
		    grun(R, k, 0)->threads == grun(R, g, 0)->threads)
			return k;
	return -1;
}

static double group_ratio(const struct results *R, int g, enum field_id f)
{
	int n = none_group(R, g);

	if (n < 0)
		return NAN;
	double a = group_stat(R, g, f).med, b = group_stat(R, n, f).med;
	return b > 0 && !isnan(a) ? a / b : NAN;
}

static void group_hist(const struct results *R, int g, int kind, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	for (int r = 0; r < R->nrep; r++)
		hist_merge(h, kind ? &grun(R, g, r)->madv : &grun(R, g, r)->fault);
}

static void num_out(FILE *f, double v, const char *nan_text)
{
	if (isnan(v) || isinf(v))
		fputs(nan_text, f);
	else if (v == floor(v) && fabs(v) < 9e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.6g", v);
}

static const char *advice_name(const struct options *o)
{
	return o->advice == PTSIM_MADV_FREE ? "free" : "dontneed";
}

/* The configuration as (key, string or number) pairs, for JSON and meta CSV. */
static void config_pairs(const struct options *o,
                         void (*put)(FILE *f, const char *k, const char *s, double v, bool first),
                         FILE *f)
{
	put(f, "workload", wl_names[o->wl], 0, true);
	put(f, "region_bytes", NULL, (double)o->region, false);
	put(f, "seconds", NULL, o->iterations ? NAN : o->seconds, false);
	put(f, "iterations", NULL, (double)o->iterations, false);
	put(f, "equal_work", o->host && !o->iterations && o->equal_work ? "kernel" : "no", 0,
	    false);
	put(f, "repeat", NULL, o->repeat, false);
	put(f, "walkers", NULL, o->walkers, false);
	put(f, "gup", NULL, o->gup, false);
	put(f, "reclaimers", NULL, o->reclaimers, false);
	put(f, "reclaim_interval_ms", NULL, (double)o->reclaim_interval_ms, false);
	put(f, "advice", advice_name(o), 0, false);
	put(f, "seed", NULL, (double)o->seed, false);
}

static void meta_pairs(const struct bench_meta *m,
                       void (*put)(FILE *f, const char *k, const char *s, double v, bool first),
                       FILE *f)
{
	put(f, "version", m->version, 0, true);
	put(f, "git_commit", m->git_commit, 0, false);
	put(f, "build_type", m->build_type, 0, false);
	put(f, "checked_build", m->checked_build ? "yes" : "no", 0, false);
	put(f, "nproc", NULL, m->nproc, false);
	put(f, "date_utc", m->date_utc, 0, false);
	put(f, "kernel", m->kernel, 0, false);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_pair(FILE *f, const char *k, const char *s, double v, bool first)
{
	fputs(first ? "" : ", ", f);
	json_str(f, k);
	fputs(": ", f);
	if (s)
		json_str(f, s);
	else
		num_out(f, v, "null");
}

static void json_hist(FILE *f, const struct hist *h)
{
	uint64_t l[65];
	bool first = true;

	hist_log2(h, l);
	fputc('[', f);
	for (int k = 0; k < 65; k++) {
		if (!l[k])
			continue;
		fprintf(f, "%s{\"lo_ns\": %llu, \"hi_ns\": %llu, \"count\": %llu}",
		        first ? "" : ", ", k ? 1ULL << (k - 1) : 0ULL, k < 64 ? 1ULL << k : ~0ULL,
		        (unsigned long long)l[k]);
		first = false;
	}
	fputc(']', f);
}

static void json_series(FILE *f, const struct row *w)
{
	fputc('[', f);
	for (size_t k = 0; k < w->nseries; k++)
		fprintf(f, "%s{\"t_ms\": %.1f, \"vmpte_kb\": %llu}", k ? ", " : "",
		        w->series[k].t_ms, (unsigned long long)w->series[k].kb);
	fputc(']', f);
}

static void json_row_head(FILE *f, const struct options *o, const struct row *w)
{
	fputs("{\"strategy\": ", f);
	json_str(f, w->strategy);
	fprintf(f, ", \"era\": \"%s\", \"workload\": \"%s\", \"threads\": %d", w->era,
	        wl_names[o->wl], w->threads);
}

static void print_json(const struct results *R, FILE *f)
{
	const struct options *o = R->o;

	fputs("{\n  \"benchmark\": \"madvise_churn\",\n  \"meta\": {", f);
	meta_pairs(R->meta, json_pair, f);
	fputs("},\n  \"config\": {", f);
	config_pairs(o, json_pair, f);
	fputs("},\n  \"results\": [", f);
	for (int g = 0; g < R->ngroups; g++) {
		const struct row *w0 = grun(R, g, 0);
		struct hist h;
		fputs(g ? ",\n    " : "\n    ", f);
		json_row_head(f, o, w0);
		fprintf(f, ", \"repeats\": %d", R->nrep);
		for (int k = 0; k < F_COUNT; k++) {
			fprintf(f, ", \"%s\": ", field_name[k]);
			num_out(f, group_stat(R, g, (enum field_id)k).med, "null");
		}
		fprintf(f, ", \"checked\": %s,\n     \"vs_none\": {",
		        w0->checked ? "true" : "false");
		for (size_t k = 0; k < NRATIO; k++) {
			fprintf(f, "%s\"%s\": ", k ? ", " : "", field_name[ratio_fields[k]]);
			num_out(f, group_ratio(R, g, ratio_fields[k]), "null");
		}
		fputs("},\n     \"spread\": {", f);
		for (int k = 0; k < F_COUNT; k++) {
			struct stat3 st = group_stat(R, g, (enum field_id)k);
			fprintf(f, "%s\"%s\": {\"min\": ", k ? ", " : "", field_name[k]);
			num_out(f, st.min, "null");
			fputs(", \"max\": ", f);
			num_out(f, st.max, "null");
			fputc('}', f);
		}
		fputs("},\n     \"fault_hist_log2_ns\": ", f);
		group_hist(R, g, 0, &h);
		json_hist(f, &h);
		fputs(",\n     \"madvise_hist_log2_ns\": ", f);
		group_hist(R, g, 1, &h);
		json_hist(f, &h);
		fputs(",\n     \"vmpte_series\": ", f);
		json_series(f, w0);
		fputc('}', f);
	}
	fputs("\n  ],\n  \"runs\": [", f);
	for (int i = 0; i < R->ngroups * R->nrep; i++) {
		const struct row *w = &R->runs[i];
		fputs(i ? ",\n    " : "\n    ", f);
		json_row_head(f, o, w);
		fprintf(f, ", \"repeat\": %d", w->repeat);
		for (int k = 0; k < F_COUNT; k++) {
			fprintf(f, ", \"%s\": ", field_name[k]);
			num_out(f, field_get(w, (enum field_id)k), "null");
		}
		fputs(", \"vmpte_series\": ", f);
		json_series(f, w);
		fputc('}', f);
	}
	fputs("\n  ]\n}\n", f);
}

/* ---- CSV: one tidy table per section, each with its own header ---- */

static void csv_pair(FILE *f, const char *k, const char *s, double v, bool first)
{
	(void)first;
	fprintf(f, "%s,", k);
	if (s)
		fputs(s, f);
	else
		num_out(f, v, "");
	fputc('\n', f);
}

static void csv_meta(const struct results *R, FILE *f)
{
	fputs("key,value\n", f);
	meta_pairs(R->meta, csv_pair, f);
	config_pairs(R->o, csv_pair, f);
}

/* The columns every CSV table of rows starts with. */
#define CSV_KEY "strategy,era,workload,threads"

static void csv_key(const struct results *R, const struct row *w, FILE *f)
{
	fprintf(f, "%s,%s,%s,%d", w->strategy, w->era, wl_names[R->o->wl], w->threads);
}

/* One line per group: the medians, then the ratios to none. */
static void csv_results(const struct results *R, FILE *f)
{
	fputs(CSV_KEY ",repeats", f);
	for (int k = 0; k < F_COUNT; k++)
		fprintf(f, ",%s", field_name[k]);
	fputs(",checked", f);
	for (size_t k = 0; k < NRATIO; k++)
		fprintf(f, ",%s_vs_none", field_name[ratio_fields[k]]);
	fputc('\n', f);
	for (int g = 0; g < R->ngroups; g++) {
		const struct row *w = grun(R, g, 0);
		csv_key(R, w, f);
		fprintf(f, ",%d", R->nrep);
		for (int k = 0; k < F_COUNT; k++) {
			fputc(',', f);
			num_out(f, group_stat(R, g, (enum field_id)k).med, "");
		}
		fprintf(f, ",%d", w->checked ? 1 : 0);
		for (size_t k = 0; k < NRATIO; k++) {
			fputc(',', f);
			num_out(f, group_ratio(R, g, ratio_fields[k]), "");
		}
		fputc('\n', f);
	}
}

/* Long form: one line per group and figure, with unit and spread. */
static void csv_spread(const struct results *R, FILE *f)
{
	fputs(CSV_KEY ",metric,unit,median,min,max,repeats\n", f);
	for (int g = 0; g < R->ngroups; g++) {
		const struct row *w = grun(R, g, 0);
		for (int k = 0; k < F_COUNT; k++) {
			struct stat3 st = group_stat(R, g, (enum field_id)k);
			csv_key(R, w, f);
			fprintf(f, ",%s,%s,", field_name[k], field_unit[k]);
			num_out(f, st.med, "");
			fputc(',', f);
			num_out(f, st.min, "");
			fputc(',', f);
			num_out(f, st.max, "");
			fprintf(f, ",%d\n", R->nrep);
		}
	}
}

static void csv_runs(const struct results *R, FILE *f)
{
	fputs(CSV_KEY ",repeat", f);
	for (int k = 0; k < F_COUNT; k++)
		fprintf(f, ",%s", field_name[k]);
	fputs(",checked\n", f);
	for (int i = 0; i < R->ngroups * R->nrep; i++) {
		const struct row *w = &R->runs[i];
		csv_key(R, w, f);
		fprintf(f, ",%d", w->repeat);
		for (int k = 0; k < F_COUNT; k++) {
			fputc(',', f);
			num_out(f, field_get(w, (enum field_id)k), "");
		}
		fprintf(f, ",%d\n", w->checked ? 1 : 0);
	}
}

static void csv_hist(const struct results *R, FILE *f)
{
	fputs(CSV_KEY ",repeat,kind,lo_ns,hi_ns,count\n", f);
	for (int i = 0; i < R->ngroups * R->nrep; i++) {
		const struct row *w = &R->runs[i];
		for (int kind = 0; kind < 2; kind++) {
			uint64_t l[65];
			hist_log2(kind ? &w->madv : &w->fault, l);
			for (int k = 0; k < 64; k++) {
				if (!l[k])
					continue;
				csv_key(R, w, f);
				fprintf(f, ",%d,%s,%llu,%llu,%llu\n", w->repeat,
				        kind ? "madvise" : "fault", k ? 1ULL << (k - 1) : 0ULL,
				        1ULL << k, (unsigned long long)l[k]);
			}
		}
	}
}

static void csv_series(const struct results *R, FILE *f)
{
	fputs(CSV_KEY ",repeat,t_ms,vmpte_kb\n", f);
	for (int i = 0; i < R->ngroups * R->nrep; i++) {
		const struct row *w = &R->runs[i];
		for (size_t k = 0; k < w->nseries; k++) {
			csv_key(R, w, f);
			fprintf(f, ",%d,%.1f,%llu\n", w->repeat, w->series[k].t_ms,
			        (unsigned long long)w->series[k].kb);
		}
	}
}

static const struct {
	const char *name;
	void (*print)(const struct results *R, FILE *f);
} csv_tables[] = {{"results", csv_results}, {"spread", csv_spread},     {"runs", csv_runs},
                  {"histograms", csv_hist}, {"timeseries", csv_series}, {"meta", csv_meta}};
#define NCSV (sizeof(csv_tables) / sizeof(csv_tables[0]))

/* Every table, each after a "# NAME" line and a blank line between them. */
static void print_csv(const struct results *R, FILE *f)
{
	for (size_t i = 0; i < NCSV; i++) {
		if (!strcmp(csv_tables[i].name, "timeseries") && R->o->timeseries)
			continue;
		fprintf(f, "%s# %s\n", i ? "\n" : "", csv_tables[i].name);
		csv_tables[i].print(R, f);
	}
}

/* --csv-dir: one file per table, DIR/NAME.csv. */
static void write_csv_dir(const struct results *R, const char *dir)
{
	for (size_t i = 0; i < NCSV; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.csv", dir, csv_tables[i].name);
		FILE *f = fopen(path, "w");
		if (!f)
			bench_die(PROG, 1, "%s: %s", path, strerror(errno));
		csv_tables[i].print(R, f);
		if (fclose(f))
			bench_die(PROG, 1, "%s: %s", path, strerror(errno));
	}
}

/* ---- text tables ---- */

/* Drawn like bpftrace's @usecs histograms, in nanoseconds. */
static void draw_hist(FILE *f, const char *name, const struct row *w, const struct hist *h)
{
	uint64_t l[65], max = 0;
	int lo = 65, hi = -1;

	hist_log2(h, l);
	for (int k = 0; k < 65; k++)
		if (l[k]) {
			lo = k < lo ? k : lo;
			hi = k;
			max = l[k] > max ? l[k] : max;
		}
	fprintf(f, "@%s[%s, %d threads]:\n", name, w->strategy, w->threads);
	if (hi < 0) {
		fputs("  (no samples)\n\n", f);
		return;
	}
	for (int k = lo; k <= hi; k++) {
		char a[24], b[24], range[56];
		uint64_t klo = k ? 1ULL << (k - 1) : 0, khi = 1ULL << k;
#define H(buf, v)                                                                       \
	((v) >= (1ULL << 30)                                                            \
	         ? snprintf(buf, sizeof(buf), "%lluG", (unsigned long long)((v) >> 30)) \
	 : (v) >= (1ULL << 20)                                                          \
	         ? snprintf(buf, sizeof(buf), "%lluM", (unsigned long long)((v) >> 20)) \
	 : (v) >= (1ULL << 10)                                                          \
	         ? snprintf(buf, sizeof(buf), "%lluK", (unsigned long long)((v) >> 10)) \
	         : snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(v)))
		H(a, klo);
		H(b, khi);
#undef H
		snprintf(range, sizeof(range), "[%s, %s)", a, b);
		int bar = (int)(l[k] * 52 / max);
		char bars[53];
		memset(bars, '@', (size_t)bar);
		bars[bar] = 0;
		fprintf(f, "%-16s %10llu |%-52s|\n", range, (unsigned long long)l[k], bars);
	}
	fputc('\n', f);
}

/*
 * A column of the text tables: the group's median of f divided by scale
 * with `decimals` digits, its ratio to `none` (RATIO), or its spread over
 * the repeats (SPREAD: (max - min) / median in per cent); "-" when absent.
 */
enum col_kind { MEDIAN, RATIO, SPREAD };
struct column {
	const char *head;
	enum field_id f;
	enum col_kind kind;
	double scale;
	int decimals;
};

static void cell(struct bench_table *t, const struct results *R, int g, const struct column *c)
{
	struct stat3 st = group_stat(R, g, c->f);
	double v = NAN;

	switch (c->kind) {
	case MEDIAN:
		v = st.med / c->scale;
		break;
	case RATIO:
		v = group_ratio(R, g, c->f);
		break;
	case SPREAD:
		if (R->nrep >= 2 && st.med != 0)
			v = 100.0 * (st.max - st.min) / st.med;
		break;
	}
	if (isnan(v))
		bench_table_cell(t, "-");
	else
		bench_table_cell(t, "%.*f", c->decimals, v);
}

/* One row per group (simulator groups only if sim_only): strategy, era,
 * threads, then the columns. */
static void print_columns(const struct results *R, FILE *f, const struct column *cols, int n,
                          bool sim_only)
{
	const char *hdr[3 + 16] = {"strategy", "era", "thr"};
	struct bench_table *t;

	if (n > 16)
		bench_die(PROG, 1, "print_columns: %d columns, at most 16", n);
	for (int i = 0; i < n; i++)
		hdr[3 + i] = cols[i].head;
	t = bench_table_new(3 + n, hdr);
	for (int g = 0; g < R->ngroups; g++) {
		const struct row *w = grun(R, g, 0);

		if (sim_only && !w->sim)
			continue;
		bench_table_cell(t, "%s", w->strategy);
		bench_table_cell(t, "%s", w->era);
		bench_table_cell(t, "%d", w->threads);
		for (int i = 0; i < n; i++)
			cell(t, R, g, &cols[i]);
		bench_table_row_end(t);
	}
	bench_table_print(t, f);
	bench_table_free(t);
}

static void print_work_table(const struct results *R, FILE *f)
{
	static const struct column cols[] = {
	        {"Mops/s", F_ops_per_sec, MEDIAN, 1e6, 2},
	        {"spread%", F_ops_per_sec, SPREAD, 1, 0},
	        {"ops x none", F_ops_per_sec, RATIO, 1, 2},
	        {"fault p50 ns", F_fault_ns_p50, MEDIAN, 1, 0},
	        {"fault p99 ns", F_fault_ns_p99, MEDIAN, 1, 0},
	        {"madv p50 ns", F_madvise_ns_p50, MEDIAN, 1, 0},
	        {"madv p99 ns", F_madvise_ns_p99, MEDIAN, 1, 0},
	        {"VmPTE peak kB", F_vmpte_peak_kb, MEDIAN, 1, 0},
	        {"VmPTE end kB", F_vmpte_end_kb, MEDIAN, 1, 0},
	        {"end x none", F_vmpte_end_kb, RATIO, 1, 2},
	        {"PTE freed", F_pte_tables_freed, MEDIAN, 1, 0},
	        {"freed kB", F_vmpte_freed_kb, MEDIAN, 1, 0},
	        {"atomics/fault", F_refcount_atomics_per_fault, MEDIAN, 1, 2},
	        {"sim MiB", F_sim_memory_bytes, MEDIAN, 1048576.0, 1},
	        {"uaf", F_uaf_reports, MEDIAN, 1, 0},
	};

	print_columns(R, f, cols, (int)(sizeof(cols) / sizeof(cols[0])), false);
	fprintf(f,
	        "Medians of %d run(s); spread%%: (max-min)/median of ops/s over the runs; x none: "
	        "ratio to `none` at the same thread count; latency per call; VmPTE in kB of page "
	        "tables; PTE freed: PTE tables freed; freed kB: VmPTE freed, PTE, PMD and PUD "
	        "tables, munmap/exit at the end of the row excluded; atomics: RMW on table "
	        "reference state (refcounts, rwsem's page-table rwsem) per fault, from the mm's "
	        "stats; "
	        "sim MiB: the library's arena; uaf: use-after-free reports (checked mode only); "
	        "'-': no such figure (kernel row: host has no counter).\n",
	        R->nrep);
}

static void print_wait_table(const struct results *R, FILE *f)
{
	static const struct column cols[] = {
	        {"vma lock us", F_vma_lock_wait_ns, MEDIAN, 1e3, 1},
	        {"vma fallbacks", F_vma_lock_fallbacks, MEDIAN, 1, 0},
	        {"mmap lock us", F_mmap_lock_wait_ns, MEDIAN, 1e3, 1},
	        {"PMD lock us", F_pmd_lock_wait_ns, MEDIAN, 1e3, 1},
	        {"PTL us", F_ptl_wait_ns, MEDIAN, 1e3, 1},
	        {"page_table_lock us", F_page_table_lock_wait_ns, MEDIAN, 1e3, 1},
	        {"pt rwsem us", F_pt_rwsem_wait_ns, MEDIAN, 1e3, 1},
	        {"pt rwsem w us", F_pt_rwsem_write_wait_ns, MEDIAN, 1e3, 1},
	        {"TLB flushes", F_tlb_flushes, MEDIAN, 1, 0},
	        {"TLB flush us", F_tlb_flush_ns, MEDIAN, 1e3, 1},
	        {"irqs-off wait us", F_tlb_irqs_off_wait_ns, MEDIAN, 1e3, 1},
	        {"reclaim wlock us", F_reclaim_write_lock_ns, MEDIAN, 1e3, 1},
	};

	print_columns(R, f, cols, (int)(sizeof(cols) / sizeof(cols[0])), true);
	fputs("Where threads waited, in microseconds summed over every thread of the row (median "
	      "of the runs): per lock kind, time spent waiting to acquire it; vma fallbacks: "
	      "per-VMA lock attempts that fell back to the mmap lock; pt rwsem: rwsem's "
	      "page-table rwsem, readers and writers (w: the writers alone); TLB: simulated "
	      "shootdowns, their cost and the part spent waiting for interrupts-off sections "
	      "(GUP-fast); reclaim wlock: time reclaim held the mmap lock for write.\n",
	      f);
}

/*
 * Equal work: the kernel row's VmPTE next to each simulator row's, from the
 * first run, and in how many runs each simulator row ended with exactly
 * the kernel's VmPTE.
 */
static void print_equal_work(const struct results *R, FILE *f)
{
	for (int g = 0; g < R->ngroups; g++) {
		const struct row *k = grun(R, g, 0);
		if (k->sim)
			continue;
		fprintf(f,
		        "Equal work, %d thread(s): every simulator row ran the kernel row's "
		        "iterations per thread (run 1: ",
		        k->threads);
		for (int i = 0; i < k->threads && i < 4; i++)
			fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)k->thread_iters[i]);
		fprintf(f, "%s); VmPTE end in run 1: kernel %llu kB", k->threads > 4 ? ", ..." : "",
		        (unsigned long long)k->vmpte_end_kb);
		for (int h = 0; h < R->ngroups; h++) {
			const struct row *s = grun(R, h, 0);
			int same = 0;
			if (!s->sim || s->threads != k->threads)
				continue;
			for (int r = 0; r < R->nrep; r++)
				same += grun(R, h, r)->vmpte_end_kb == grun(R, g, r)->vmpte_end_kb;
			fprintf(f, ", %s %llu kB", s->strategy,
			        (unsigned long long)s->vmpte_end_kb);
			if (same)
				fprintf(f, " (= in %d/%d runs)", same, R->nrep);
		}
		fputs(".\n", f);
	}
}

static void print_table(const struct results *R, FILE *f)
{
	const struct options *o = R->o;
	const struct bench_meta *m = R->meta;
	char reg[32];

	bench_format_size(o->region, reg, sizeof(reg));
	fprintf(f, "madvise_churn: libptsim %s (%s, %s), %d CPUs, Linux %s, %s\n", m->version,
	        m->git_commit, m->build_type, m->nproc, m->kernel, m->date_utc);
	fprintf(f,
	        "workload %s, region %s, %s, walkers %d, gup %d, reclaimers %d, seed %llu, "
	        "%d run(s) of each row, ",
	        wl_names[o->wl], reg, o->advice == PTSIM_MADV_FREE ? "MADV_FREE" : "MADV_DONTNEED",
	        o->walkers, o->gup, o->reclaimers, (unsigned long long)o->seed, o->repeat);
	if (o->iterations)
		fprintf(f, "%llu iterations per thread\n\n", (unsigned long long)o->iterations);
	else if (o->host && o->equal_work)
		fprintf(f, "kernel row %.2f s, simulator rows the same work\n\n", o->seconds);
	else
		fprintf(f, "%.2f s per row\n\n", o->seconds);
	print_work_table(R, f);
	if (!o->iterations && o->host && o->equal_work)
		print_equal_work(R, f);
	fputc('\n', f);
	print_wait_table(R, f);
	if (!o->hist)
		return;
	fputc('\n', f);
	for (int g = 0; g < R->ngroups; g++) {
		struct hist h;
		group_hist(R, g, 0, &h);
		draw_hist(f, "fault_ns", grun(R, g, 0), &h);
		group_hist(R, g, 1, &h);
		draw_hist(f, "madvise_ns", grun(R, g, 0), &h);
	}
}

/* ---- options ---- */

static const char usage_text[] =
        "Usage: " PROG " [OPTION]...\n"
        "Runs an allocator-style madvise workload on one simulated address space per\n"
        "strategy, one strategy after another in this process, and prints one row per\n"
        "strategy and thread count: throughput, fault and madvise latency, VmPTE over\n"
        "time, PTE tables freed, lock contention.\n"
        "\n"
        "\n"
        "  " PROG " --fork [--help]: fork-heavy rows instead, plain fork against\n"
        "                     COW PTE tables (PTSIM_OPT_COW_PTE), with options of their own.\n"
        "\n"
        "Options:\n"
        "  --strategies LIST  comma-separated strategy names, or \"all\". Default: every\n"
        "                     strategy this build accepts except \"unsafe\" (name it\n"
        "                     to run it).\n"
        "  --plugin FILE.so   loads a strategy plugin (docs/strategy-api.md) first: its\n"
        "                     strategies join \"all\" and may be named. Repeatable.\n"
        "  --threads N[,N...] worker thread counts, one row each. Default 1,2.\n"
        "  --seconds S        run time of each row. Default: 10 s shared between the\n"
        "                     timed rows (at least 0.5 s each).\n"
        "  --iterations N     instead of --seconds: N workload iterations per thread.\n"
        "                     VmPTE is then sampled every 64 iterations, with every\n"
        "                     worker stopped at a barrier and reclaimers running their\n"
        "                     pass there: with the same --seed the VmPTE figures are\n"
        "                     identical from run to run (see docs/benchmarks.md for\n"
        "                     what walkers and GUP-fast threads may change).\n"
        "  --region SIZE      bytes of the shared mapping, split evenly between the\n"
        "                     threads in whole 2 MiB chunks; suffixes K, M, G, T.\n"
        "                     Default 4G.\n"
        "  --workload W       churn (default): write-touch 16 random pages of a random\n"
        "                       2 MiB chunk, then madvise a random whole chunk or a\n"
        "                       random 1..64-page range;\n"
        "                     sparse: write one page in each of 32 consecutive 2 MiB\n"
        "                       chunks, then madvise the 64 MiB (the jemalloc/tcmalloc\n"
        "                       pattern: many nearly empty tables);\n"
        "                     zero: read-mostly; read 64 random pages of a chunk (the\n"
        "                       whole chunk one time in 4), write one page one time\n"
        "                       in 16, madvise a random chunk one time in 8;\n"
        "                     jemalloc: a real jemalloc arena per thread whose extent\n"
        "                       hooks mmap/madvise/munmap in the simulated mm (decay 0:\n"
        "                       purge at once); malloc/free of 90% 16 B-8 KiB, 9%\n"
        "                       16 KiB-1 MiB, 1% 1-8 MiB objects, each object's pages\n"
        "                       written through ptsim_touch.\n"
        "  --advice A         dontneed (default) or free: the madvise advice used.\n"
        "  --walkers N        N threads running ptsim_walk_page_range over random\n"
        "                     8 MiB ranges while the workload runs. Default 0.\n"
        "  --gup N            N threads running ptsim_gup_fast over random 16-page\n"
        "                     ranges. Default 0. With walkers or GUP-fast threads the\n"
        "                     use-after-free detector is switched on when the build\n"
        "                     has it, and uaf_reports counts its reports.\n"
        "  --reclaimers N     N threads each running a reclaim pass every\n"
        "                     --reclaim-interval: even-numbered ones ptsim_reclaim on\n"
        "                     the mm, odd-numbered ones ptsim_reclaim_global; and one\n"
        "                     last ptsim_reclaim when the workload stops, before\n"
        "                     vmpte_end_kb is read. Default 1.\n"
        "  --reclaim-interval MS  milliseconds between passes. Default 100.\n"
        "  --seed N           PRNG seed; worker i uses seed+i. Default 1.\n"
        "  --format FMT       table (default): two aligned tables (work and memory;\n"
        "                     where threads waited), one unit per column, each with a\n"
        "                     legend line; csv: tidy tables, each after a \"# NAME\"\n"
        "                     line: results (medians, ratios to none), spread (median,\n"
        "                     min, max of every figure), runs (every run), histograms,\n"
        "                     timeseries (unless --timeseries), meta; json: {\"meta\",\n"
        "                     \"config\", \"results\", \"runs\"} with the same fields.\n"
        "  --hist             table format: also draw the log2 latency histograms.\n"
        "  --csv-dir DIR      also write each CSV table to DIR/NAME.csv (DIR is created\n"
        "                     if missing; its parent must exist).\n"
        "  --repeat N         run every row N times (1..99), interleaved; figures are\n"
        "                     the median, with min and max as the spread. Default 1.\n"
        "  --timeseries FILE  also write the VmPTE time series as CSV to FILE.\n"
        "  --host             add a \"kernel\" row per thread count: the same workload on\n"
        "                     real memory of this process (mmap, madvise, loads and\n"
        "                     stores), VmPTE from /proc/self/status minus its value\n"
        "                     before the mapping and minus what other mappings added\n"
        "                     meanwhile, faults from getrusage. No walkers, GUP or\n"
        "                     reclaimers there; not available for jemalloc. Without\n"
        "                     --iterations the kernel row runs for --seconds and each\n"
        "                     simulator row then runs exactly the kernel row's\n"
        "                     iterations per thread (equal work: the same pages\n"
        "                     touched and advised, so VmPTE can be compared).\n"
        "  --no-equal-work    with --host: run every row for --seconds instead.\n"
        "  --help             print this help and exit.\n"
        "\n"
        "Figures: ops/s counts library calls (each page touch, each madvise, and for\n"
        "jemalloc each mallocx/dallocx); fault latency is one ptsim_touch of a page the\n"
        "worker had not mapped (jemalloc: first write to each page of a new object);\n"
        "madvise latency is one madvise call. Progress goes to stderr for runs > 2 s,\n"
        "every second inside a row.\n";

static void parse_threads(struct options *o, const char *s)
{
	char *copy = strdup(s), *save = NULL;

	o->ntcounts = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t v;
		if (o->ntcounts == MAX_TCOUNTS || bench_parse_uint(t, MAX_THREADS, &v) < 0 || !v)
			bench_die(PROG, 2, "bad --threads '%s' (1..%d, at most %d values)", s,
			          MAX_THREADS, MAX_TCOUNTS);
		o->tcounts[o->ntcounts++] = (int)v;
	}
	free(copy);
	if (!o->ntcounts)
		bench_die(PROG, 2, "bad --threads '%s'", s);
}

static int parse_int_opt(const char *name, const char *s, uint64_t max)
{
	uint64_t v;
	if (bench_parse_uint(s, max, &v) < 0 && strcmp(s, "0") != 0)
		bench_die(PROG, 2, "bad %s '%s'", name, s);
	if (!strcmp(s, "0"))
		v = 0;
	return (int)v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum {
		O_STRAT = 256,
		O_THREADS,
		O_SECONDS,
		O_ITER,
		O_REGION,
		O_WL,
		O_WALK,
		O_GUP,
		O_RECL,
		O_RECLI,
		O_ADV,
		O_SEED,
		O_FMT,
		O_HOST,
		O_TS,
		O_REPEAT,
		O_HIST,
		O_CSVDIR,
		O_NOEQ,
		O_HELP
	};
	static const struct option lo[] = {{"strategies", required_argument, NULL, O_STRAT},
	                                   {"threads", required_argument, NULL, O_THREADS},
	                                   {"seconds", required_argument, NULL, O_SECONDS},
	                                   {"iterations", required_argument, NULL, O_ITER},
	                                   {"region", required_argument, NULL, O_REGION},
	                                   {"workload", required_argument, NULL, O_WL},
	                                   {"walkers", required_argument, NULL, O_WALK},
	                                   {"gup", required_argument, NULL, O_GUP},
	                                   {"reclaimers", required_argument, NULL, O_RECL},
	                                   {"reclaim-interval", required_argument, NULL, O_RECLI},
	                                   {"advice", required_argument, NULL, O_ADV},
	                                   {"seed", required_argument, NULL, O_SEED},
	                                   {"format", required_argument, NULL, O_FMT},
	                                   {"host", no_argument, NULL, O_HOST},
	                                   {"timeseries", required_argument, NULL, O_TS},
	                                   {"repeat", required_argument, NULL, O_REPEAT},
	                                   {"hist", no_argument, NULL, O_HIST},
	                                   {"csv-dir", required_argument, NULL, O_CSVDIR},
	                                   {"no-equal-work", no_argument, NULL, O_NOEQ},
	                                   {"help", no_argument, NULL, O_HELP},
	                                   {"plugin", required_argument, NULL, 'P'},
	                                   {NULL, 0, NULL, 0}};
	char err[128];
	int c;

	memset(o, 0, sizeof(*o));
	bench_load_plugins(PROG, argc, argv);
	bench_all_strategies(o->sel);
	o->sel[PTSIM_STRATEGY_UNSAFE] = false;
	o->tcounts[0] = 1;
	o->tcounts[1] = 2;
	o->ntcounts = 2;
	o->region = 4ULL << 30;
	o->reclaimers = 1;
	o->reclaim_interval_ms = 100;
	o->advice = PTSIM_MADV_DONTNEED;
	o->seed = 1;
	o->repeat = 1;
	o->equal_work = true;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_STRAT:
			if (bench_parse_strategies(optarg, o->sel, err, sizeof(err)) < 0)
				bench_die(PROG, 2, "%s", err);
			if (!strcmp(optarg, "all"))
				o->sel[PTSIM_STRATEGY_UNSAFE] = false;
			break;
		case O_THREADS:
			parse_threads(o, optarg);
			break;
		case O_SECONDS: {
			char *end;
			o->seconds = strtod(optarg, &end);
			if (*end || !(o->seconds > 0) || o->seconds > 86400)
				bench_die(PROG, 2, "bad --seconds '%s'", optarg);
			o->seconds_given = true;
			break;
		}
		case O_ITER:
			if (bench_parse_uint(optarg, 1ULL << 40, &o->iterations) < 0 ||
			    !o->iterations)
				bench_die(PROG, 2, "bad --iterations '%s'", optarg);
			break;
		case O_REGION:
			if (bench_parse_size(optarg, &o->region) < 0 || o->region < CHUNK ||
			    o->region > (64ULL << 40))
				bench_die(PROG, 2, "bad --region '%s' (2M .. 64T)", optarg);
			break;
		case O_WL: {
			int k;
			for (k = 0; k < 4 && strcmp(optarg, wl_names[k]); k++)
				;
			if (k == 4)
				bench_die(PROG, 2, "unknown --workload '%s'", optarg);
			o->wl = (enum workload)k;
			break;
		}
		case O_WALK:
			o->walkers = parse_int_opt("--walkers", optarg, 64);
			break;
		case O_GUP:
			o->gup = parse_int_opt("--gup", optarg, 64);
			break;
		case O_RECL:
			o->reclaimers = parse_int_opt("--reclaimers", optarg, 64);
			break;
		case O_RECLI:
			o->reclaim_interval_ms =
			        (uint64_t)parse_int_opt("--reclaim-interval", optarg, 3600000);
			break;
		case O_ADV:
			if (!strcmp(optarg, "dontneed"))
				o->advice = PTSIM_MADV_DONTNEED;
			else if (!strcmp(optarg, "free"))
				o->advice = PTSIM_MADV_FREE;
			else
				bench_die(PROG, 2, "bad --advice '%s' (dontneed or free)", optarg);
			break;
		case O_SEED: {
			char *end;
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (*end || errno)
				bench_die(PROG, 2, "bad --seed '%s'", optarg);
			break;
		}
		case O_FMT:
			if (bench_parse_format(optarg, &o->format) < 0)
				bench_die(PROG, 2, "bad --format '%s' (table, csv, json)", optarg);
			break;
		case O_HOST:
			o->host = true;
			break;
		case O_TS:
			o->timeseries = optarg;
			break;
		case 'P': /* loaded before the options were read (plugin.c) */
			break;
		case O_REPEAT:
			o->repeat = parse_int_opt("--repeat", optarg, MAX_REPEAT);
			if (!o->repeat)
				bench_die(PROG, 2, "bad --repeat '%s' (1..%d)", optarg, MAX_REPEAT);
			break;
		case O_HIST:
			o->hist = true;
			break;
		case O_CSVDIR:
			o->csv_dir = optarg;
			break;
		case O_NOEQ:
			o->equal_work = false;
			break;
		case O_HELP:
			fputs(usage_text, stdout);
			exit(0);
		default:
			fputs("Try '" PROG " --help'.\n", stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bench_die(PROG, 2, "unexpected argument '%s'", argv[optind]);
	if (o->seconds_given && o->iterations)
		bench_die(PROG, 2, "--seconds and --iterations exclude each other");
	if (o->host && o->wl == WL_JEMALLOC) {
		fprintf(stderr,
		        PROG ": --host is not available for the jemalloc workload; ignored\n");
		o->host = false;
	}
}

static void *warmup_main(void *arg)
{
	volatile char stack[64 * 1024];
	void *p = malloc(64);

	stack[0] = stack[sizeof(stack) - 1] = 1;
	free(p);
	return arg;
}

/*
 * The kernel row's VmPTE is the process's minus its value before the row:
 * the first threads a process creates map stacks and malloc arenas, whose
 * page tables would be counted as the workload's. Create and join as many
 * threads as a row will, once, so that rows reuse the cached ones.
 */
static void host_warmup(int n)
{
	pthread_t t[MAX_THREADS + 2];

	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, warmup_main, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* Runs every row: repeat-major, so that slow drifts of the machine spread over all rows. */
static void run_all(const struct options *o, struct results *R)
{
	int per_t = R->ngroups / o->ntcounts, total = R->ngroups * R->nrep, k = 0;
	struct bench_progress pr;
	char label[96];

	bench_progress_init(&pr, 2000000000ULL);
	if (o->host) {
		int maxt = 0;
		for (int t = 0; t < o->ntcounts; t++)
			maxt = o->tcounts[t] > maxt ? o->tcounts[t] : maxt;
		host_warmup(maxt + 2); /* the workers and the sampler, with one spare */
	}
	for (int rep = 0; rep < R->nrep; rep++) {
		for (int t = 0; t < o->ntcounts; t++) {
			const uint64_t *limit = NULL;
			int g = t * per_t;

			if (o->host) {
				struct row *w = grun(R, g++, rep);
				snprintf(label, sizeof(label), "row %d/%d: kernel, %d threads", ++k,
				         total, o->tcounts[t]);
				bench_progress_step(&pr, "%s", label);
				run_row(o, false, PTSIM_STRATEGY_NONE, o->tcounts[t], rep + 1, NULL,
				        &pr, label, w);
				if (!o->iterations && o->equal_work)
					limit = w->thread_iters;
			}
			for (int s = 0; s < BENCH_MAX_STRATEGIES; s++) {
				if (!o->sel[s])
					continue;
				const char *name = ptsim_strategy_name((enum ptsim_strategy)s);
				snprintf(label, sizeof(label), "row %d/%d: %s, %d threads", ++k,
				         total, name, o->tcounts[t]);
				bench_progress_step(&pr, "%s", label);
				run_row(o, true, (enum ptsim_strategy)s, o->tcounts[t], rep + 1,
				        limit, &pr, label, grun(R, g++, rep));
			}
		}
	}
	bench_progress_done(&pr);
}

int main(int argc, char **argv)
{
	struct options o;
	struct bench_meta meta;
	int nstrat = 0, ngroups;

	/* The fork-heavy rows (COW PTE tables) have options of their own. */
	if (argc > 1 && !strcmp(argv[1], "--fork"))
		return fork_bench_main(argc - 1, argv + 1);
	parse_options(argc, argv, &o);
	bench_meta_init(&meta);
	for (int s = 0; s < BENCH_MAX_STRATEGIES; s++)
		nstrat += o.sel[s];
	ngroups = (nstrat + (o.host ? 1 : 0)) * o.ntcounts;
	if (!ngroups)
		bench_die(PROG, 2, "no strategy to run");
	if (!o.iterations && !o.seconds_given) {
		/* 10 s in all; with equal work only the kernel rows are timed. */
		int timed = o.host && o.equal_work ? o.ntcounts : ngroups;
		o.seconds = DEFAULT_TOTAL_S / (timed * o.repeat);
		if (o.seconds < 0.5)
			o.seconds = 0.5;
	}

	/* Fail before a long run, not after it: create --csv-dir, check that the
	 * --timeseries file can be written. */
	if (o.csv_dir &&
	    ((mkdir(o.csv_dir, 0777) && errno != EEXIST) || access(o.csv_dir, W_OK | X_OK)))
		bench_die(PROG, 2, "--csv-dir %s: %s", o.csv_dir, strerror(errno));
	if (o.timeseries && access(o.timeseries, W_OK) && errno != ENOENT)
		bench_die(PROG, 2, "--timeseries %s: %s", o.timeseries, strerror(errno));

	struct results R = {.o = &o, .ngroups = ngroups, .nrep = o.repeat, .meta = &meta};
	R.runs = calloc((size_t)(ngroups * o.repeat), sizeof(*R.runs));
	if (!R.runs)
		bench_die(PROG, 1, "out of memory");
	run_all(&o, &R);

	if (o.timeseries) {
		FILE *f = fopen(o.timeseries, "w");
		if (!f)
			bench_die(PROG, 1, "%s: %s", o.timeseries, strerror(errno));
		csv_series(&R, f);
		fclose(f);
	}
	if (o.csv_dir)
		write_csv_dir(&R, o.csv_dir);
	switch (o.format) {
	case BENCH_FORMAT_JSON:
		print_json(&R, stdout);
		break;
	case BENCH_FORMAT_CSV:
		print_csv(&R, stdout);
		break;
	default:
		print_table(&R, stdout);
	}
	int bad = 0;
	for (int i = 0; i < ngroups * o.repeat; i++) {
		struct row *w = &R.runs[i];
		bad |= w->uaf != 0 && w->sim && strcmp(w->strategy, "unsafe") != 0;
		free(w->series);
		free(w->thread_iters);
	}
	free(R.runs);
	if (bad)
		fprintf(stderr, PROG ": use-after-free reports under a real strategy\n");
	return bad ? 1 : 0;
}

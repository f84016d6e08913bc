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
#define SAMPLE_NS       50000000ULL /* --seconds: VmPTE sampled every 50 ms */
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
	const char *timeseries;
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

struct row {
	char strategy[16];
	int threads;
	bool sim;
	double seconds;
	uint64_t ops, faults, iterations;
	struct hist fault, madv, reclaim;
	uint64_t vmpte_peak_kb, vmpte_end_kb;
	uint64_t tables_freed, mmap_wait_ns, ptl_contended, refcount_atomics;
	uint64_t reclaim_wlock_ns, reclaim_passes, walker_ops, gup_pages;
	uint64_t sim_memory_bytes;
	uint64_t teardown_ns; /* ptsim_mm_destroy (exit_mmap) at the end of the row */
	uint64_t uaf;
	bool checked;
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
	w->iterations++;
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
		while (!atomic_load_explicit(&r->stop, memory_order_relaxed) && !w->err)
			iteration(w);
	}
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
		next += SAMPLE_NS;
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

static void run_row(const struct options *o, bool sim, enum ptsim_strategy s, int threads,
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
	row->sim = sim;
	row->threads = threads;
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
	if (!r.w)
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

	if (o->iterations) {
		for (int i = 0; i < threads; i++)
			pthread_join(r.w[i].tid, NULL);
		row->seconds = (double)(bench_now_ns() - r.start_ns) / 1e9;
		atomic_store(&r.stop, true);
	} else {
		uint64_t deadline = r.start_ns + (uint64_t)(o->seconds * 1e9);
		for (;;) {
			uint64_t now = bench_now_ns();
			bool failed = false;
			for (int i = 0; i < threads; i++)
				failed |= r.w[i].err != 0;
			if (now >= deadline || failed)
				break;
			uint64_t d = deadline - now > 20000000ULL ? 20000000ULL : deadline - now;
			struct timespec ts = {0, (long)d};
			nanosleep(&ts, NULL);
		}
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

	for (int i = 0; i < threads; i++) {
		struct worker *w = &r.w[i];
		if (w->err)
			bench_die(PROG, 1, "%s thread %d: %s", row->strategy, i, strerror(-w->err));
		row->ops += w->ops;
		row->iterations += w->iterations;
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
		row->mmap_wait_ns = st.mmap_lock.wait_ns;
		row->ptl_contended = st.ptl.contended;
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

static void json_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("null", f);
	else if (v == floor(v) && fabs(v) < 9e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.6g", v);
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

static double fld_atomics(const struct row *w)
{
	return w->sim && w->faults ? (double)w->refcount_atomics / (double)w->faults : NAN;
}

static void print_json(const struct options *o, struct row *rows, int n, FILE *f)
{
	fprintf(f,
	        "{\n  \"benchmark\": \"madvise_churn\",\n  \"config\": {\"workload\": \"%s\", "
	        "\"region_bytes\": %llu, \"seconds\": ",
	        wl_names[o->wl], (unsigned long long)o->region);
	json_num(f, o->iterations ? NAN : o->seconds);
	fprintf(f,
	        ", \"iterations\": %llu, \"walkers\": %d, \"gup\": %d, \"reclaimers\": %d, "
	        "\"reclaim_interval_ms\": %llu, \"advice\": \"%s\", \"seed\": %llu, \"kernel\": "
	        "\"%s\"},\n  \"results\": [",
	        (unsigned long long)o->iterations, o->walkers, o->gup, o->reclaimers,
	        (unsigned long long)o->reclaim_interval_ms,
	        o->advice == PTSIM_MADV_FREE ? "free" : "dontneed", (unsigned long long)o->seed,
	        bench_kernel_release());
	for (int i = 0; i < n; i++) {
		struct row *w = &rows[i];
		fprintf(f, "%s\n    {\"strategy\": \"%s\", \"workload\": \"%s\", \"threads\": %d, ",
		        i ? "," : "", w->strategy, wl_names[o->wl], w->threads);
		struct {
			const char *k;
			double v;
		} fl[] = {
		        {"ops_per_sec", rate(w->ops, w->seconds)},
		        {"faults_per_sec", rate(w->faults, w->seconds)},
		        {"fault_ns_p50", hist_pct(&w->fault, 0.50)},
		        {"fault_ns_p99", hist_pct(&w->fault, 0.99)},
		        {"madvise_ns_p50", hist_pct(&w->madv, 0.50)},
		        {"madvise_ns_p99", hist_pct(&w->madv, 0.99)},
		        {"vmpte_peak_kb", (double)w->vmpte_peak_kb},
		        {"vmpte_end_kb", (double)w->vmpte_end_kb},
		        {"pte_tables_freed", w->sim ? (double)w->tables_freed : NAN},
		        {"mmap_lock_wait_ns", w->sim ? (double)w->mmap_wait_ns : NAN},
		        {"ptl_contended", w->sim ? (double)w->ptl_contended : NAN},
		        {"refcount_atomics_per_fault", fld_atomics(w)},
		        {"sim_memory_bytes", w->sim ? (double)w->sim_memory_bytes : NAN},
		        {"uaf_reports", w->sim ? (double)w->uaf : NAN},
		        {"reclaim_passes", w->sim ? (double)w->reclaim_passes : NAN},
		        {"reclaim_write_lock_ns", w->sim ? (double)w->reclaim_wlock_ns : NAN},
		        {"teardown_ns", w->sim ? (double)w->teardown_ns : NAN},
		        {"reclaim_pass_ns_p50", hist_pct(&w->reclaim, 0.50)},
		        {"reclaim_pass_ns_max", hist_pct(&w->reclaim, 1.0)},
		        {"walker_walks", w->sim ? (double)w->walker_ops : NAN},
		        {"gup_pages", w->sim ? (double)w->gup_pages : NAN},
		        {"seconds", w->seconds},
		        {"ops", (double)w->ops},
		        {"iterations", (double)w->iterations},
		        {"faults", (double)w->faults},
		        {"madvise_calls", (double)w->madv.n},
		};
		for (size_t k = 0; k < sizeof(fl) / sizeof(fl[0]); k++) {
			fprintf(f, "\"%s\": ", fl[k].k);
			json_num(f, fl[k].v);
			fputs(", ", f);
		}
		if (o->wl == WL_JEMALLOC)
			fprintf(f, "\"jemalloc_host_pages_written\": %llu, ",
			        (unsigned long long)w->host_touched_pages);
		fprintf(f, "\"checked\": %s,\n     \"fault_hist_log2_ns\": ",
		        w->checked ? "true" : "false");
		json_hist(f, &w->fault);
		fputs(",\n     \"madvise_hist_log2_ns\": ", f);
		json_hist(f, &w->madv);
		fputs(",\n     \"vmpte_series\": [", f);
		for (size_t k = 0; k < w->nseries; k++)
			fprintf(f, "%s{\"t_ms\": %.1f, \"vmpte_kb\": %llu}", k ? ", " : "",
			        w->series[k].t_ms, (unsigned long long)w->series[k].kb);
		fputs("]}", f);
	}
	fputs("\n  ]\n}\n", f);
}

static void csv_val(FILE *f, double v)
{
	if (isnan(v))
		return;
	if (v == floor(v) && fabs(v) < 9e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.6g", v);
}

static void print_csv(const struct options *o, struct row *rows, int n, FILE *f)
{
	fputs("strategy,workload,threads,ops_per_sec,faults_per_sec,fault_ns_p50,fault_ns_p99,"
	      "madvise_ns_p50,madvise_ns_p99,vmpte_peak_kb,vmpte_end_kb,pte_tables_freed,"
	      "mmap_lock_wait_ns,ptl_contended,refcount_atomics_per_fault,sim_memory_bytes,"
	      "uaf_reports,reclaim_write_lock_ns,reclaim_pass_ns_p50,reclaim_pass_ns_max,seconds\n",
	      f);
	for (int i = 0; i < n; i++) {
		struct row *w = &rows[i];
		double v[] = {rate(w->ops, w->seconds),
		              rate(w->faults, w->seconds),
		              hist_pct(&w->fault, 0.5),
		              hist_pct(&w->fault, 0.99),
		              hist_pct(&w->madv, 0.5),
		              hist_pct(&w->madv, 0.99),
		              (double)w->vmpte_peak_kb,
		              (double)w->vmpte_end_kb,
		              w->sim ? (double)w->tables_freed : NAN,
		              w->sim ? (double)w->mmap_wait_ns : NAN,
		              w->sim ? (double)w->ptl_contended : NAN,
		              fld_atomics(w),
		              w->sim ? (double)w->sim_memory_bytes : NAN,
		              w->sim ? (double)w->uaf : NAN,
		              w->sim ? (double)w->reclaim_wlock_ns : NAN,
		              hist_pct(&w->reclaim, 0.5),
		              hist_pct(&w->reclaim, 1.0),
		              w->seconds};
		fprintf(f, "%s,%s,%d", w->strategy, wl_names[o->wl], w->threads);
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			fputc(',', f);
			csv_val(f, v[k]);
		}
		fputc('\n', f);
	}
	fputs("\n# histograms\nstrategy,workload,threads,kind,lo_ns,hi_ns,count\n", f);
	for (int i = 0; i < n; i++) {
		for (int kind = 0; kind < 2; kind++) {
			uint64_t l[65];
			hist_log2(kind ? &rows[i].madv : &rows[i].fault, l);
			for (int k = 0; k < 64; k++)
				if (l[k])
					fprintf(f, "%s,%s,%d,%s,%llu,%llu,%llu\n", rows[i].strategy,
					        wl_names[o->wl], rows[i].threads,
					        kind ? "madvise" : "fault",
					        k ? 1ULL << (k - 1) : 0ULL, 1ULL << k,
					        (unsigned long long)l[k]);
		}
	}
}

static void print_series_csv(const struct options *o, struct row *rows, int n, FILE *f)
{
	fputs("strategy,workload,threads,t_ms,vmpte_kb\n", f);
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < rows[i].nseries; k++)
			fprintf(f, "%s,%s,%d,%.1f,%llu\n", rows[i].strategy, wl_names[o->wl],
			        rows[i].threads, rows[i].series[k].t_ms,
			        (unsigned long long)rows[i].series[k].kb);
}

static void fmt_ns(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v < 10000)
		snprintf(b, n, "%.0f ns", v);
	else if (v < 1e7)
		snprintf(b, n, "%.1f us", v / 1e3);
	else
		snprintf(b, n, "%.1f ms", v / 1e6);
}

static void fmt_rate(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else if (v >= 1e6)
		snprintf(b, n, "%.2f M", v / 1e6);
	else if (v >= 1e3)
		snprintf(b, n, "%.1f k", v / 1e3);
	else
		snprintf(b, n, "%.0f", v);
}

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

static void print_table(const struct options *o, struct row *rows, int n, FILE *f)
{
	static const char *const hdr[] = {"strategy",      "thr",         "ops/s",     "faults/s",
	                                  "fault p50",     "fault p99",   "madv p50",  "madv p99",
	                                  "VmPTE peak",    "VmPTE end",   "PTE freed", "mmap wait",
	                                  "PTL contended", "atomics/flt", "sim mem",   "uaf"};
	struct bench_table *t = bench_table_new(16, hdr);
	char b[64];

	for (int i = 0; i < n; i++) {
		struct row *w = &rows[i];
		bench_table_cell(t, "%s", w->strategy);
		bench_table_cell(t, "%d", w->threads);
		fmt_rate(b, sizeof(b), rate(w->ops, w->seconds));
		bench_table_cell(t, "%s", b);
		fmt_rate(b, sizeof(b), rate(w->faults, w->seconds));
		bench_table_cell(t, "%s", b);
		fmt_ns(b, sizeof(b), hist_pct(&w->fault, 0.5));
		bench_table_cell(t, "%s", b);
		fmt_ns(b, sizeof(b), hist_pct(&w->fault, 0.99));
		bench_table_cell(t, "%s", b);
		fmt_ns(b, sizeof(b), hist_pct(&w->madv, 0.5));
		bench_table_cell(t, "%s", b);
		fmt_ns(b, sizeof(b), hist_pct(&w->madv, 0.99));
		bench_table_cell(t, "%s", b);
		bench_table_cell(t, "%llu kB", (unsigned long long)w->vmpte_peak_kb);
		bench_table_cell(t, "%llu kB", (unsigned long long)w->vmpte_end_kb);
		if (w->sim) {
			bench_table_cell(t, "%llu", (unsigned long long)w->tables_freed);
			fmt_ns(b, sizeof(b), (double)w->mmap_wait_ns);
			bench_table_cell(t, "%s", b);
			bench_table_cell(t, "%llu", (unsigned long long)w->ptl_contended);
			bench_table_cell(t, "%.2f", fld_atomics(w));
			bench_table_cell(t, "%.1f MiB", (double)w->sim_memory_bytes / 1048576.0);
			if (w->checked)
				bench_table_cell(t, "%llu", (unsigned long long)w->uaf);
			else
				bench_table_cell(t, "-");
		} else {
			for (int k = 0; k < 6; k++)
				bench_table_cell(t, "-");
		}
		bench_table_row_end(t);
	}
	char reg[32];
	bench_format_size(o->region, reg, sizeof(reg));
	fprintf(f,
	        "madvise_churn: workload %s, region %s, %s, walkers %d, gup %d, reclaimers %d, "
	        "seed %llu, ",
	        wl_names[o->wl], reg, o->advice == PTSIM_MADV_FREE ? "MADV_FREE" : "MADV_DONTNEED",
	        o->walkers, o->gup, o->reclaimers, (unsigned long long)o->seed);
	if (o->iterations)
		fprintf(f, "%llu iterations per thread\n\n", (unsigned long long)o->iterations);
	else
		fprintf(f, "%.2f s per row\n\n", o->seconds);
	bench_table_print(t, f);
	bench_table_free(t);
	fputc('\n', f);
	for (int i = 0; i < n; i++) {
		draw_hist(f, "fault_ns", &rows[i], &rows[i].fault);
		draw_hist(f, "madvise_ns", &rows[i], &rows[i].madv);
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
        "Options:\n"
        "  --strategies LIST  comma-separated strategy names, or \"all\". Default: every\n"
        "                     strategy this build accepts except \"unsafe\" (name it\n"
        "                     to run it).\n"
        "  --plugin FILE.so   loads a strategy plugin (docs/strategy-api.md) first: its\n"
        "                     strategies join \"all\" and may be named. Repeatable.\n"
        "  --threads N[,N...] worker thread counts, one row each. Default 1,2.\n"
        "  --seconds S        run time of each row. Default: 10 s shared between the\n"
        "                     rows (at least 0.5 s each).\n"
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
        "  --format FMT       table (default): aligned text and log2 latency\n"
        "                     histograms; csv: one table of rows, then a histogram\n"
        "                     section, then the VmPTE time series section (unless\n"
        "                     --timeseries); json: {\"config\", \"results\": [...]}\n"
        "                     with histograms and the time series in each row.\n"
        "  --timeseries FILE  also write the VmPTE time series as CSV to FILE.\n"
        "  --host             add a \"kernel\" row per thread count: the same workload on\n"
        "                     real memory of this process (mmap, madvise, loads and\n"
        "                     stores), VmPTE from /proc/self/status minus its value\n"
        "                     before the mapping, faults from getrusage. No walkers,\n"
        "                     GUP or reclaimers there; not available for jemalloc.\n"
        "  --help             print this help and exit.\n"
        "\n"
        "Figures: ops/s counts library calls (each page touch, each madvise, and for\n"
        "jemalloc each mallocx/dallocx); fault latency is one ptsim_touch of a page the\n"
        "worker had not mapped (jemalloc: first write to each page of a new object);\n"
        "madvise latency is one madvise call. Progress goes to stderr for runs > 2 s.\n";

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

int main(int argc, char **argv)
{
	struct options o;
	int nstrat = 0, nrows, k = 0;

	parse_options(argc, argv, &o);
	for (int s = 0; s < BENCH_MAX_STRATEGIES; s++)
		nstrat += o.sel[s];
	nrows = (nstrat + (o.host ? 1 : 0)) * o.ntcounts;
	if (!nrows)
		bench_die(PROG, 2, "no strategy to run");
	if (!o.iterations && !o.seconds_given) {
		o.seconds = DEFAULT_TOTAL_S / nrows;
		if (o.seconds < 0.5)
			o.seconds = 0.5;
	}

	struct row *rows = calloc((size_t)nrows, sizeof(*rows));
	struct bench_progress pr;
	if (!rows)
		bench_die(PROG, 1, "out of memory");
	bench_progress_init(&pr, 2000000000ULL);
	for (int t = 0; t < o.ntcounts; t++) {
		if (o.host) {
			bench_progress_step(&pr, "row %d/%d: kernel, %d threads", k + 1, nrows,
			                    o.tcounts[t]);
			run_row(&o, false, PTSIM_STRATEGY_NONE, o.tcounts[t], &rows[k++]);
		}
		for (int s = 0; s < BENCH_MAX_STRATEGIES; s++) {
			if (!o.sel[s])
				continue;
			bench_progress_step(&pr, "row %d/%d: %s, %d threads", k + 1, nrows,
			                    ptsim_strategy_name((enum ptsim_strategy)s),
			                    o.tcounts[t]);
			run_row(&o, true, (enum ptsim_strategy)s, o.tcounts[t], &rows[k++]);
		}
	}
	bench_progress_done(&pr);

	if (o.timeseries) {
		FILE *f = fopen(o.timeseries, "w");
		if (!f)
			bench_die(PROG, 1, "%s: %s", o.timeseries, strerror(errno));
		print_series_csv(&o, rows, nrows, f);
		fclose(f);
	}
	switch (o.format) {
	case BENCH_FORMAT_JSON:
		print_json(&o, rows, nrows, stdout);
		break;
	case BENCH_FORMAT_CSV:
		print_csv(&o, rows, nrows, stdout);
		if (!o.timeseries) {
			fputs("\n# timeseries\n", stdout);
			print_series_csv(&o, rows, nrows, stdout);
		}
		break;
	default:
		print_table(&o, rows, nrows, stdout);
	}
	int bad = 0;
	for (int i = 0; i < nrows; i++) {
		bad |= rows[i].uaf != 0 && rows[i].sim && strcmp(rows[i].strategy, "unsafe") != 0;
		free(rows[i].series);
	}
	free(rows);
	if (bad)
		fprintf(stderr, PROG ": use-after-free reports under a real strategy\n");
	return bad ? 1 : 0;
}

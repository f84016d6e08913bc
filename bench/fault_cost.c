/* SPDX-License-Identifier: MIT */
/*
 * fault_cost: the cost of one simulated page fault and of one page zapped by
 * MADV_DONTNEED, next to this machine's kernel doing the same in the same
 * process, and the simulator's memory per page table and per written frame.
 *
 * Per repetition, for the kernel and then for each strategy:
 *   read fault   a fresh private anonymous region, one read per 4 KiB page
 *                (each a fault that maps the shared zero page);
 *   write fault  a fresh region, one write per page (each a fault that
 *                allocates a frame, and the tables on the way down);
 *   hit          the same writes again (present, writable entries);
 *   DONTNEED     madvise(MADV_DONTNEED) of the whole written region.
 * The simulator's side uses ptsim_touch(), which takes the locks a fault
 * takes for every page: nothing is batched.
 *
 * Memory is measured in a fresh child process per strategy and repetition,
 * forked before this process uses the simulator, so that no memory freed by
 * an earlier run can be reused and hide the cost (see notes_text).
 *
 * Uses only the public API <ptsim/ptsim.h>.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "fault_cost"

/* Where the simulated regions live: 16 TiB, aligned to a PGD entry (512 GiB). */
#define SIM_BASE 0x100000000000ULL
/* A small region for the memory child's warm-up, in another PGD entry. */
#define SIM_WARMUP_BASE 0x080000000000ULL
#define SIM_WARMUP_LEN  PTSIM_PMD_SIZE

/* Goals (from the issue); informational, they do not change the exit status. */
#define GOAL_READ_SPEEDUP     15.0
#define GOAL_DONTNEED_SPEEDUP 10.0
#define GOAL_BYTES_PER_TABLE  4200.0
#define GOAL_BYTES_PER_FRAME  16.0

#define HOST_INDEX PTSIM_STRATEGY_COUNT /* row index of the kernel in the arrays */
#define NROWS      (PTSIM_STRATEGY_COUNT + 1)

struct options {
	uint64_t region;
	uint64_t repeat;
	enum bench_format format;
	bool sel[BENCH_MAX_STRATEGIES]; /* builtin ids only are run */
	bool host;
};

/* One repetition's timings (ns per page) and counters. */
struct time_rep {
	bool ok;
	double read_ns, write_ns, hit_ns, dontneed_ns;
	/* lock acquisitions per page, simulator only */
	double mmap_read, ptl_read, mmap_write, ptl_write, mmap_hit, ptl_hit;
	double vma_read, vma_write;   /* per-VMA locks (era 6.18 faults) */
	double tables_freed_dontneed; /* PTE tables freed by the DONTNEED */
};

/* One memory measurement, made in a child process. */
struct mem_rep {
	int err; /* 0, or a negative errno from the failing call */
	char msg[160];
	/* read-fault phase: tables only (entries map the zero page) */
	double tables_read, rss_read, jemalloc_read, slab_read;
	/* write-fault phase, on a second mm: tables and frames */
	double tables_write, frames_write, rss_write, jemalloc_write, slab_write, meta_write;
};

static volatile unsigned char sink;

static const char *row_name(int i)
{
	return i == HOST_INDEX ? "kernel" : ptsim_strategy_name((enum ptsim_strategy)i);
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* Tables a fresh mm needs for the region at SIM_BASE: PTE + PMD + PUD + PGD. */
static uint64_t expected_tables(uint64_t len)
{
	return div_up(len, PTSIM_PMD_SIZE) + div_up(len, PTSIM_PUD_SIZE) +
	       div_up(len, PTSIM_PGDIR_SIZE) + 1;
}

static const char usage_text[] =
        "Usage: " PROG " [OPTION]...\n"
        "Measures the simulated read fault, write fault, hit and MADV_DONTNEED per\n"
        "4 KiB page for each strategy next to this machine's kernel doing the same in\n"
        "the same process, and the simulator's memory per page table and per written\n"
        "frame.\n"
        "\n"
        "Options:\n"
        "  --region SIZE      bytes per region, a multiple of 4 KiB; suffixes K, M, G,\n"
        "                     T (binary). Default 1G: 262144 pages, 515 tables\n"
        "                     (512 PTE + 1 PMD + 1 PUD + the PGD).\n"
        "  --repeat N         repetitions; medians and minima are taken over them.\n"
        "                     Default 5.\n"
        "  --format FMT       table (default): aligned text;\n"
        "                     csv: strategy,metric,value,unit, one row per\n"
        "                     measurement, goals as goal:NAME rows (1 met, 0 missed);\n"
        "                     json: an object with \"config\", \"results\" and \"goals\".\n"
        "  --strategies LIST  comma-separated strategy names, or \"all\" (default:\n"
        "                     every strategy this build of libptsim accepts).\n"
        "  --no-host          skip the kernel measurements (no speed-up figures).\n"
        "  --help             print this help and exit.\n"
        "\n"
        "Goals (informational; the exit status is 0 unless a measurement failed):\n"
        "  read fault >= %.0fx faster than the kernel, DONTNEED >= %.0fx faster per\n"
        "  page, <= %.0f bytes of process memory per table, <= %.0f bytes per\n"
        "  written frame.\n"
        "Memory is measured in a forked child per strategy and repetition, before\n"
        "this process uses the simulator. Progress goes to stderr when the run takes\n"
        "longer than about 2 s.\n";

static void usage(FILE *f)
{
	fprintf(f, usage_text, GOAL_READ_SPEEDUP, GOAL_DONTNEED_SPEEDUP, GOAL_BYTES_PER_TABLE,
	        GOAL_BYTES_PER_FRAME);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	        {"region", required_argument, NULL, 'r'},
	        {"repeat", required_argument, NULL, 'n'},
	        {"format", required_argument, NULL, 'f'},
	        {"strategies", required_argument, NULL, 's'},
	        {"no-host", no_argument, NULL, 'H'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	char err[128];
	int c;

	o->region = 1ULL << 30;
	o->repeat = 5;
	o->format = BENCH_FORMAT_TABLE;
	o->host = true;
	bench_all_strategies(o->sel);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (bench_parse_size(optarg, &o->region) < 0 || o->region == 0 ||
			    o->region % PTSIM_PAGE_SIZE || o->region > PTSIM_TASK_SIZE - SIM_BASE)
				bench_die(PROG, 2,
				          "--region: '%s' is not a non-zero multiple of 4 KiB "
				          "below %llu GiB",
				          optarg,
				          (unsigned long long)((PTSIM_TASK_SIZE - SIM_BASE) >> 30));
			break;
		case 'n':
			if (bench_parse_uint(optarg, 1000000, &o->repeat) < 0)
				bench_die(PROG, 2, "--repeat: '%s' is not a positive integer",
				          optarg);
			break;
		case 'f':
			if (bench_parse_format(optarg, &o->format) < 0)
				bench_die(PROG, 2, "--format: '%s' is not table, csv or json",
				          optarg);
			break;
		case 's':
			if (bench_parse_strategies(optarg, o->sel, err, sizeof(err)) < 0)
				bench_die(PROG, 2, "--strategies: %s", err);
			break;
		case 'H':
			o->host = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bench_die(PROG, 2, "unexpected argument '%s' (see --help)", argv[optind]);
}

/* ---------------------------------------------------------------- kernel */

/* A private anonymous mapping aligned to 1 GiB (as SIM_BASE is), without THP. */
static unsigned char *host_map(uint64_t len)
{
	uint64_t align = PTSIM_PUD_SIZE;
	unsigned char *res, *p;
	uintptr_t start;

	res = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
	           0);
	if (res == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1);
	if (start > (uintptr_t)res)
		munmap(res, start - (uintptr_t)res);
	if ((uintptr_t)res + len + align > start + len)
		munmap((void *)(start + len), (uintptr_t)res + len + align - (start + len));
	p = mmap((void *)start, len, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		munmap((void *)start, len);
		return NULL;
	}
	if (madvise(p, len, MADV_NOHUGEPAGE) != 0) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

static int host_run(uint64_t len, struct time_rep *t)
{
	uint64_t pages = len / PTSIM_PAGE_SIZE, t0, pte0 = 0, pte1 = 0;
	volatile unsigned char *v;
	unsigned char *p;
	unsigned sum = 0;

	memset(t, 0, sizeof(*t));
	t->mmap_read = t->ptl_read = t->mmap_write = t->ptl_write = t->mmap_hit = t->ptl_hit = NAN;
	t->vma_read = t->vma_write = NAN;

	/* read fault: each page maps the zero page */
	p = host_map(len);
	if (!p)
		return -errno;
	v = p;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < pages; i++)
		sum += v[i * PTSIM_PAGE_SIZE];
	t->read_ns = (double)(bench_now_ns() - t0) / pages;
	sink = (unsigned char)sum;
	munmap(p, len);

	/* write fault: each page allocates a zeroed frame */
	p = host_map(len);
	if (!p)
		return -errno;
	v = p;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < pages; i++)
		v[i * PTSIM_PAGE_SIZE] = 1;
	t->write_ns = (double)(bench_now_ns() - t0) / pages;

	/* hit: present, writable entries */
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < pages; i++)
		v[i * PTSIM_PAGE_SIZE] = 2;
	t->hit_ns = (double)(bench_now_ns() - t0) / pages;

	/* DONTNEED: zap; with CONFIG_PT_RECLAIM the emptied PTE tables go too */
	bench_proc_status_bytes("VmPTE", &pte0);
	t0 = bench_now_ns();
	if (madvise(p, len, MADV_DONTNEED) != 0) {
		int e = -errno;

		munmap(p, len);
		return e;
	}
	t->dontneed_ns = (double)(bench_now_ns() - t0) / pages;
	if (bench_proc_status_bytes("VmPTE", &pte1) == 0 && pte0 >= pte1)
		t->tables_freed_dontneed = (double)(pte0 - pte1) / PTSIM_PAGE_SIZE;
	else
		t->tables_freed_dontneed = NAN;
	munmap(p, len);
	t->ok = true;
	return 0;
}

/* ------------------------------------------------------------- simulator */

static const char *sim_step;

#define SIM_CHECK(call)           \
	do {                      \
		sim_step = #call; \
		ret = (call);     \
		if (ret < 0)      \
			goto out; \
	} while (0)

static double per_page(uint64_t a, uint64_t b, uint64_t pages)
{
	return (double)(b - a) / (double)pages;
}

/* A counter that must equal `want`; a mismatch means the run did not measure what it claims. */
static int expect(const char *what, uint64_t got, uint64_t want)
{
	if (got == want)
		return 0;
	fprintf(stderr, PROG ": %s is %llu, expected %llu\n", what, (unsigned long long)got,
	        (unsigned long long)want);
	return -EPROTO;
}

/*
 * One timed ptsim_touch() of the region, the stats taken before in *a: ns
 * per page, and mmap lock and PTL acquisitions per page; *b is the stats
 * after.
 */
static int timed_touch(struct ptsim_mm *mm, uint64_t len, int access, const char *step,
                       const struct ptsim_mm_stats *a, struct ptsim_mm_stats *b, double *ns,
                       double *mmap_lock, double *ptl, double *vma_lock)
{
	uint64_t pages = len / PTSIM_PAGE_SIZE, t0, t1;
	int ret;

	sim_step = step;
	t0 = bench_now_ns();
	ret = ptsim_touch(mm, SIM_BASE, len, access);
	t1 = bench_now_ns();
	if (ret < 0)
		return ret;
	*ns = (double)(t1 - t0) / pages;
	sim_step = "ptsim_mm_get_stats(mm, &b)";
	if ((ret = ptsim_mm_get_stats(mm, b)) < 0)
		return ret;
	*mmap_lock = per_page(a->mmap_lock.acquisitions, b->mmap_lock.acquisitions, pages);
	*ptl = per_page(a->ptl.acquisitions, b->ptl.acquisitions, pages);
	if (vma_lock)
		*vma_lock = per_page(a->vma_lock.acquisitions, b->vma_lock.acquisitions, pages);
	return 0;
}

static int sim_run(enum ptsim_strategy s, uint64_t len, struct time_rep *t)
{
	uint64_t pages = len / PTSIM_PAGE_SIZE, t0, t1;
	struct ptsim_mm_stats a, b;
	struct ptsim_mm *mm = NULL;
	int ret;

	memset(t, 0, sizeof(*t));
	SIM_CHECK(ptsim_mm_create(s, &mm));

	/* read fault */
	SIM_CHECK(ptsim_mmap(mm, SIM_BASE, len, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
	                     NULL));
	SIM_CHECK(ptsim_mm_get_stats(mm, &a));
	if ((ret = timed_touch(mm, len, PTSIM_ACCESS_READ, "ptsim_touch(READ)", &a, &b, &t->read_ns,
	                       &t->mmap_read, &t->ptl_read, &t->vma_read)) < 0)
		goto out;
	sim_step = "counters after ptsim_touch(READ)";
	if ((ret = expect("faults_read delta", b.faults_read - a.faults_read, pages)) < 0 ||
	    (ret = expect("zero_page_ptes", b.zero_page_ptes, pages)) < 0)
		goto out;
	SIM_CHECK(ptsim_munmap(mm, SIM_BASE, len));

	/* write fault, in a fresh region */
	SIM_CHECK(ptsim_mmap(mm, SIM_BASE, len, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
	                     NULL));
	SIM_CHECK(ptsim_mm_get_stats(mm, &a));
	if ((ret = timed_touch(mm, len, PTSIM_ACCESS_WRITE, "ptsim_touch(WRITE)", &a, &b,
	                       &t->write_ns, &t->mmap_write, &t->ptl_write, &t->vma_write)) < 0)
		goto out;
	sim_step = "counters after ptsim_touch(WRITE)";
	if ((ret = expect("faults_write delta", b.faults_write - a.faults_write, pages)) < 0 ||
	    (ret = expect("rss_anon_pages", b.rss_anon_pages, pages)) < 0)
		goto out;

	/* hit */
	a = b;
	if ((ret = timed_touch(mm, len, PTSIM_ACCESS_WRITE, "ptsim_touch(WRITE) on present entries",
	                       &a, &b, &t->hit_ns, &t->mmap_hit, &t->ptl_hit, NULL)) < 0)
		goto out;
	sim_step = "counters after the hits";
	if ((ret = expect("access_hits delta", b.access_hits - a.access_hits, pages)) < 0 ||
	    (ret = expect("faults delta on hits", b.faults - a.faults, 0)) < 0)
		goto out;

	/* DONTNEED */
	a = b;
	sim_step = "ptsim_madvise(DONTNEED)";
	t0 = bench_now_ns();
	ret = ptsim_madvise(mm, SIM_BASE, len, PTSIM_MADV_DONTNEED);
	t1 = bench_now_ns();
	if (ret < 0)
		goto out;
	t->dontneed_ns = (double)(t1 - t0) / pages;
	SIM_CHECK(ptsim_mm_get_stats(mm, &b));
	t->tables_freed_dontneed = (double)(b.pte_tables_freed_zap - a.pte_tables_freed_zap);
	sim_step = "counters after DONTNEED";
	if ((ret = expect("rss_anon_pages after DONTNEED", b.rss_anon_pages, 0)) < 0)
		goto out;
	SIM_CHECK(ptsim_munmap(mm, SIM_BASE, len));
	t->ok = true;
	ret = 0;
out:
	ptsim_mm_destroy(mm);
	return ret;
}

/* ---------------------------------------------------------------- memory */

struct mem_sample {
	struct ptsim_global_stats g;
	uint64_t rss;
};

static int mem_sample(struct mem_sample *m)
{
	int ret = ptsim_get_global_stats(&m->g);

	if (ret < 0)
		return ret;
	return bench_proc_anon_bytes(&m->rss);
}

static double delta(uint64_t a, uint64_t b)
{
	return (double)b - (double)a;
}

/* Runs in the child: read-fault one mm, write-fault a second, sampling around each. */
static int mem_child(enum ptsim_strategy s, uint64_t len, struct mem_rep *r)
{
	struct ptsim_mm *warm = NULL, *mr = NULL, *mw = NULL;
	struct mem_sample m0, m1, m2;
	int ret;

	/* Warm-up, kept alive: one-time set-up (arenas, RCU registration, first slab) is not
	 * per-table cost. */
	SIM_CHECK(ptsim_mm_create(s, &warm));
	SIM_CHECK(ptsim_mmap(warm, SIM_WARMUP_BASE, SIM_WARMUP_LEN,
	                     PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED, NULL));
	SIM_CHECK(ptsim_touch(warm, SIM_WARMUP_BASE, SIM_WARMUP_LEN, PTSIM_ACCESS_WRITE));
	SIM_CHECK(mem_sample(&m0)); /* once for the one-time cost of sampling itself */
	SIM_CHECK(mem_sample(&m0));

	SIM_CHECK(ptsim_mm_create(s, &mr));
	SIM_CHECK(ptsim_mmap(mr, SIM_BASE, len, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
	                     NULL));
	SIM_CHECK(ptsim_touch(mr, SIM_BASE, len, PTSIM_ACCESS_READ));
	SIM_CHECK(mem_sample(&m1));

	SIM_CHECK(ptsim_mm_create(s, &mw));
	SIM_CHECK(ptsim_mmap(mw, SIM_BASE, len, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
	                     NULL));
	SIM_CHECK(ptsim_touch(mw, SIM_BASE, len, PTSIM_ACCESS_WRITE));
	SIM_CHECK(mem_sample(&m2));

	r->tables_read = delta(m0.g.tables_in_use, m1.g.tables_in_use);
	r->rss_read = delta(m0.rss, m1.rss);
	r->jemalloc_read = delta(m0.g.sim_resident_bytes, m1.g.sim_resident_bytes);
	r->slab_read = delta(m0.g.table_slab_bytes, m1.g.table_slab_bytes);
	r->tables_write = delta(m1.g.tables_in_use, m2.g.tables_in_use);
	r->frames_write = delta(m1.g.frames_in_use, m2.g.frames_in_use);
	r->rss_write = delta(m1.rss, m2.rss);
	r->jemalloc_write = delta(m1.g.sim_resident_bytes, m2.g.sim_resident_bytes);
	r->slab_write = delta(m1.g.table_slab_bytes, m2.g.table_slab_bytes);
	r->meta_write = delta(m1.g.frame_meta_bytes, m2.g.frame_meta_bytes);
	ret = 0;
out:
	if (ret < 0)
		snprintf(r->msg, sizeof(r->msg), "%s: %s", sim_step, strerror(-ret));
	/* The child exits next: no teardown, it would only cost time. */
	return ret;
}

/* Forks a child that measures; must run before this process uses the simulator. */
static int mem_measure(enum ptsim_strategy s, uint64_t len, struct mem_rep *r)
{
	int fd[2], status;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fd) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(fd[0]);
		close(fd[1]);
		return e;
	}
	if (pid == 0) {
		struct mem_rep c;

		close(fd[0]);
		memset(&c, 0, sizeof(c));
		c.err = mem_child(s, len, &c);
		n = write(fd[1], &c, sizeof(c));
		_exit(n == (ssize_t)sizeof(c) ? 0 : 1);
	}
	close(fd[1]);
	do
		n = read(fd[0], r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*r)) {
		memset(r, 0, sizeof(*r));
		r->err = -EPIPE;
		snprintf(r->msg, sizeof(r->msg), "measuring child died (wait status 0x%x)", status);
	}
	return r->err;
}

/* -------------------------------------------------------------- results */

struct summary {
	double med, min, max;
};

static struct summary summarize(const double *v, size_t n)
{
	return (struct summary){bench_median(v, n), bench_min(v, n), bench_max(v, n)};
}

/* Everything the printers need, per row (strategies, then the kernel at HOST_INDEX). */
struct results {
	bool present[NROWS];
	struct summary t_read[NROWS], t_write[NROWS], t_hit[NROWS], t_dontneed[NROWS];
	double mmap_read[NROWS], ptl_read[NROWS], mmap_write[NROWS], ptl_write[NROWS];
	double mmap_hit[NROWS], ptl_hit[NROWS], freed[NROWS], vma_read[NROWS], vma_write[NROWS];
	double sp_read[NROWS], sp_write[NROWS], sp_dontneed[NROWS];
	bool ok_read[NROWS], ok_dontneed[NROWS], ok_table[NROWS], ok_frame[NROWS];
	/* memory (medians over repetitions) */
	double tables[NROWS], frames[NROWS];
	double b_table_rss[NROWS], b_table_jemalloc[NROWS], b_table_slab[NROWS];
	double b_table_rss_write[NROWS], b_frame_meta[NROWS], b_frame_rss[NROWS];
};

static struct summary summarize_field(const struct time_rep *reps, size_t n, size_t off)
{
	double *v = calloc(n, sizeof(double));
	struct summary s;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (reps[i].ok)
			v[k++] = *(const double *)((const char *)&reps[i] + off);
	s = summarize(v, k);
	free(v);
	return s;
}

static double median_mem(const struct mem_rep *reps, size_t n, size_t off)
{
	double *v = calloc(n, sizeof(double)), m;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (reps[i].err == 0)
			v[k++] = *(const double *)((const char *)&reps[i] + off);
	m = bench_median(v, k);
	free(v);
	return m;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

/* Bytes per table or frame; NAN when the library reported no growth (a figure it lacks). */
static double per_unit(double bytes, double units)
{
	return bytes != 0 ? ratio(bytes, units) : NAN;
}

static void compute(const struct options *o, struct time_rep *const *tr, struct mem_rep *const *mr,
                    struct results *R, struct bench_report *rep)
{
	size_t n = o->repeat;

	for (int i = 0; i < NROWS; i++) {
		const struct time_rep *t = tr[i];

		if (!R->present[i])
			continue;
		R->t_read[i] = summarize_field(t, n, offsetof(struct time_rep, read_ns));
		R->t_write[i] = summarize_field(t, n, offsetof(struct time_rep, write_ns));
		R->t_hit[i] = summarize_field(t, n, offsetof(struct time_rep, hit_ns));
		R->t_dontneed[i] = summarize_field(t, n, offsetof(struct time_rep, dontneed_ns));
		R->mmap_read[i] = summarize_field(t, n, offsetof(struct time_rep, mmap_read)).med;
		R->ptl_read[i] = summarize_field(t, n, offsetof(struct time_rep, ptl_read)).med;
		R->mmap_write[i] = summarize_field(t, n, offsetof(struct time_rep, mmap_write)).med;
		R->ptl_write[i] = summarize_field(t, n, offsetof(struct time_rep, ptl_write)).med;
		R->mmap_hit[i] = summarize_field(t, n, offsetof(struct time_rep, mmap_hit)).med;
		R->ptl_hit[i] = summarize_field(t, n, offsetof(struct time_rep, ptl_hit)).med;
		R->vma_read[i] = summarize_field(t, n, offsetof(struct time_rep, vma_read)).med;
		R->vma_write[i] = summarize_field(t, n, offsetof(struct time_rep, vma_write)).med;
		R->freed[i] =
		        summarize_field(t, n, offsetof(struct time_rep, tables_freed_dontneed)).med;
	}
	for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		const struct mem_rep *m = mr[i];
		double tr_, rr, mw, fw, rw;

		if (!R->present[i])
			continue;
		R->sp_read[i] = ratio(R->t_read[HOST_INDEX].med, R->t_read[i].med);
		R->sp_write[i] = ratio(R->t_write[HOST_INDEX].med, R->t_write[i].med);
		R->sp_dontneed[i] = ratio(R->t_dontneed[HOST_INDEX].med, R->t_dontneed[i].med);

		tr_ = median_mem(m, n, offsetof(struct mem_rep, tables_read));
		rr = median_mem(m, n, offsetof(struct mem_rep, rss_read));
		R->tables[i] = median_mem(m, n, offsetof(struct mem_rep, tables_write));
		R->frames[i] = median_mem(m, n, offsetof(struct mem_rep, frames_write));
		R->b_table_rss[i] = ratio(rr, tr_);
		R->b_table_jemalloc[i] =
		        per_unit(median_mem(m, n, offsetof(struct mem_rep, jemalloc_read)), tr_);
		R->b_table_slab[i] =
		        per_unit(median_mem(m, n, offsetof(struct mem_rep, slab_read)), tr_);
		mw = median_mem(m, n, offsetof(struct mem_rep, meta_write));
		fw = R->frames[i];
		rw = median_mem(m, n, offsetof(struct mem_rep, rss_write));
		R->b_frame_meta[i] = per_unit(mw, fw);
		R->b_table_rss_write[i] = ratio(rw - mw, R->tables[i]);
		/* the write phase's RSS less what as many tables cost in the read phase */
		R->b_frame_rss[i] = ratio(rw - R->b_table_rss[i] * R->tables[i], fw);
	}

	/* the report: every figure, then the goals */
	for (int i = 0; i < NROWS; i++) {
		const char *name = row_name(i);
		struct {
			const char *metric;
			struct summary s;
		} t[] = {
		        {"read_fault", R->t_read[i]},
		        {"write_fault", R->t_write[i]},
		        {"hit", R->t_hit[i]},
		        {"dontneed", R->t_dontneed[i]},
		};

		if (!R->present[i])
			continue;
		for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
			char m[64];

			snprintf(m, sizeof(m), "%s_median", t[k].metric);
			bench_report_add(rep, name, m, t[k].s.med, "ns/page");
			snprintf(m, sizeof(m), "%s_min", t[k].metric);
			bench_report_add(rep, name, m, t[k].s.min, "ns/page");
			snprintf(m, sizeof(m), "%s_max", t[k].metric);
			bench_report_add(rep, name, m, t[k].s.max, "ns/page");
		}
		bench_report_add(rep, name, "pte_tables_freed_by_dontneed", R->freed[i], "tables");
		if (i == HOST_INDEX)
			continue;
		bench_report_add(rep, name, "mmap_lock_per_read_fault", R->mmap_read[i],
		                 "acquisitions/page");
		bench_report_add(rep, name, "ptl_per_read_fault", R->ptl_read[i],
		                 "acquisitions/page");
		bench_report_add(rep, name, "mmap_lock_per_write_fault", R->mmap_write[i],
		                 "acquisitions/page");
		bench_report_add(rep, name, "ptl_per_write_fault", R->ptl_write[i],
		                 "acquisitions/page");
		bench_report_add(rep, name, "mmap_lock_per_hit", R->mmap_hit[i],
		                 "acquisitions/page");
		bench_report_add(rep, name, "ptl_per_hit", R->ptl_hit[i], "acquisitions/page");
		bench_report_add(rep, name, "vma_lock_per_read_fault", R->vma_read[i],
		                 "acquisitions/page");
		bench_report_add(rep, name, "vma_lock_per_write_fault", R->vma_write[i],
		                 "acquisitions/page");
		if (R->present[HOST_INDEX]) {
			bench_report_add(rep, name, "read_fault_speedup", R->sp_read[i], "x");
			bench_report_add(rep, name, "write_fault_speedup", R->sp_write[i], "x");
			bench_report_add(rep, name, "dontneed_speedup", R->sp_dontneed[i], "x");
		}
		bench_report_add(rep, name, "tables_created", R->tables[i], "tables");
		bench_report_add(rep, name, "frames_created", R->frames[i], "frames");
		bench_report_add(rep, name, "bytes_per_table_rss", R->b_table_rss[i], "B/table");
		bench_report_add(rep, name, "bytes_per_table_jemalloc_resident",
		                 R->b_table_jemalloc[i], "B/table");
		bench_report_add(rep, name, "bytes_per_table_slab", R->b_table_slab[i], "B/table");
		bench_report_add(rep, name, "bytes_per_table_rss_write_phase",
		                 R->b_table_rss_write[i], "B/table");
		bench_report_add(rep, name, "bytes_per_frame_meta", R->b_frame_meta[i], "B/frame");
		bench_report_add(rep, name, "bytes_per_frame_rss", R->b_frame_rss[i], "B/frame");
	}
	for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		const char *name = row_name(i);
		double frame;

		if (!R->present[i])
			continue;
		if (R->present[HOST_INDEX]) {
			R->ok_read[i] =
			        bench_report_goal(rep, name, "read_fault_speedup", R->sp_read[i],
			                          BENCH_GOAL_GE, GOAL_READ_SPEEDUP, "x");
			R->ok_dontneed[i] =
			        bench_report_goal(rep, name, "dontneed_speedup", R->sp_dontneed[i],
			                          BENCH_GOAL_GE, GOAL_DONTNEED_SPEEDUP, "x");
		}
		R->ok_table[i] = bench_report_goal(rep, name, "bytes_per_table", R->b_table_rss[i],
		                                   BENCH_GOAL_LE, GOAL_BYTES_PER_TABLE, "B/table");
		/* both views of a frame's cost must meet the goal */
		frame = fmax(R->b_frame_meta[i], R->b_frame_rss[i]); /* NAN only if both are */
		R->ok_frame[i] = bench_report_goal(rep, name, "bytes_per_frame", frame,
		                                   BENCH_GOAL_LE, GOAL_BYTES_PER_FRAME, "B/frame");
	}
}

static void cell_time(struct bench_table *t, struct summary s)
{
	if (isnan(s.med))
		bench_table_cell(t, "-");
	else if (s.med < 10)
		bench_table_cell(t, "%.2f (%.2f)", s.med, s.min);
	else
		bench_table_cell(t, "%.1f (%.1f)", s.med, s.min);
}

static void cell_num(struct bench_table *t, const char *fmt, double v)
{
	if (isnan(v))
		bench_table_cell(t, "-");
	else
		bench_table_cell(t, fmt, v);
}

static void cell_goal(struct bench_table *t, double v, bool ok)
{
	if (isnan(v))
		bench_table_cell(t, "-");
	else
		bench_table_cell(t, "%.1fx %s", v, ok ? "PASS" : "MISS");
}

static const char notes_text[] =
        "\nHow it is measured:\n"
        "- kernel: mmap(MAP_PRIVATE|MAP_ANONYMOUS) aligned to 1 GiB + MADV_NOHUGEPAGE;\n"
        "  one volatile byte read (or written) per page; madvise(MADV_DONTNEED);\n"
        "  tables freed = VmPTE drop / 4 KiB.\n"
        "- simulator: ptsim_touch() over the region at 0x%llx (one fault per page,\n"
        "  locks taken per page), ptsim_madvise(PTSIM_MADV_DONTNEED); a fresh mm per\n"
        "  repetition and strategy.\n"
        "- memory: a child process per strategy and repetition, forked before this\n"
        "  process uses the simulator. After a warm-up mm (kept), it read-faults the\n"
        "  region in one mm (tables only: the entries map the zero page), then\n"
        "  write-faults it in a second mm. RSS is the resident anonymous memory\n"
        "  (\"Anonymous\" of /proc/self/smaps_rollup, exact; shared-library code paged\n"
        "  in on first use is left out).\n"
        "  B/table RSS = RSS growth of the read phase / tables created;\n"
        "  jemalloc = sim_resident_bytes growth / tables; slab = table_slab_bytes\n"
        "  growth / tables; RSS (write) = (RSS growth of the write phase -\n"
        "  frame_meta_bytes growth) / tables. B/frame meta = frame_meta_bytes growth /\n"
        "  frames created; B/frame RSS = (RSS growth of the write phase - B/table RSS x\n"
        "  tables) / frames. '-': the library reported no growth of that figure.\n"
        "  The table goal is judged on B/table RSS, the frame goal on the larger of\n"
        "  B/frame meta and B/frame RSS.\n";

static const char *goal_word(double v, bool ok)
{
	return isnan(v) ? "-" : ok ? "PASS" : "MISS";
}

static void print_table(const struct options *o, const struct results *R, FILE *f)
{
	static const char *const th[] = {
	        "strategy", "read fault",    "write fault",    "hit",
	        "DONTNEED", "read speed-up", "write speed-up", "DONTNEED speed-up"};
	static const char *const mh[] = {"strategy",
	                                 "tables",
	                                 "frames",
	                                 "B/table RSS",
	                                 "B/table jemalloc",
	                                 "B/table slab",
	                                 "B/table RSS (write)",
	                                 "B/frame meta",
	                                 "B/frame RSS",
	                                 "table goal",
	                                 "frame goal"};
	static const char *const lh[] = {"strategy",       "vma_lock read",
	                                 "mmap_lock read", "PTL read",
	                                 "vma_lock write", "mmap_lock write",
	                                 "PTL write",      "mmap_lock hit",
	                                 "PTL hit",        "PTE tables freed by DONTNEED"};
	uint64_t pages = o->region / PTSIM_PAGE_SIZE;
	struct bench_table *t;
	char size[32];

	bench_format_size(o->region, size, sizeof(size));
	fprintf(f,
	        PROG ": %s region (%llu pages, %llu tables), %llu repetition%s, kernel %s %s\n\n",
	        size, (unsigned long long)pages, (unsigned long long)expected_tables(o->region),
	        (unsigned long long)o->repeat, o->repeat == 1 ? "" : "s", bench_kernel_release(),
	        o->host ? "in the same process" : "not measured (--no-host)");

	fprintf(f,
	        "Time per 4 KiB page in ns, median (min) over repetitions; "
	        "speed-up = kernel median / simulator median\n"
	        "(goals: read fault >= %.0fx, DONTNEED >= %.0fx).\n",
	        GOAL_READ_SPEEDUP, GOAL_DONTNEED_SPEEDUP);
	t = bench_table_new(8, th);
	for (int k = 0; k < NROWS; k++) {
		int i = k == 0 ? HOST_INDEX : k - 1; /* the kernel first */

		if (!R->present[i])
			continue;
		bench_table_cell(t, "%s", row_name(i));
		cell_time(t, R->t_read[i]);
		cell_time(t, R->t_write[i]);
		cell_time(t, R->t_hit[i]);
		cell_time(t, R->t_dontneed[i]);
		if (i == HOST_INDEX || !R->present[HOST_INDEX]) {
			bench_table_cell(t, "-");
			bench_table_cell(t, "-");
			bench_table_cell(t, "-");
		} else {
			cell_goal(t, R->sp_read[i], R->ok_read[i]);
			cell_num(t, "%.1fx", R->sp_write[i]);
			cell_goal(t, R->sp_dontneed[i], R->ok_dontneed[i]);
		}
		bench_table_row_end(t);
	}
	bench_table_print(t, f);
	bench_table_free(t);

	fprintf(f,
	        "\nSimulator memory, median over repetitions (goals: <= %.0f B per table, "
	        "<= %.0f B per written frame):\n",
	        GOAL_BYTES_PER_TABLE, GOAL_BYTES_PER_FRAME);
	t = bench_table_new(11, mh);
	for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		if (!R->present[i])
			continue;
		bench_table_cell(t, "%s", row_name(i));
		cell_num(t, "%.0f", R->tables[i]);
		cell_num(t, "%.0f", R->frames[i]);
		cell_num(t, "%.0f", R->b_table_rss[i]);
		cell_num(t, "%.0f", R->b_table_jemalloc[i]);
		cell_num(t, "%.0f", R->b_table_slab[i]);
		cell_num(t, "%.0f", R->b_table_rss_write[i]);
		cell_num(t, "%.2f", R->b_frame_meta[i]);
		cell_num(t, "%.2f", R->b_frame_rss[i]);
		bench_table_cell(t, "%s", goal_word(R->b_table_rss[i], R->ok_table[i]));
		bench_table_cell(
		        t, "%s",
		        goal_word(fmax(R->b_frame_meta[i], R->b_frame_rss[i]), R->ok_frame[i]));
		bench_table_row_end(t);
	}
	bench_table_print(t, f);
	bench_table_free(t);

	fprintf(f, "\nLock acquisitions per page during each touch (median), and PTE tables "
	           "freed by the DONTNEED:\n");
	t = bench_table_new(10, lh);
	for (int k = 0; k < NROWS; k++) {
		int i = k == 0 ? HOST_INDEX : k - 1;

		if (!R->present[i])
			continue;
		bench_table_cell(t, "%s", row_name(i));
		cell_num(t, "%.2f", R->vma_read[i]);
		cell_num(t, "%.2f", R->mmap_read[i]);
		cell_num(t, "%.2f", R->ptl_read[i]);
		cell_num(t, "%.2f", R->vma_write[i]);
		cell_num(t, "%.2f", R->mmap_write[i]);
		cell_num(t, "%.2f", R->ptl_write[i]);
		cell_num(t, "%.2f", R->mmap_hit[i]);
		cell_num(t, "%.2f", R->ptl_hit[i]);
		cell_num(t, "%.0f", R->freed[i]);
		bench_table_row_end(t);
	}
	bench_table_print(t, f);
	bench_table_free(t);

	fprintf(f, notes_text, (unsigned long long)SIM_BASE);
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct time_rep *tr[NROWS] = {0};
	struct mem_rep *mr[PTSIM_STRATEGY_COUNT] = {0};
	struct bench_progress prog;
	struct bench_report *rep;
	struct results *R;
	struct options o;
	int nsel = 0, failed = 0;
	char size[32];

	parse_options(argc, argv, &o);
	R = calloc(1, sizeof(*R));
	for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		R->present[i] = o.sel[i];
		nsel += o.sel[i];
	}
	R->present[HOST_INDEX] = o.host;
	if (nsel == 0)
		bench_die(PROG, 1, "no strategy is available in this build of libptsim");
	for (int i = 0; i < NROWS; i++) {
		tr[i] = calloc(o.repeat, sizeof(**tr));
		if (i < PTSIM_STRATEGY_COUNT)
			mr[i] = calloc(o.repeat, sizeof(**mr));
	}
	bench_progress_init(&prog, 2000000000ULL);

	/* Memory first, in children: this process has not used the simulator yet. */
	for (uint64_t r = 0; r < o.repeat; r++) {
		for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
			if (!o.sel[i])
				continue;
			bench_progress_step(&prog, "memory: %s, repetition %llu/%llu", row_name(i),
			                    (unsigned long long)r + 1,
			                    (unsigned long long)o.repeat);
			if (mem_measure((enum ptsim_strategy)i, o.region, &mr[i][r]) < 0) {
				fprintf(stderr, PROG ": memory, %s: %s\n", row_name(i),
				        mr[i][r].msg);
				failed = 1;
			}
		}
	}

	/* Timings, interleaved so that drift hits every row alike. */
	for (uint64_t r = 0; r < o.repeat; r++) {
		if (o.host) {
			int ret;

			bench_progress_step(&prog, "time: kernel, repetition %llu/%llu",
			                    (unsigned long long)r + 1,
			                    (unsigned long long)o.repeat);
			ret = host_run(o.region, &tr[HOST_INDEX][r]);
			if (ret < 0) {
				fprintf(stderr, PROG ": kernel: %s\n", strerror(-ret));
				failed = 1;
			}
		}
		for (int i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
			int ret;

			if (!o.sel[i])
				continue;
			bench_progress_step(&prog, "time: %s, repetition %llu/%llu", row_name(i),
			                    (unsigned long long)r + 1,
			                    (unsigned long long)o.repeat);
			ret = sim_run((enum ptsim_strategy)i, o.region, &tr[i][r]);
			if (ret < 0) {
				fprintf(stderr, PROG ": %s: %s: %s\n", row_name(i), sim_step,
				        strerror(-ret));
				failed = 1;
			}
		}
	}
	bench_progress_done(&prog);

	rep = bench_report_new(PROG);
	bench_format_size(o.region, size, sizeof(size));
	bench_report_config_num(rep, "region_bytes", (double)o.region);
	bench_report_config_num(rep, "pages", (double)(o.region / PTSIM_PAGE_SIZE));
	bench_report_config_num(rep, "expected_tables", (double)expected_tables(o.region));
	bench_report_config_num(rep, "repeat", (double)o.repeat);
	bench_report_config_str(rep, "kernel", bench_kernel_release());
	bench_report_config_str(rep, "host", o.host ? "yes" : "no");
	compute(&o, tr, mr, R, rep);

	switch (o.format) {
	case BENCH_FORMAT_TABLE:
		print_table(&o, R, stdout);
		break;
	case BENCH_FORMAT_CSV:
		bench_report_print_csv(rep, stdout);
		break;
	case BENCH_FORMAT_JSON:
		bench_report_print_json(rep, stdout);
		break;
	}
	fflush(stdout);

	bench_report_free(rep);
	for (int i = 0; i < NROWS; i++) {
		free(tr[i]);
		if (i < PTSIM_STRATEGY_COUNT)
			free(mr[i]);
	}
	free(R);
	return failed;
}

// SPDX-License-Identifier: MIT
/*
 * madvise_churn --fork: fork-heavy rows, plain fork against COW PTE tables
 * (PTSIM_OPT_COW_PTE), for every selected strategy that accepts the option:
 * mode "cow" (1: frames accounted at fork, as RFC v3-v5) and mode "defer"
 * (2: accounted when COW breaks, as On-Demand-Fork and RFC v1/v2).
 *
 *   fork      a parent with --region written (default 1 GiB) forks; the
 *             time of ptsim_fork() (median of --repeat), the child's VmPTE,
 *             the growth of PageTables (every table in use, PGDs included,
 *             as /proc/meminfo counts them) and the child's RSS.
 *   forkexec  the fork-server pattern (fuzzers, snapshotting): --forks
 *             times, fork, the child writes --writes random pages of the
 *             region, the child exits. Per child: fork, writes and exit
 *             time, PTE tables copied (COW breaks), VmPTE at its exit.
 *
 * Uses only the public API <ptsim/ptsim.h>.
 */
#include "fork_cow.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#define PROG "madvise_churn --fork"
#define BASE 0x100000000000ULL
#define PAGE PTSIM_PAGE_SIZE

struct fork_opts {
	bool sel[BENCH_MAX_STRATEGIES];
	uint64_t region, forks, writes, repeat;
	enum bench_format format;
};

struct fork_row {
	const char *strategy, *mode;
	double fork_ms;           /* fork: median; forkexec: mean per child */
	double write_ms, exit_ms; /* forkexec: mean per child */
	uint64_t child_vmpte_kb, pagetables_kb, child_rss_kb, copied;
};

static void die_errno(const char *what, int rc)
{
	bench_die(PROG, 1, "%s: %s", what, strerror(-rc));
}

static struct ptsim_mm *parent_new(enum ptsim_strategy s, int cow, uint64_t region)
{
	struct ptsim_mm *mm;
	int rc = ptsim_mm_create(s, &mm);

	if (rc)
		die_errno("ptsim_mm_create", rc);
	if (cow && (rc = ptsim_mm_set_option(mm, PTSIM_OPT_COW_PTE, (uint64_t)cow)))
		die_errno("PTSIM_OPT_COW_PTE", rc);
	if ((rc = ptsim_mmap(mm, BASE, region, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
	                     NULL)) ||
	    (rc = ptsim_touch(mm, BASE, region, PTSIM_ACCESS_WRITE)))
		die_errno("populating the parent", rc);
	return mm;
}

static uint64_t tables_in_use(void)
{
	struct ptsim_global_stats g;

	ptsim_synchronize();
	ptsim_get_global_stats(&g);
	return g.tables_in_use;
}

static void row_fork(const struct fork_opts *o, enum ptsim_strategy s, int cow, struct fork_row *r)
{
	struct ptsim_mm *mm = parent_new(s, cow, o->region), *child;
	struct ptsim_mm_stats st;
	double ms[64];
	uint64_t n = o->repeat < 64 ? o->repeat : 64;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t before = tables_in_use(), t0 = bench_now_ns();
		int rc = ptsim_fork(mm, &child);

		ms[i] = (double)(bench_now_ns() - t0) / 1e6;
		if (rc)
			die_errno("ptsim_fork", rc);
		r->pagetables_kb = (tables_in_use() - before) * 4;
		ptsim_mm_get_stats(child, &st);
		r->child_vmpte_kb = st.pgtables_bytes / 1024;
		r->child_rss_kb = st.rss_anon_pages * PAGE / 1024;
		ptsim_mm_destroy(child);
	}
	r->fork_ms = bench_median(ms, n);
	ptsim_mm_destroy(mm);
}

static void row_forkexec(const struct fork_opts *o, enum ptsim_strategy s, int cow,
                         struct fork_row *r)
{
	struct ptsim_mm *mm = parent_new(s, cow, o->region), *child;
	uint64_t pages = o->region / PAGE, seed = 42, tf = 0, tw = 0, te = 0, vmpte = 0;
	struct ptsim_mm_stats st;

	for (uint64_t i = 0; i < o->forks; i++) {
		uint64_t t0 = bench_now_ns(), t1, t2;
		int rc = ptsim_fork(mm, &child);

		if (rc)
			die_errno("ptsim_fork", rc);
		t1 = bench_now_ns();
		for (uint64_t w = 0; w < o->writes; w++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			rc = ptsim_touch(child, BASE + ((seed >> 17) % pages) * PAGE, PAGE,
			                 PTSIM_ACCESS_WRITE);
			if (rc)
				die_errno("ptsim_touch", rc);
		}
		t2 = bench_now_ns();
		ptsim_mm_get_stats(child, &st);
		vmpte += st.pgtables_bytes / 1024;
		r->copied += st.cow_pte_copied;
		ptsim_mm_destroy(child);
		te += bench_now_ns() - t2;
		tf += t1 - t0;
		tw += t2 - t1;
	}
	r->fork_ms = (double)tf / 1e6 / (double)o->forks;
	r->write_ms = (double)tw / 1e6 / (double)o->forks;
	r->exit_ms = (double)te / 1e6 / (double)o->forks;
	r->child_vmpte_kb = vmpte / o->forks;
	r->copied /= o->forks;
	ptsim_mm_destroy(mm);
}

static const char usage[] =
        "usage: madvise_churn --fork [--strategies LIST] [--region SIZE] [--repeat N]\n"
        "                            [--forks N] [--writes N] [--format table|csv]\n"
        "Plain fork against COW PTE tables (PTSIM_OPT_COW_PTE 1: cow, 2: defer)\n"
        "for each strategy\n"
        "that accepts the option (default: all of them in this build).\n"
        "  --region SIZE   memory the parent has written (default 1G)\n"
        "  --repeat N      forks timed for the fork rows, median (default 5)\n"
        "  --forks N       children in the forkexec rows (default 100)\n"
        "  --writes N      random pages each child writes (default 64)\n";

static void parse(int argc, char **argv, struct fork_opts *o)
{
	static const struct option lo[] = {{"strategies", required_argument, NULL, 's'},
	                                   {"region", required_argument, NULL, 'r'},
	                                   {"repeat", required_argument, NULL, 'n'},
	                                   {"forks", required_argument, NULL, 'f'},
	                                   {"writes", required_argument, NULL, 'w'},
	                                   {"format", required_argument, NULL, 'F'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {0}};
	char err[128];
	int c;

	memset(o, 0, sizeof(*o));
	o->region = 1ULL << 30;
	o->repeat = 5;
	o->forks = 100;
	o->writes = 64;
	bench_all_strategies(o->sel);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case 's':
			rc = bench_parse_strategies(optarg, o->sel, err, sizeof(err));
			if (rc)
				bench_die(PROG, 2, "%s", err);
			break;
		case 'r':
			rc = bench_parse_size(optarg, &o->region);
			rc = rc ? rc : (o->region < PAGE || o->region % PAGE ? -EINVAL : 0);
			break;
		case 'n':
			rc = bench_parse_uint(optarg, 64, &o->repeat);
			break;
		case 'f':
			rc = bench_parse_uint(optarg, 1000000, &o->forks);
			break;
		case 'w':
			rc = bench_parse_uint(optarg, 1000000, &o->writes);
			break;
		case 'F':
			rc = bench_parse_format(optarg, &o->format);
			rc = rc ? rc : (o->format == BENCH_FORMAT_JSON ? -EINVAL : 0);
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			exit(2);
		}
		if (rc)
			bench_die(PROG, 2, "bad option value '%s'", optarg);
	}
	if (!o->repeat || !o->forks)
		bench_die(PROG, 2, "--repeat and --forks must be at least 1");
}

static void print_row(const struct fork_opts *o, const char *wl, const struct fork_row *r)
{
	if (o->format == BENCH_FORMAT_CSV)
		printf("%s,%s,%s,%.3f,%.3f,%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
		       wl, r->strategy, r->mode, r->fork_ms, r->write_ms, r->exit_ms,
		       r->child_vmpte_kb, r->pagetables_kb, r->child_rss_kb, r->copied);
	else
		printf("%-9s %-9s %-6s %10.3f %10.3f %10.3f %12" PRIu64 " %14" PRIu64 " %12" PRIu64
		       " %7" PRIu64 "\n",
		       wl, r->strategy, r->mode, r->fork_ms, r->write_ms, r->exit_ms,
		       r->child_vmpte_kb, r->pagetables_kb, r->child_rss_kb, r->copied);
}

/* PTSIM_OPT_COW_PTE 0, 1 (accounting at fork, RFC v3-v5) and 2 (deferred
 * to the break, On-Demand-Fork and RFC v1/v2). */
static const char *const mode_name[3] = {"plain", "cow", "defer"};

int fork_bench_main(int argc, char **argv)
{
	struct fork_opts o;
	char size[32];

	parse(argc, argv, &o);
	bench_format_size(o.region, size, sizeof(size));
	if (o.format == BENCH_FORMAT_CSV)
		puts("workload,strategy,mode,fork_ms,writes_ms,exit_ms,child_vmpte_kb,"
		     "pagetables_kb,child_rss_kb,tables_copied");
	else
		printf("# %s written in the parent; fork: median of %" PRIu64
		       " forks; forkexec: %" PRIu64 " children writing %" PRIu64
		       " random pages each (means per child)\n"
		       "%-9s %-9s %-6s %10s %10s %10s %12s %14s %12s %7s\n",
		       size, o.repeat, o.forks, o.writes, "workload", "strategy", "mode", "fork_ms",
		       "writes_ms", "exit_ms", "child_VmPTE", "PageTables+kB", "child_RSS_kB",
		       "copied");
	for (int s = 0; s < BENCH_MAX_STRATEGIES; s++) {
		struct ptsim_mm *probe;
		bool accepts;

		if (!o.sel[s] || ptsim_mm_create((enum ptsim_strategy)s, &probe))
			continue;
		accepts = ptsim_mm_set_option(probe, PTSIM_OPT_COW_PTE, 1) == 0;
		ptsim_mm_destroy(probe);
		if (!accepts)
			continue;
		for (int wl = 0; wl < 2; wl++)
			for (int cow = 0; cow < 3; cow++) {
				struct fork_row r = {
				        .strategy = ptsim_strategy_name((enum ptsim_strategy)s),
				        .mode = mode_name[cow]};

				if (wl == 0)
					row_fork(&o, (enum ptsim_strategy)s, cow, &r);
				else
					row_forkexec(&o, (enum ptsim_strategy)s, cow, &r);
				print_row(&o, wl == 0 ? "fork" : "forkexec", &r);
				fflush(stdout);
			}
	}
	return 0;
}

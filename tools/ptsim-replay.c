/* SPDX-License-Identifier: MIT */
/*
 * ptsim-replay: runs a memory trace in the simulator (--strategy NAME) or
 * for real on this machine's kernel (--host) and prints the page-table
 * figures at each check, in one format, so that the two can be diffed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ptsim/ptsim.h>

#include "replay.h"

#define EXIT_USAGE 2

struct options {
	bool host;
	bool rss;
	bool probe;
	bool no_zero_page;
	bool like_host;
	bool verify;  /* --verify: checkpoint VmPTE must equal the recorded figure */
	bool reclaim; /* --reclaim: a reclaim pass before every check and checkpoint */
	const char *strategy_name;
	enum ptsim_strategy strategy;
	const char *file; /* NULL or "-": standard input */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: ptsim-replay [--strategy NAME [--no-zero-page | --like-host] | --host]\n"
	        "                    [--rss] [--verify] [--reclaim] [FILE]\n"
	        "       ptsim-replay --probe\n"
	        "\n"
	        "Replays a page-table trace (grammar: docs/traces.md) from FILE, or from\n"
	        "standard input when FILE is absent or '-', and prints one line per check:\n"
	        "  check LABEL vmpte_kb=N            VmPTE growth since the trace started\n"
	        "  fork_check child_vmpte_kb=N       the child's VmPTE minus the parent's at the "
	        "start\n"
	        "  where NAME pmd_offset=0xN         where mmap_any NAME went, within its 2 MiB\n"
	        "  checkpoint LABEL vmpte_kb=N recorded_vmpte_kb=M   a recorded checkpoint\n"
	        "  gap LOWER UPPER 0xN               bytes between two mmap_any mappings\n"
	        "('baseline' makes later checks count from there; mmap_any NAME LEN lets the\n"
	        "kernel pick the address and later ranges say NAME or NAME+OFF; a tN prefix\n"
	        "runs a line on replay thread N, one line at a time in file order; 'base 0'\n"
	        "makes OFFs absolute, as ptsim-record writes them (docs/record.md))\n"
	        "\n"
	        "  --strategy NAME  run in the simulator with that strategy (default: rcu);\n"
	        "                   every figure is taken after ptsim_mm_check() passes\n"
	        "  --host           run the operations for real in this process (Linux) and\n"
	        "                   read VmPTE and VmRSS from /proc/self/status; ranges must\n"
	        "                   lie in the 512 GiB slot at the base or in an mmap_any\n"
	        "                   mapping; fork_check takes off\n"
	        "                   what a fork alone changes in the process's own VmPTE\n"
	        "                   (measured by a trial fork before the trace starts)\n"
	        "  --rss            also print ' rss_kb=N' (VmRSS growth) on check lines; it is\n"
	        "                   off by default so that the output diffs byte for byte\n"
	        "                   against the .expected files, which leave RSS out (a real\n"
	        "                   process's RSS moves by a few hundred kB on its own)\n"
	        "  --verify         fail (exit 1) at the first checkpoint whose VmPTE differs\n"
	        "                   from the figure recorded with it (ptsim-record)\n"
	        "  --reclaim        run the strategy's reclaim pass (ptsim_reclaim) before\n"
	        "                   every check and checkpoint, as a reclaim thread would\n"
	        "  --no-zero-page   simulator: read faults map a fresh page, not the zero page\n"
	        "                   (PTSIM_OPT_NO_ZERO_PAGE), as on a host booted without it\n"
	        "  --like-host      simulator: --no-zero-page if this host maps no zero page\n"
	        "  --probe          print what this host's kernel does, found by trying:\n"
	        "                   vmpte= pt_reclaim= zero_page= thp_align= overcommit=\n"
	        "  -h, --help       this text\n"
	        "\n"
	        "Strategies: ");
	for (int s = 0; s < PTSIM_STRATEGY_COUNT; s++) {
		const char *name = ptsim_strategy_name((enum ptsim_strategy)s);

		if (name)
			fprintf(out, "%s%s", s ? ", " : "", name);
	}
	fprintf(out, "\n\nExit status: 0 success, 1 a parse error or a failed operation (the\n"
	             "message names FILE:LINE), 2 a usage error.\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ptsim-replay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ptsim-replay --help'.\n");
	return -1;
}

/* Returns 0 to go on, 1 after --help, -1 on a usage error (reported). */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	        {"strategy", required_argument, NULL, 's'},
	        {"host", no_argument, NULL, 'H'},
	        {"rss", no_argument, NULL, 'r'},
	        {"probe", no_argument, NULL, 'P'},
	        {"no-zero-page", no_argument, NULL, 'Z'},
	        {"like-host", no_argument, NULL, 'L'},
	        {"verify", no_argument, NULL, 'V'},
	        {"reclaim", no_argument, NULL, 'R'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->strategy_name = optarg;
			break;
		case 'H':
			o->host = true;
			break;
		case 'r':
			o->rss = true;
			break;
		case 'P':
			o->probe = true;
			break;
		case 'Z':
			o->no_zero_page = true;
			break;
		case 'L':
			o->like_host = true;
			break;
		case 'V':
			o->verify = true;
			break;
		case 'R':
			o->reclaim = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (o->host && o->strategy_name)
		return usage_error("--host and --strategy exclude each other");
	if (o->host && (o->no_zero_page || o->like_host))
		return usage_error("--no-zero-page and --like-host are simulator options");
	if (o->no_zero_page && o->like_host)
		return usage_error("--no-zero-page and --like-host exclude each other");
	if (o->probe && (o->host || o->strategy_name || o->rss || o->no_zero_page || o->like_host ||
	                 o->verify || o->reclaim || optind < argc))
		return usage_error("--probe takes no other option or file");
	if (argc - optind > 1)
		return usage_error("one trace file at most (extra: '%s')", argv[optind + 1]);
	o->file = optind < argc ? argv[optind] : NULL;
	if (!o->strategy_name)
		o->strategy_name = "rcu";
	if (!o->host && ptsim_strategy_parse(o->strategy_name, &o->strategy))
		return usage_error("unknown strategy '%s' (see --help)", o->strategy_name);
	return 0;
}

static int load_trace(const struct options *o, struct replay_trace *trace)
{
	bool use_stdin = !o->file || strcmp(o->file, "-") == 0;
	const char *name = use_stdin ? "<stdin>" : o->file;
	FILE *in = use_stdin ? stdin : fopen(o->file, "r");
	int ret;

	if (!in) {
		fprintf(stderr, "ptsim-replay: %s: %s\n", o->file, strerror(errno));
		return -1;
	}
	ret = replay_parse(in, name, trace);
	if (!use_stdin)
		fclose(in);
	return ret;
}

/* "NAME:LINE: OP failed: errno text (detail)" */
static void op_failed(const struct replay_trace *t, const struct replay_op *op,
                      const struct replay_env *env, int err)
{
	fflush(stdout); /* keep the checks before the failure when both go to one log */
	fprintf(stderr, "ptsim-replay: %s:%lu: %s failed: %s", t->name, op->line,
	        replay_kind_name(op->kind), strerror(-err));
	if (env->detail[0])
		fprintf(stderr, " (%s)", env->detail);
	fprintf(stderr, "\n");
}

/* Where each mmap_any NAME went, and its length in whole pages. */
struct replay_names {
	uint64_t addr[REPLAY_MAX_NAMES];
	uint64_t len[REPLAY_MAX_NAMES];
};

/* One replay's state, shared by the threads that run it (one at a time). */
struct replay_run {
	struct replay_env *env;
	const struct replay_trace *t;
	const struct options *o;
	struct replay_names names;
	struct replay_usage base; /* the figures at the start, or at the last 'baseline' */
};

#define REPLAY_PMD_SIZE (2ULL << 20)

/* --reclaim: a reclaim pass first, as if a reclaim thread had just run. */
static int maybe_reclaim(struct replay_run *r)
{
	int64_t freed;

	if (!r->o->reclaim || !r->env->backend->reclaim)
		return 0;
	return r->env->backend->reclaim(r->env, &freed);
}

static int print_check(struct replay_run *r, const struct replay_op *op)
{
	struct replay_usage now;
	int err = maybe_reclaim(r);

	if (!err)
		err = r->env->backend->usage(r->env, &now);
	if (err)
		return err;
	printf("check %s vmpte_kb=%lld", op->label, (long long)(now.vmpte_kb - r->base.vmpte_kb));
	if (r->o->rss)
		printf(" rss_kb=%lld", (long long)(now.rss_kb - r->base.rss_kb));
	printf("\n");
	return 0;
}

/*
 * A recorded checkpoint: the replay's figures beside the real process's.
 * With --verify a VmPTE that differs stops the replay (-EDOM).
 */
static int print_checkpoint(struct replay_run *r, const struct replay_op *op)
{
	struct replay_usage now;
	int64_t vmpte, rss;
	int err = maybe_reclaim(r);

	if (!err)
		err = r->env->backend->usage(r->env, &now);
	if (err)
		return err;
	vmpte = now.vmpte_kb - r->base.vmpte_kb;
	rss = now.rss_kb - r->base.rss_kb;
	printf("checkpoint %s vmpte_kb=%lld recorded_vmpte_kb=%llu", op->label, (long long)vmpte,
	       (unsigned long long)op->expect_vmpte_kb);
	if (r->o->rss)
		printf(" rss_kb=%lld recorded_rss_kb=%llu", (long long)rss,
		       (unsigned long long)op->expect_rss_kb);
	printf("\n");
	if (r->o->verify && (uint64_t)vmpte != op->expect_vmpte_kb) {
		snprintf(r->env->detail, sizeof(r->env->detail),
		         "--verify: VmPTE %lld kB in the replay, %llu kB recorded",
		         (long long)vmpte, (unsigned long long)op->expect_vmpte_kb);
		return -EDOM;
	}
	return 0;
}

static int print_fork_check(struct replay_run *r)
{
	int64_t child_kb;
	int err = r->env->backend->fork_vmpte(r->env, &child_kb);

	if (!err)
		printf("fork_check child_vmpte_kb=%lld\n",
		       (long long)(child_kb - r->base.vmpte_kb));
	return err;
}

static int run_named(struct replay_run *r, const struct replay_op *op)
{
	struct replay_names *n = &r->names;
	const struct replay_trace *t = r->t;

	switch (op->kind) {
	case REPLAY_MMAP_ANY: {
		int err = r->env->backend->mmap_any(r->env, op->len, &n->addr[op->sym]);

		n->len[op->sym] = (op->len + 4095) & ~4095ULL;
		return err;
	}
	case REPLAY_WHERE:
		printf("where %s pmd_offset=0x%llx\n", t->names[op->sym],
		       (unsigned long long)(n->addr[op->sym] & (REPLAY_PMD_SIZE - 1)));
		return 0;
	case REPLAY_GAP:
		printf("gap %s %s 0x%llx\n", t->names[op->sym], t->names[op->sym2],
		       (unsigned long long)(n->addr[op->sym2] - n->addr[op->sym] -
		                            n->len[op->sym]));
		return 0;
	case REPLAY_BASELINE:
		return r->env->backend->usage(r->env, &r->base);
	default:
		return -EINVAL;
	}
}

/* gup: GUP-fast pins what is present and lets go; it faults nothing in. */
static int run_gup(struct replay_run *r, const struct replay_op *op)
{
	int pinned;

	if (!r->env->backend->gup) {
		snprintf(r->env->detail, sizeof(r->env->detail),
		         "gup runs in the simulator only (ptsim_gup_fast)");
		return -EOPNOTSUPP;
	}
	return r->env->backend->gup(r->env, op->addr, op->len, op->arg == PTSIM_ACCESS_WRITE,
	                            &pinned);
}

static int run_op(struct replay_run *r, const struct replay_op *op_in)
{
	struct replay_env *env = r->env;
	const struct replay_backend *b = env->backend;
	struct replay_op resolved = *op_in;
	const struct replay_op *op = &resolved;
	int64_t freed;

	/* NAME+OFF operands of the range operations */
	if ((op_in->kind <= REPLAY_MPROTECT || op_in->kind == REPLAY_GUP) && op_in->sym >= 0)
		resolved.addr = r->names.addr[op_in->sym] + op_in->addr;
	switch (op->kind) {
	case REPLAY_MMAP_ANY:
	case REPLAY_WHERE:
	case REPLAY_GAP:
	case REPLAY_BASELINE:
		return run_named(r, op);
	case REPLAY_MMAP:
		return b->mmap(env, op->addr, op->len, op->arg);
	case REPLAY_MUNMAP:
		return b->munmap(env, op->addr, op->len);
	case REPLAY_TOUCH:
		return b->touch(env, op->addr, op->len, op->arg);
	case REPLAY_MADVISE:
		return b->madvise(env, op->addr, op->len, op->arg);
	case REPLAY_MPROTECT:
		return b->mprotect(env, op->addr, op->len, op->arg);
	case REPLAY_CHECK:
		return print_check(r, op);
	case REPLAY_CHECKPOINT:
		return print_checkpoint(r, op);
	case REPLAY_FORK_CHECK:
		return print_fork_check(r);
	case REPLAY_RECLAIM:
		return b->reclaim ? b->reclaim(env, &freed) : 0;
	case REPLAY_GUP:
		return run_gup(r, op);
	case REPLAY_FORK:
		if (!b->fork_child) {
			snprintf(env->detail, sizeof(env->detail),
			         "fork runs in the simulator only (use fork_check on the host)");
			return -EOPNOTSUPP;
		}
		return b->fork_child(env);
	}
	return -EINVAL;
}

/* Runs operation i, and reports it if it fails. */
static int run_one(void *ctx, size_t i)
{
	struct replay_run *r = ctx;
	int err;

	r->env->detail[0] = '\0';
	err = run_op(r, &r->t->ops[i]);
	if (err)
		op_failed(r->t, &r->t->ops[i], r->env, err);
	return err;
}

/* The starting figures, once every replay thread exists. */
static int take_baseline(void *ctx)
{
	struct replay_run *r = ctx;
	int err = r->env->backend->usage(r->env, &r->base);

	if (err)
		fprintf(stderr, "ptsim-replay: %s: reading the starting figures: %s (%s)\n",
		        r->t->name, strerror(-err), r->env->detail);
	return err;
}

static int replay(struct replay_env *env, const struct replay_trace *t, const struct options *o)
{
	static struct replay_run r; /* static: no stack page is new after the baseline */

	memset(&r, 0, sizeof(r));
	r.env = env;
	r.t = t;
	r.o = o;
	if (t->nr_threads > 1)
		return replay_run_threads(t, run_one, take_baseline, &r) ? -1 : 0;
	if (take_baseline(&r))
		return -1;
	for (size_t i = 0; i < t->nr_ops; i++)
		if (run_one(&r, i))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	/*
	 * Static so that printing never allocates: in --host mode a malloc
	 * after the baseline could grow the heap and its page tables.
	 */
	static char outbuf[1 << 16];
	struct options o = {.strategy_name = NULL};
	struct replay_trace trace;
	struct replay_env env;
	int ret;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	ret = parse_options(argc, argv, &o);
	if (ret)
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	if (o.probe)
		return host_probe_print(stdout) || fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
	if (o.like_host)
		o.no_zero_page = host_probe_zero_page() == 0;
	if (load_trace(&o, &trace))
		return EXIT_FAILURE;
	if (o.host ? replay_host_init(&env) : replay_sim_init(&env, o.strategy, o.no_zero_page)) {
		replay_trace_free(&trace);
		return EXIT_FAILURE;
	}
	ret = replay(&env, &trace, &o);
	env.backend->destroy(&env);
	replay_trace_free(&trace);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ptsim-replay: writing the output: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

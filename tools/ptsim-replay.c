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
	const char *strategy_name;
	enum ptsim_strategy strategy;
	const char *file; /* NULL or "-": standard input */
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: ptsim-replay [--strategy NAME [--no-zero-page | --like-host] | --host]\n"
	        "                    [--rss] [FILE]\n"
	        "       ptsim-replay --probe\n"
	        "\n"
	        "Replays a page-table trace (grammar: docs/traces.md) from FILE, or from\n"
	        "standard input when FILE is absent or '-', and prints one line per check:\n"
	        "  check LABEL vmpte_kb=N            VmPTE growth since the trace started\n"
	        "  fork_check child_vmpte_kb=N       the child's VmPTE minus the parent's at the "
	        "start\n"
	        "  where NAME pmd_offset=0xN         where mmap_any NAME went, within its 2 MiB\n"
	        "  gap LOWER UPPER 0xN               bytes between two mmap_any mappings\n"
	        "('baseline' makes later checks count from there; mmap_any NAME LEN lets the\n"
	        "kernel pick the address and later ranges say NAME or NAME+OFF)\n"
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
	                 optind < argc))
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

static int print_check(struct replay_env *env, const struct replay_op *op,
                       const struct replay_usage *base, bool rss)
{
	struct replay_usage now;
	int err = env->backend->usage(env, &now);

	if (err)
		return err;
	printf("check %s vmpte_kb=%lld", op->label, (long long)(now.vmpte_kb - base->vmpte_kb));
	if (rss)
		printf(" rss_kb=%lld", (long long)(now.rss_kb - base->rss_kb));
	printf("\n");
	return 0;
}

static int print_fork_check(struct replay_env *env, const struct replay_usage *base)
{
	int64_t child_kb;
	int err = env->backend->fork_vmpte(env, &child_kb);

	if (!err)
		printf("fork_check child_vmpte_kb=%lld\n", (long long)(child_kb - base->vmpte_kb));
	return err;
}

/* Where each mmap_any NAME went, and its length in whole pages. */
struct replay_names {
	uint64_t addr[REPLAY_MAX_NAMES];
	uint64_t len[REPLAY_MAX_NAMES];
};

#define REPLAY_PMD_SIZE (2ULL << 20)

static int run_named(struct replay_env *env, const struct replay_trace *t,
                     const struct replay_op *op, struct replay_names *n, struct replay_usage *base)
{
	switch (op->kind) {
	case REPLAY_MMAP_ANY: {
		int err = env->backend->mmap_any(env, op->len, &n->addr[op->sym]);

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
		return env->backend->usage(env, base);
	default:
		return -EINVAL;
	}
}

static int run_op(struct replay_env *env, const struct replay_trace *t,
                  const struct replay_op *op_in, struct replay_names *n, struct replay_usage *base,
                  bool rss)
{
	const struct replay_backend *b = env->backend;
	struct replay_op resolved = *op_in;
	const struct replay_op *op = &resolved;

	/* NAME+OFF operands of the range operations */
	if (op_in->kind <= REPLAY_MPROTECT && op_in->sym >= 0)
		resolved.addr = n->addr[op_in->sym] + op_in->addr;
	switch (op->kind) {
	case REPLAY_MMAP_ANY:
	case REPLAY_WHERE:
	case REPLAY_GAP:
	case REPLAY_BASELINE:
		return run_named(env, t, op, n, base);
	case REPLAY_MMAP:
		return b->mmap(env, op->addr, op->len);
	case REPLAY_MUNMAP:
		return b->munmap(env, op->addr, op->len);
	case REPLAY_TOUCH:
		return b->touch(env, op->addr, op->len, op->arg);
	case REPLAY_MADVISE:
		return b->madvise(env, op->addr, op->len, op->arg);
	case REPLAY_MPROTECT:
		return b->mprotect(env, op->addr, op->len, op->arg);
	case REPLAY_CHECK:
		return print_check(env, op, base, rss);
	case REPLAY_FORK_CHECK:
		return print_fork_check(env, base);
	}
	return -EINVAL;
}

static int replay(struct replay_env *env, const struct replay_trace *t, bool rss)
{
	static struct replay_names names; /* static: no stack page is new after the baseline */
	struct replay_usage base;
	int err = env->backend->usage(env, &base);

	if (err) {
		fprintf(stderr, "ptsim-replay: %s: reading the starting figures: %s (%s)\n",
		        t->name, strerror(-err), env->detail);
		return -1;
	}
	for (size_t i = 0; i < t->nr_ops; i++) {
		env->detail[0] = '\0';
		err = run_op(env, t, &t->ops[i], &names, &base, rss);
		if (err) {
			op_failed(t, &t->ops[i], env, err);
			return -1;
		}
	}
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
	ret = replay(&env, &trace, o.rss);
	env.backend->destroy(&env);
	replay_trace_free(&trace);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "ptsim-replay: writing the output: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}

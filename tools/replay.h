/* SPDX-License-Identifier: MIT */
/*
 * ptsim-replay internals: the parsed trace and the two backends that run it
 * (the simulator, and this machine's kernel). The trace grammar is the
 * traces README (see tests/traces/README.md); only the public libptsim API
 * is used here.
 */
#ifndef PTSIM_TOOLS_REPLAY_H
#define PTSIM_TOOLS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ptsim/ptsim.h>

/*
 * Every OFF is relative to this 512 GiB-aligned slot, so the PUD, PMD and
 * PTE tables a trace creates are its own and nothing else in the process
 * shares them.
 */
#define REPLAY_BASE      0x500000000000ULL
#define REPLAY_SLOT_SIZE (1ULL << 39)

enum replay_kind {
	REPLAY_MMAP,
	REPLAY_MUNMAP,
	REPLAY_TOUCH,
	REPLAY_MADVISE,
	REPLAY_MPROTECT,
	REPLAY_CHECK,
	REPLAY_FORK_CHECK,
	REPLAY_MMAP_ANY,   /* mmap_any NAME LEN: the kernel picks the address */
	REPLAY_WHERE,      /* where NAME: its offset in its 2 MiB block */
	REPLAY_GAP,        /* gap LOWER UPPER: bytes between two named mappings */
	REPLAY_BASELINE,   /* baseline: later checks count from here */
	REPLAY_CHECKPOINT, /* checkpoint LABEL VMPTE_KB RSS_KB: with recorded figures */
	REPLAY_RECLAIM,    /* reclaim: the strategy's reclaim pass (ptsim_reclaim) */
	REPLAY_GUP,        /* gup OFF LEN r|w: GUP-fast pins, then unpins */
	REPLAY_FORK,       /* fork: go on in the child (a recorded child's trace) */
};

/* Thread prefixes t0 .. t(REPLAY_MAX_THREADS - 1). */
#define REPLAY_MAX_THREADS 64

/* Names given by mmap_any; a trace has at most this many. */
#define REPLAY_MAX_NAMES 16

/* One operation of a trace. */
struct replay_op {
	enum replay_kind kind;
	unsigned long line; /* 1-based line number in the trace, for messages */
	uint64_t addr;      /* REPLAY_BASE + OFF, or OFF past name `sym` */
	int sym, sym2;      /* mmap_any names (indices), -1 for none */
	uint64_t len;
	int arg;     /* PTSIM_ACCESS_*, PTSIM_MADV_* or PTSIM_PROT_*, by kind */
	int tid;     /* the recorded thread that runs it: 0 without a tN prefix */
	char *label; /* REPLAY_CHECK and REPLAY_CHECKPOINT */
	uint64_t expect_vmpte_kb, expect_rss_kb; /* REPLAY_CHECKPOINT: the recorded figures */
};

struct replay_trace {
	const char *name; /* file name as given, "<stdin>" for standard input */
	struct replay_op *ops;
	size_t nr_ops;
	char *names[REPLAY_MAX_NAMES];
	int nr_names;
	int nr_threads; /* highest tN prefix + 1 (1 for a trace without prefixes) */
};

/*
 * Reads and validates a whole trace before anything runs, so that a syntax
 * error never leaves a half-replayed address space behind and no allocation
 * happens once the host backend has taken its baseline. Returns 0, or -1
 * after printing "NAME:LINE: ..." on stderr.
 */
/*
 * ptsim-replay --probe: prints "vmpte=yes|no pt_reclaim=yes|no|unknown
 * zero_page=yes|no|unknown thp_align=yes|no overcommit=N", found by trying.
 */
int host_probe_print(FILE *out);
/* 1 when read faults map the zero page here, 0 when not, -1 unknown. */
int host_probe_zero_page(void);

int replay_parse(FILE *in, const char *name, struct replay_trace *trace);
void replay_trace_free(struct replay_trace *trace);
const char *replay_kind_name(enum replay_kind kind);

/* Absolute figures in kB, as /proc/PID/status prints them. */
struct replay_usage {
	int64_t vmpte_kb;
	int64_t rss_kb;
};

#define REPLAY_DETAIL_LEN 256

/*
 * A backend runs the operations. Each hook returns 0 or a negative errno;
 * it may explain a failure further in env->detail (empty otherwise).
 */
struct replay_env;
struct replay_backend {
	const char *name;
	int (*mmap)(struct replay_env *env, uint64_t addr, uint64_t len, int prot);
	/* mmap(NULL, len, ...): no hint, no MAP_FIXED; *addr is where it went. */
	int (*mmap_any)(struct replay_env *env, uint64_t len, uint64_t *addr);
	int (*munmap)(struct replay_env *env, uint64_t addr, uint64_t len);
	int (*touch)(struct replay_env *env, uint64_t addr, uint64_t len, int access);
	int (*madvise)(struct replay_env *env, uint64_t addr, uint64_t len, int advice);
	int (*mprotect)(struct replay_env *env, uint64_t addr, uint64_t len, int prot);
	int (*usage)(struct replay_env *env, struct replay_usage *usage);
	/*
	 * Forks (or copies the mm) and gives the child's VmPTE in kB, on the
	 * same footing as usage(): the caller subtracts its trace-start figure.
	 */
	int (*fork_vmpte)(struct replay_env *env, int64_t *child_vmpte_kb);
	/* The strategy's reclaim pass; *freed_bytes what it unlinked. NULL: nothing to do. */
	int (*reclaim)(struct replay_env *env, int64_t *freed_bytes);
	/* GUP-fast over the range: pins what is present, then unpins; *pinned pages. */
	int (*gup)(struct replay_env *env, uint64_t addr, uint64_t len, int write, int *pinned);
	/* Forks and goes on in the child, the parent dropped. NULL: not supported. */
	int (*fork_child)(struct replay_env *env);
	void (*destroy)(struct replay_env *env);
};

struct replay_env {
	const struct replay_backend *backend;
	void *priv;
	char detail[REPLAY_DETAIL_LEN];
};

/* Sets up env for a simulated mm of the strategy; -1 after a message on stderr. */
/* no_zero_page: PTSIM_OPT_NO_ZERO_PAGE, to match a host without the zero page. */
int replay_sim_init(struct replay_env *env, enum ptsim_strategy strategy, bool no_zero_page);
/* Sets up env to run on this process for real; -1 after a message on stderr. */
int replay_host_init(struct replay_env *env);

/* Runs operation i of the trace; 0 or what stops the replay (its own message printed). */
typedef int (*replay_run_fn)(void *ctx, size_t i);
/* Runs once every thread has started, before the first operation (the baseline). */
typedef int (*replay_start_fn)(void *ctx);
/*
 * Runs the trace on t->nr_threads threads, operation i on thread
 * t->ops[i].tid, one at a time in the order of the lines. Returns 0, or
 * the first non-zero value of run() or start() (a negative errno if a
 * thread could not be created).
 */
int replay_run_threads(const struct replay_trace *t, replay_run_fn run, replay_start_fn start,
                       void *ctx);

#endif /* PTSIM_TOOLS_REPLAY_H */

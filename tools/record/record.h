/* SPDX-License-Identifier: MIT */
/*
 * ptsim-record internals: an LD_PRELOAD interposer that writes a replay
 * trace (docs/traces.md, docs/record.md) of a real process's memory calls
 * and of the pages it touched, with the kernel's VmPTE and VmRSS at each
 * checkpoint.
 *
 * Nothing here may allocate through malloc or call the interposed functions:
 * the recorder's own memory is one region mapped with a raw system call at
 * start, in a 512 GiB slot of its own (REC_REGION_ADDR), so that its page
 * tables are its own and can be measured once and taken off every figure.
 */
#ifndef PTSIM_TOOLS_RECORD_H
#define PTSIM_TOOLS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Only the interposed calls are the library's interface; the rest stays inside. */
#pragma GCC visibility push(hidden)

#define REC_PAGE_SIZE     4096ULL
#define REC_REGION_ADDR   0x600000000000ULL /* one PGD entry, nothing else there */
#define REC_REGION_SIZE   (8ULL << 20)
#define REC_TASK_SIZE     0x00007ffffffff000ULL
#define REC_MAX_AREAS     16384
#define REC_MAX_THREADS   64 /* as the replay's tN prefixes */
#define REC_OUT_SIZE      (1U << 20)
#define REC_MAPS_SIZE     (2U << 20)
#define REC_NR_REGIONS    4096 /* PAGEMAP_SCAN results per call */
#define REC_NR_PM         8192 /* pagemap entries per read in the fallback */
#define REC_PROT_UNMAPPED (-1)
#define REC_PROT_MASK     0x7

/* A stretch of the address space with one protection (PROT_* bits). */
struct rec_area {
	uint64_t start, end;
	int prot;
};

/* PAGEMAP_SCAN's result, as linux/fs.h (6.7+) defines it. */
struct rec_page_region {
	uint64_t start, end, categories;
};

/* A run of present pages that a checkpoint wrote. */
struct rec_run {
	uint64_t start, end;
};
#define REC_MAX_RUNS 32768

#define REC_TICKER_STACK (256U << 10)

struct rec_state {
	/* the checkpoint thread's stack: glibc maps none for it, so it is not in the trace */
	char ticker_stack[REC_TICKER_STACK] __attribute__((aligned(4096)));
	char out[REC_OUT_SIZE]; /* trace text not yet written */
	char maps[REC_MAPS_SIZE];
	struct rec_area model[REC_MAX_AREAS]; /* the layout as the trace has it so far */
	struct rec_area fresh[REC_MAX_AREAS]; /* the layout /proc/self/maps shows now */
	struct rec_page_region regions[REC_NR_REGIONS];
	uint64_t pm[REC_NR_PM];
	/*
	 * The runs the last checkpoint wrote: a checkpoint leaves out a run the
	 * replay already has, unless a zap (munmap, madvise, MAP_FIXED,
	 * mremap) was written since. nr_prev_runs < 0: write them all.
	 */
	struct rec_run prev_runs[REC_MAX_RUNS], cur_runs[REC_MAX_RUNS];
	int nr_prev_runs, nr_cur_runs;
	bool in_checkpoint; /* touches are being written by a checkpoint */
	bool zapped;        /* a zap was written since the last checkpoint */
	pid_t tids[REC_MAX_THREADS];
	size_t out_len;
	uint64_t written;    /* bytes of the current trace file written so far */
	uint64_t fork_bytes; /* its length when the last fork happened */
	int fork_tid;        /* the thread that forked */
	char path[4200];     /* the current trace file */
	int nr_model, nr_fresh, nr_tids;
	int fd;         /* the trace file */
	int pagemap_fd; /* /proc/self/pagemap, or -1: no touches can be recorded */
	int scan_mode;  /* 1: PAGEMAP_SCAN works, 0: read the pagemap, -1: not tried yet */
	int64_t own_vmpte_kb, own_rss_kb; /* what the region itself adds, measured at start */
	uint64_t nr_checkpoints;
	uint64_t last_checkpoint_ns, interval_ns;
	uint64_t nr_resyncs, nr_ops;
	uint64_t checkpoint_ns, hook_ns; /* time spent in checkpoints, and in hooks besides */
};

/* record_out.c: the trace text */
void rec_put(struct rec_state *st, const char *s);
void rec_put_hex(struct rec_state *st, uint64_t v);
void rec_put_dec(struct rec_state *st, int64_t v);
/* "tN " (every operation line starts with its thread) */
void rec_put_thread(struct rec_state *st, int tid);
/* "tN OP 0xADDR 0xLEN" (the caller adds any word and the newline) */
void rec_put_range(struct rec_state *st, int tid, const char *op, uint64_t addr, uint64_t len);
const char *rec_prot_word(int prot);
void rec_flush(struct rec_state *st);

/* record_layout.c: the layout model and /proc/self/maps */
void rec_model_set(struct rec_state *st, uint64_t start, uint64_t end, int prot);
bool rec_model_covers(const struct rec_state *st, uint64_t start, uint64_t end);
bool rec_model_overlaps(const struct rec_state *st, uint64_t start, uint64_t end);
int rec_model_prot_at(const struct rec_state *st, uint64_t addr);
/* Brings the model up to /proc/self/maps, writing what changed as operations. */
int rec_resync(struct rec_state *st, int tid);

/* record_pagemap.c: which pages are present */
/* Writes a touch for each run of present pages in [start, end), within the model. */
void rec_touch_present(struct rec_state *st, int tid, uint64_t start, uint64_t end);

/* raw system calls, so that nothing of the recorder goes through the hooks */
long rec_raw_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, off_t off);
int rec_read_file(const char *path, char *buf, size_t size, size_t *len);

/* record_syscall.c: returns the kernel's raw result (-errno); errno untouched */
long rec_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
extern const char rec_syscall_ret[]; /* the address after its syscall instruction */

/* record_core.c: the state, the lock, checkpoints */
extern struct rec_state *rec_st; /* NULL until the region is mapped */
/* Takes the lock and gives the caller's thread number; -1: not recording, pass through. */
int rec_enter(void);
void rec_leave(int tid);

/*
 * record_ops.c: each memory call, made for real (rec_syscall) and written
 * with what it zaps; under the lock. Each returns the raw result.
 */
long rec_op_mmap(int tid, uint64_t addr, uint64_t len, int prot, int flags, int fd, off_t off);
long rec_op_munmap(int tid, uint64_t addr, uint64_t len);
long rec_op_mprotect(int tid, uint64_t addr, uint64_t len, int prot);
long rec_op_madvise(int tid, uint64_t addr, uint64_t len, int advice);
long rec_op_mremap(int tid, uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
                   uint64_t new_addr);
long rec_op_brk(int tid, uint64_t addr);

/* record_trap.c: traps the C library's and the loader's own memory calls */
/* 0 when installed; else -1 with *why saying why not (the maps resync is all there is). */
int rec_trap_install(const char **why);

#pragma GCC visibility pop

/* Reads lower-case hex digits at *s, leaving *s at the first other
 * character (the /proc/self/maps fields; no libc call in the hooks). */
static inline uint64_t rec_parse_hex(const char **s)
{
	uint64_t v = 0;

	for (;; (*s)++) {
		char c = **s;

		if (c >= '0' && c <= '9')
			v = v * 16 + (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint64_t)(c - 'a' + 10);
		else
			return v;
	}
}

#endif /* PTSIM_TOOLS_RECORD_H */

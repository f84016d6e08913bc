/* SPDX-License-Identifier: MIT */
/*
 * The recorder's state and lock, its checkpoints, its checkpoint thread,
 * fork, start and exit. Every memory call (record_ops.c) runs under the
 * lock, so the lock orders the lines: the trace's order is the order in
 * which the calls took effect. A checkpoint brings the layout up to
 * /proc/self/maps, writes every present page and the kernel's VmPTE and
 * VmRSS less what the recorder's own region adds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct rec_state *rec_st; /* in the recorder's own region; NULL: not recording */
#define st rec_st
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static bool rec_ready;
static char out_path[4096];
/* NULL: the C library's own memory calls are trapped; else why they are not */
static const char *trap_why = "not tried";

/* CPU time of the calling thread: what the recorder costs, whatever the load. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The calling thread's number in the trace, in order of first appearance. */
static int rec_tid(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	for (int i = 0; i < st->nr_tids; i++)
		if (st->tids[i] == tid)
			return i;
	if (st->nr_tids == REC_MAX_THREADS)
		return REC_MAX_THREADS -
		       1; /* more threads than a replay has: they share the last */
	st->tids[st->nr_tids] = tid;
	return st->nr_tids++;
}

static int64_t status_kb(const char *text, const char *key)
{
	const char *s = strstr(text, key);
	int64_t v = 0;

	if (!s)
		return -1;
	for (s += strlen(key); *s == ' ' || *s == '\t' || *s == ':'; s++)
		;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (*s - '0');
	return v;
}

static int read_usage(int64_t *vmpte_kb, int64_t *rss_kb)
{
	char buf[4096];
	int err = rec_read_file("/proc/self/status", buf, sizeof(buf), NULL);

	if (err)
		return err;
	*vmpte_kb = status_kb(buf, "\nVmPTE");
	*rss_kb = status_kb(buf, "\nVmRSS");
	return *vmpte_kb < 0 || *rss_kb < 0 ? -ENOENT : 0;
}

/*
 * A checkpoint: the layout from /proc/self/maps, a touch per run of
 * present pages, then the figures. Other threads keep running meanwhile;
 * if VmPTE moved while the pages were being read, they are read again, so
 * that the figures and the touches describe one moment.
 */
static void checkpoint(int tid, const char *label)
{
	int64_t pte0, rss0, pte1 = 0, rss1 = 0;
	uint64_t t0 = cpu_ns();

	for (int tries = 0; tries < 4; tries++) {
		if (read_usage(&pte0, &rss0))
			return;
		rec_resync(st, tid);
		st->in_checkpoint = true;
		st->nr_cur_runs = 0;
		rec_touch_present(st, tid, 0, REC_TASK_SIZE);
		st->in_checkpoint = false;
		if (read_usage(&pte1, &rss1))
			return;
		if (pte1 == pte0)
			break;
	}
	if (st->nr_cur_runs <= REC_MAX_RUNS) {
		memcpy(st->prev_runs, st->cur_runs,
		       (size_t)st->nr_cur_runs * sizeof(st->cur_runs[0]));
		st->nr_prev_runs = st->nr_cur_runs;
	} else {
		st->nr_prev_runs = 0;
	}
	st->zapped = false;
	rec_put_thread(st, tid);
	rec_put(st, "checkpoint ");
	rec_put(st, label);
	rec_put_dec(st, (int64_t)st->nr_checkpoints++);
	rec_put(st, " ");
	rec_put_dec(st, pte1 - st->own_vmpte_kb);
	rec_put(st, " ");
	rec_put_dec(st, rss1 - st->own_rss_kb);
	rec_put(st, "\n");
	rec_flush(st);
	st->last_checkpoint_ns = now_ns();
	st->checkpoint_ns += cpu_ns() - t0;
}

static void maybe_checkpoint(int tid)
{
	if (st->interval_ns && now_ns() - st->last_checkpoint_ns >= st->interval_ns)
		checkpoint(tid, "c");
}

/* Enters a hook: the lock, and the caller's thread number. -1: pass through. */
static uint64_t hook_start_ns; /* under the lock */

/*
 * Between our fork handlers the lock is held (by the forking thread); in
 * the child, another library's fork handler that runs before ours and maps
 * memory must not wait for it: such a call goes unrecorded.
 */
static volatile bool fork_pending;
static pid_t forking_pid;

int rec_enter(void)
{
	if (!rec_ready)
		return -1;
	if (fork_pending && (pid_t)syscall(SYS_getpid) != forking_pid)
		return -1;
	pthread_mutex_lock(&rec_lock);
	st->nr_ops++;
	hook_start_ns = cpu_ns();
	return rec_tid();
}

void rec_leave(int tid)
{
	st->hook_ns += cpu_ns() - hook_start_ns;
	maybe_checkpoint(tid);
	pthread_mutex_unlock(&rec_lock);
}

static void put_header(const char *why)
{
	rec_put(st, "# ptsim-record trace (docs/record.md) of pid ");
	rec_put_dec(st, getpid());
	rec_put(st, why);
	rec_put(st, "\n# recorder region ");
	rec_put_hex(st, REC_REGION_ADDR);
	rec_put(st, " ");
	rec_put_hex(st, REC_REGION_SIZE);
	rec_put(st, ": its own VmPTE ");
	rec_put_dec(st, st->own_vmpte_kb);
	rec_put(st, " kB and VmRSS ");
	rec_put_dec(st, st->own_rss_kb);
	rec_put(st, " kB are taken off every checkpoint\n# pages read with ");
	rec_put(st,
	        st->pagemap_fd < 0 ? "nothing (pagemap unreadable)" : "PAGEMAP_SCAN or pagemap");
	rec_put(st, "\n# the C library's and the loader's own memory calls: ");
	rec_put(st, trap_why ? "not trapped, " : "trapped (seccomp)");
	rec_put(st, trap_why ? trap_why : "");
	rec_put(st, "\nbase 0\n");
}

/* Opens FILE, or FILE.PID when FILE is taken (a forked or exec'd process). */
static int open_output(void)
{
	char *path = st->path, digits[16];
	int fd = (int)syscall(SYS_openat, AT_FDCWD, out_path,
	                      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t n = strlen(out_path), k = 0;

	st->written = 0;
	memcpy(path, out_path, n + 1);
	if (fd >= 0 || errno != EEXIST)
		return fd;
	memcpy(path, out_path, n);
	path[n++] = '.';
	for (unsigned int p = (unsigned int)getpid(); p || !k; p /= 10)
		digits[k++] = (char)('0' + p % 10);
	while (k)
		path[n++] = digits[--k];
	path[n] = '\0';
	return (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	                    0644);
}

/* A fresh stream: the whole layout and every present page, then a checkpoint. */
static void start_stream(const char *why)
{
	st->fd = open_output();
	st->out_len = 0;
	st->nr_tids = 0;
	st->nr_model = 0;
	st->nr_checkpoints = 0;
	st->nr_prev_runs = 0;
	put_header(why);
	checkpoint(rec_tid(), "start");
}

/*
 * The checkpoint thread: a program that makes no memory call for a while
 * still gets its checkpoints. Its stack is in the recorder's region, so
 * glibc maps nothing for it (its TLS block is malloc'ed by glibc, a few
 * hundred bytes of the program's heap). What it finds (layout changes,
 * touches) is written as thread 0's, the program's main thread.
 */
static void *ticker_main(void *arg)
{
	struct timespec ts = {.tv_sec = (time_t)(st->interval_ns / 1000000000ULL),
	                      .tv_nsec = (long)(st->interval_ns % 1000000000ULL)};

	(void)arg;
	for (;;) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&rec_lock);
		if (!rec_ready) {
			pthread_mutex_unlock(&rec_lock);
			return NULL;
		}
		maybe_checkpoint(0);
		pthread_mutex_unlock(&rec_lock);
	}
}

static void start_ticker(void)
{
	pthread_attr_t attr;
	pthread_t th;

	if (st->interval_ns == 0 || pthread_attr_init(&attr))
		return;
	if (pthread_attr_setstack(&attr, st->ticker_stack, sizeof(st->ticker_stack)) == 0 &&
	    pthread_create(&th, &attr, ticker_main, NULL) == 0)
		pthread_detach(th);
	pthread_attr_destroy(&attr);
}

/* Copies the first `len` bytes of the file at `from` to fd; the bytes copied. */
static uint64_t copy_prefix(const char *from, int fd, uint64_t len)
{
	int in = (int)syscall(SYS_openat, AT_FDCWD, from, O_RDONLY | O_CLOEXEC);
	uint64_t done = 0;

	if (in < 0)
		return 0;
	while (done < len) {
		uint64_t want = len - done < sizeof(st->maps) ? len - done : sizeof(st->maps);
		ssize_t r = syscall(SYS_read, in, st->maps, want), w = 0;

		if (r <= 0)
			break;
		while (w < r) {
			ssize_t k = syscall(SYS_write, fd, st->maps + w, (size_t)(r - w));

			if (k <= 0)
				break;
			w += k;
		}
		done += (uint64_t)w;
		if (w < r)
			break;
	}
	syscall(SYS_close, in);
	return done;
}

/*
 * A forked child's trace is its parent's up to the fork, then `fork` (the
 * replay continues in a copy of the mm, as fork copies it: the parent's
 * empty page tables included, which no reading of present pages could
 * show), then the child's own operations and checkpoints.
 */
static void start_child_stream(void)
{
	char parent[sizeof(st->path)];

	memcpy(parent, st->path, sizeof(parent));
	st->out_len = 0;
	st->fd = open_output();
	if (st->fd >= 0)
		st->written = copy_prefix(parent, st->fd, st->fork_bytes);
	rec_put(st, "# fork: pid ");
	rec_put_dec(st, getpid());
	rec_put(st, ", forked here; the lines above are its parent's\n");
	rec_put_thread(st, st->fork_tid);
	rec_put(st, "fork\n");
	st->nr_tids = 0;
	st->nr_checkpoints = 0;
	/*
	 * fork copied no table of a VMA without an anon_vma: pages the parent
	 * had there (and the child has faulted in again) are not the replay's
	 * child's, whatever the parent's last checkpoint wrote
	 */
	st->nr_prev_runs = 0;
	checkpoint(rec_tid(), "child");
}

static void atfork_prepare(void)
{
	if (!rec_ready)
		return;
	pthread_mutex_lock(&rec_lock);
	rec_put(st, "# fork: the child writes its own trace (FILE.PID)\n");
	st->fork_tid = rec_tid();
	checkpoint(st->fork_tid, "fork");
	st->fork_bytes = st->written;
	forking_pid = (pid_t)syscall(SYS_getpid);
	fork_pending = true;
}

static void atfork_parent(void)
{
	if (!rec_ready)
		return;
	fork_pending = false;
	pthread_mutex_unlock(&rec_lock);
}

static void atfork_child(void)
{
	if (!rec_ready)
		return;
	pthread_mutex_init(&rec_lock, NULL);
	fork_pending = false;
	if (st->fd >= 0)
		syscall(SYS_close, st->fd);
	/* /proc/self was resolved when it was opened: the parent's */
	if (st->pagemap_fd >= 0)
		syscall(SYS_close, st->pagemap_fd);
	st->pagemap_fd =
	        (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	st->scan_mode = -1;
	start_child_stream();
	start_ticker(); /* threads do not survive fork */
}

/*
 * The region, in a PGD slot of its own and populated at once, so that its
 * page tables are built here and never change: what it adds to VmPTE and
 * VmRSS is measured around the mmap.
 */
static struct rec_state *map_region(int64_t *vmpte_kb, int64_t *rss_kb)
{
	int64_t pte0, rss0, pte1, rss1;
	long r;

	if (read_usage(&pte0, &rss0))
		return NULL;
	r = rec_raw_mmap(REC_REGION_ADDR, REC_REGION_SIZE, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0);
	if (r != (long)REC_REGION_ADDR)
		return NULL;
	if (read_usage(&pte1, &rss1))
		return NULL;
	*vmpte_kb = pte1 - pte0;
	*rss_kb = rss1 - rss0;
	return (struct rec_state *)(uintptr_t)r;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	uint64_t v = 0;

	if (!s || !*s)
		return dflt;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return v;
}

__attribute__((constructor)) static void rec_init(void)
{
	const char *out = getenv("PTSIM_RECORD_OUT"), *trap;
	int64_t own_pte = 0, own_rss = 0;
	struct rec_state *s;

	if (!out || !*out || strlen(out) >= sizeof(out_path))
		return;
	memcpy(out_path, out, strlen(out) + 1);
	/* 4 KiB pages only: the simulator has no transparent huge pages */
	if (!getenv("PTSIM_RECORD_KEEP_THP"))
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	s = map_region(&own_pte, &own_rss);
	if (!s)
		return;
	st = s;
	trap = getenv("PTSIM_RECORD_TRAP");
	if (trap && strcmp(trap, "0") == 0)
		trap_why = "switched off (PTSIM_RECORD_TRAP=0)";
	else if (rec_trap_install(&trap_why) == 0)
		trap_why = NULL;
	st->own_vmpte_kb = own_pte;
	st->own_rss_kb = own_rss;
	st->interval_ns = env_u64("PTSIM_RECORD_INTERVAL_MS", 100) * 1000000ULL;
	st->scan_mode = -1;
	st->pagemap_fd =
	        (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	start_stream("");
	rec_ready = true;
	start_ticker();
}

__attribute__((destructor)) static void rec_fini(void)
{
	if (!rec_ready)
		return;
	pthread_mutex_lock(&rec_lock);
	checkpoint(rec_tid(), "exit");
	/* the recorder's own cost, for docs/record.md (the real calls included) */
	rec_put(st, "# recorder: ");
	rec_put_dec(st, (int64_t)st->nr_ops);
	rec_put(st, " calls hooked, ");
	rec_put_dec(st, (int64_t)(st->hook_ns / 1000));
	rec_put(st, " us of CPU in them; ");
	rec_put_dec(st, (int64_t)st->nr_checkpoints);
	rec_put(st, " checkpoints, ");
	rec_put_dec(st, (int64_t)(st->checkpoint_ns / 1000));
	rec_put(st, " us of CPU in them; ");
	rec_put_dec(st, (int64_t)st->nr_resyncs);
	rec_put(st, " reads of /proc/self/maps\n");
	rec_flush(st);
	rec_ready = false;
	if (st->fd >= 0)
		syscall(SYS_close, st->fd);
	pthread_mutex_unlock(&rec_lock);
}

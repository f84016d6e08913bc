/* SPDX-License-Identifier: MIT */
/*
 * Host backend: runs a trace for real in this process and reads what the
 * kernel accounts in /proc/self/status, so that the simulator can be held
 * against the machine it models.
 *
 * Nothing here may allocate page tables outside the trace slot once the
 * baseline is taken: /proc is read with read(2) into a stack buffer (no
 * FILE, no malloc), and stdout has a static buffer (set up by main).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ptsim/ptsim.h>

#include "replay.h"

/* Linux 5.14; older libc headers lack them. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define HOST_PAGE_SIZE 4096ULL
#define STATUS_BUF_LEN 16384
#define STACK_PREFAULT (256 * 1024)

/*
 * A touch of an unmapped or protected page raises SIGSEGV; the handler
 * turns it back into an errno, as ptsim_touch() reports it (unlike
 * ptsim_touch, the pages before the bad one have been touched by then; the
 * replay stops at the failure, so nothing reads them). Only faults inside
 * the trace slot during a touch are caught: any other is a real bug and
 * must still kill the process.
 */
static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touch_active;
static struct sigaction old_segv;

static void segv_handler(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uctx;
	if (touch_active && a >= REPLAY_BASE && a - REPLAY_BASE < REPLAY_SLOT_SIZE) {
		touch_active = 0;
		siglongjmp(touch_jmp, si->si_code == SEGV_ACCERR ? EACCES : EFAULT);
	}
	sigaction(sig, &old_segv, NULL);
	raise(sig);
}

static void *host_ptr(uint64_t addr)
{
	return (void *)(uintptr_t)addr;
}

/* What mmap_any mapped: the only ranges outside the slot a trace may use. */
static struct {
	uint64_t addr, len;
} host_named[REPLAY_MAX_NAMES];
static int host_nr_named;

static bool host_in_named(uint64_t addr, uint64_t len)
{
	for (int i = 0; i < host_nr_named; i++)
		if (addr >= host_named[i].addr && len <= host_named[i].len &&
		    addr - host_named[i].addr <= host_named[i].len - len)
			return true;
	return false;
}

/* The host refuses to act outside the slot: there it could unmap itself. */
static int host_check_slot(struct replay_env *env, uint64_t addr, uint64_t len)
{
	if (host_in_named(addr, len))
		return 0;
	if (addr < REPLAY_BASE || addr - REPLAY_BASE > REPLAY_SLOT_SIZE ||
	    len > REPLAY_SLOT_SIZE - (addr - REPLAY_BASE)) {
		snprintf(env->detail, sizeof(env->detail),
		         "--host only runs ranges inside the 512 GiB trace slot at 0x%llx",
		         (unsigned long long)REPLAY_BASE);
		return -EINVAL;
	}
	return 0;
}

/* Finds "KEY:<spaces>N kB" in a /proc status text. */
static int status_field(const char *text, const char *key, int64_t *out)
{
	size_t klen = strlen(key);

	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (strncmp(s, key, klen) == 0 && s[klen] == ':') {
			char *end;
			long long v = strtoll(s + klen + 1, &end, 10);

			if (end == s + klen + 1)
				return -EPROTO;
			*out = v;
			return 0;
		}
	}
	return -ENOENT;
}

/* Reads the whole of /proc/self/status into buf (NUL-terminated). */
static int read_status_text(char *buf, size_t size)
{
	size_t n = 0;
	int err = 0;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (n < size - 1) {
		ssize_t r = read(fd, buf + n, size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err = -errno;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return err;
}

static int read_usage(struct replay_env *env, struct replay_usage *u)
{
	char buf[STATUS_BUF_LEN];
	int err = read_status_text(buf, sizeof(buf));

	if (!err)
		err = status_field(buf, "VmPTE", &u->vmpte_kb);
	if (!err)
		err = status_field(buf, "VmRSS", &u->rss_kb);
	if (err && env)
		snprintf(env->detail, sizeof(env->detail),
		         "cannot read VmPTE and VmRSS from /proc/self/status");
	return err;
}

static int host_prot(int prot);

static int host_mmap(struct replay_env *env, uint64_t addr, uint64_t len, int prot)
{
	void *p;
	int err = host_check_slot(env, addr, len);

	if (err)
		return err;
	p = mmap(host_ptr(addr), len, host_prot(prot), MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
	         0);
	if (p == MAP_FAILED)
		return -errno;
	if (p != host_ptr(addr))
		return -EADDRNOTAVAIL; /* cannot happen with MAP_FIXED */
	/* 4 KiB pages only: a THP would map 2 MiB with no PTE table at all. */
	if (madvise(p, len, MADV_NOHUGEPAGE)) {
		err = -errno;
		snprintf(env->detail, sizeof(env->detail), "madvise(MADV_NOHUGEPAGE)");
		return err;
	}
	return 0;
}

/* mmap(NULL, ...): where the kernel puts it is what the trace checks. */
static int host_mmap_any(struct replay_env *env, uint64_t len, uint64_t *addr)
{
	void *p;

	if (host_nr_named == REPLAY_MAX_NAMES)
		return -ENOSPC;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	*addr = (uint64_t)(uintptr_t)p;
	host_named[host_nr_named].addr = *addr;
	host_named[host_nr_named].len = (len + HOST_PAGE_SIZE - 1) & ~(HOST_PAGE_SIZE - 1);
	host_nr_named++;
	if (madvise(p, len, MADV_NOHUGEPAGE)) {
		int err = -errno;

		snprintf(env->detail, sizeof(env->detail), "madvise(MADV_NOHUGEPAGE)");
		return err;
	}
	return 0;
}

static int host_munmap(struct replay_env *env, uint64_t addr, uint64_t len)
{
	int err = host_check_slot(env, addr, len);

	if (err)
		return err;
	return munmap(host_ptr(addr), len) ? -errno : 0;
}

struct touch_req {
	uint64_t addr;
	uint64_t len;
	int access;
};

/*
 * One access per 4 KiB page; volatile so that the compiler keeps every one.
 * Not inlined: nothing of it may live in the caller's frame across the
 * siglongjmp that a fault ends it with.
 */
static __attribute__((noinline)) void touch_pages(const struct touch_req *req)
{
	uint64_t end = req->addr + req->len;

	for (uint64_t a = req->addr; a < end; a = (a & ~(HOST_PAGE_SIZE - 1)) + HOST_PAGE_SIZE) {
		volatile char *p = host_ptr(a);

		if (req->access == PTSIM_ACCESS_WRITE)
			*p = 1;
		else
			(void)*p;
	}
}

/* Returns 0, or the errno that the fault of the first bad page stands for. */
static int guarded_touch(const struct touch_req *req)
{
	int err = sigsetjmp(touch_jmp, 1);

	if (err)
		return err;
	touch_active = 1;
	touch_pages(req);
	touch_active = 0;
	return 0;
}

static int host_touch(struct replay_env *env, uint64_t addr, uint64_t len, int access)
{
	struct touch_req req = {.addr = addr, .len = len, .access = access};
	int err = host_check_slot(env, addr, len);

	if (err)
		return err;
	err = guarded_touch(&req);
	if (err)
		snprintf(env->detail, sizeof(env->detail), "SIGSEGV during the touch");
	return -err;
}

static int host_advice(int advice)
{
	switch (advice) {
	case PTSIM_MADV_DONTNEED:
		return MADV_DONTNEED;
	case PTSIM_MADV_FREE:
		return MADV_FREE;
	case PTSIM_MADV_POPULATE_READ:
		return MADV_POPULATE_READ;
	case PTSIM_MADV_POPULATE_WRITE:
		return MADV_POPULATE_WRITE;
	}
	return -1;
}

static int host_madvise(struct replay_env *env, uint64_t addr, uint64_t len, int advice)
{
	int err = host_check_slot(env, addr, len);

	if (err)
		return err;
	return madvise(host_ptr(addr), len, host_advice(advice)) ? -errno : 0;
}

static int host_prot(int prot)
{
	return (prot & PTSIM_PROT_READ ? PROT_READ : 0) |
	       (prot & PTSIM_PROT_WRITE ? PROT_WRITE : 0) |
	       (prot & PTSIM_PROT_EXEC ? PROT_EXEC : 0);
}

static int host_mprotect(struct replay_env *env, uint64_t addr, uint64_t len, int prot)
{
	int err = host_check_slot(env, addr, len);

	if (err)
		return err;
	return mprotect(host_ptr(addr), len, host_prot(prot)) ? -errno : 0;
}

static int host_usage(struct replay_env *env, struct replay_usage *u)
{
	return read_usage(env, u);
}

/* Child side of fork_check: report its own VmPTE through the pipe, then leave. */
static void __attribute__((noreturn)) child_report(int fd)
{
	struct replay_usage u = {0, 0};
	int64_t msg[2];

	msg[0] = read_usage(NULL, &u);
	msg[1] = u.vmpte_kb;
	if (write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(1);
	_exit(0);
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = read(fd, (char *)buf + n, len - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		n += (size_t)r;
	}
	return 0;
}

/* Waits for the child and turns anything but a clean exit into an error. */
static int reap_child(struct replay_env *env, pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(env->detail, sizeof(env->detail), "the forked child did not exit cleanly");
	return -ECHILD;
}

/* Forks a child that reports its own VmPTE, as it is right after fork. */
static int fork_and_read_vmpte(struct replay_env *env, int64_t *child_vmpte_kb)
{
	int64_t msg[2];
	int fds[2], err;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	/* Unflushed stdio data would be printed twice: once by each process. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0)
		child_report(fds[1]);
	close(fds[1]);
	err = read_full(fds[0], msg, sizeof(msg));
	close(fds[0]);
	if (reap_child(env, pid) && !err)
		err = -ECHILD;
	if (!err && msg[0])
		err = (int)msg[0];
	if (!err)
		*child_vmpte_kb = msg[1];
	return err;
}

/*
 * fork does not copy the tables of VMAs without an anon_vma, and the
 * process's own mappings (shared libraries' text, say) have such VMAs: the
 * child starts with a few kB less VmPTE than the parent, depending on what
 * is linked in (libptsim's dependencies: 4 kB here). That offset, measured
 * by one fork before the trace starts, is taken off every fork_check, so
 * that it reports the trace's tables in the child, as the simulator does.
 */
static int64_t fork_offset_kb;

static int measure_fork_offset(struct replay_env *env)
{
	struct replay_usage parent;
	int64_t child_kb;
	int err = read_usage(env, &parent);

	if (!err)
		err = fork_and_read_vmpte(env, &child_kb);
	if (!err)
		fork_offset_kb = child_kb - parent.vmpte_kb;
	return err;
}

static int host_fork_vmpte(struct replay_env *env, int64_t *child_vmpte_kb)
{
	int err = fork_and_read_vmpte(env, child_vmpte_kb);

	if (!err)
		*child_vmpte_kb -= fork_offset_kb;
	return err;
}

static void host_destroy(struct replay_env *env)
{
	(void)env;
	sigaction(SIGSEGV, &old_segv, NULL);
}

static const struct replay_backend host_backend = {
        .name = "host",
        .mmap = host_mmap,
        .mmap_any = host_mmap_any,
        .munmap = host_munmap,
        .touch = host_touch,
        .madvise = host_madvise,
        .mprotect = host_mprotect,
        .usage = host_usage,
        .fork_vmpte = host_fork_vmpte,
        .destroy = host_destroy,
};

/*
 * Faults in the stack that the replay will use (the /proc buffer is 16 KiB)
 * before the baseline: a stack that first grows into a new 2 MiB block in
 * mid-trace would add a PTE table that is none of the trace's doing.
 */
static __attribute__((noinline)) void prefault_stack(void)
{
	volatile char pad[STACK_PREFAULT];

	for (size_t i = 0; i < sizeof(pad); i += HOST_PAGE_SIZE)
		pad[i] = 0;
}

int replay_host_init(struct replay_env *env)
{
	struct sigaction sa;
	struct replay_usage u;
	int err;

	memset(env, 0, sizeof(*env));
	env->backend = &host_backend;
	prefault_stack();
	if (read_usage(env, &u)) {
		fprintf(stderr, "ptsim-replay: --host: %s (needs Linux with VmPTE in /proc)\n",
		        env->detail);
		return -1;
	}
	err = measure_fork_offset(env);
	if (err) {
		fprintf(stderr, "ptsim-replay: --host: the trial fork failed: %s (%s)\n",
		        strerror(-err), env->detail);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv)) {
		fprintf(stderr, "ptsim-replay: --host: sigaction(SIGSEGV): %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The C library maps malloc arenas, large malloc chunks and thread stacks,
 * trims heaps and moves brk with internal calls that no LD_PRELOAD can
 * interpose, and the loader maps libraries with its own. A seccomp filter
 * traps those: the memory calls (mmap, munmap, mprotect, madvise, mremap,
 * brk) whose system call instruction lies in the C library's or the
 * loader's text raise SIGSYS, and the handler makes them through
 * record_ops.c, which records them exactly as the interposed ones. The
 * recorder's own calls (rec_syscall) and those of other code pass.
 *
 * A SIGSYS that arrives blocked kills the process (the kernel resets the
 * handler), and glibc blocks every signal around thread creation and exit,
 * where it still calls madvise and munmap; so the C library's own
 * rt_sigprocmask and rt_sigaction calls are trapped too, and made with
 * SIGSYS taken out of the masks they set: SIGSYS is never blocked. A
 * program's own SIGSYS handler is refused (the call succeeds, ours stays).
 *
 * The filter outlives execve, where the handler does not: a program that
 * the recorded one executes would be killed by a trapped call if its C
 * library landed on the same addresses. With address space randomisation
 * that does not happen (the text ranges are random each time); without it
 * (randomize_va_space 0, or ADDR_NO_RANDOMIZE), nothing is trapped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "record.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS */
#endif

#define MAX_TEXT_RANGES 8
#define MAX_FILTER      (16 + 5 * MAX_TEXT_RANGES)

struct text_range {
	uint64_t start, end;
};

#if defined(__x86_64__)

static bool is_runtime_text(const char *path, size_t len)
{
	return (memmem(path, len, "/libc.so", 8) || memmem(path, len, "/libc-", 6) ||
	        memmem(path, len, "/ld-linux", 9)) != 0;
}

/* The executable mappings of the C library and the loader. */
static int find_text(struct text_range *r)
{
	int n = 0;

	if (rec_read_file("/proc/self/maps", rec_st->maps, sizeof(rec_st->maps), NULL))
		return 0;
	for (const char *s = rec_st->maps; *s && n < MAX_TEXT_RANGES;) {
		const char *eol = strchr(s, '\n'), *path;
		uint64_t start = rec_parse_hex(&s), end;

		if (!eol)
			break;
		s++; /* '-' */
		end = rec_parse_hex(&s);
		path = memchr(s, '/', (size_t)(eol - s));
		if (s[1] && s[3] == 'x' && path && is_runtime_text(path, (size_t)(eol - path)) &&
		    (start >> 32) == ((end - 1) >> 32))
			r[n++] = (struct text_range){start, end};
		s = eol + 1;
	}
	return n;
}

#define LD(off)        (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, jt, jf) (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define JGE(k, jt, jf) (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (jt), (jf))
#define RET(k)         (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, (k))
#define IP_LO          offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI          (offsetof(struct seccomp_data, instruction_pointer) + 4)

static const int trapped[] = {SYS_mmap,   SYS_munmap, SYS_mprotect,       SYS_madvise,
                              SYS_mremap, SYS_brk,    SYS_rt_sigprocmask, SYS_rt_sigaction};
#define NR_TRAPPED ((int)(sizeof(trapped) / sizeof(trapped[0])))

/*
 * arch x86-64? nr one of the six? then for each text range: ip in it?
 * trap. Everything else is allowed.
 */
static int build_filter(struct sock_filter *f, const struct text_range *r, int nr)
{
	int n = 0, allow, trap;

	f[n++] = LD(offsetof(struct seccomp_data, arch));
	f[n++] = JEQ(AUDIT_ARCH_X86_64, 0, 0); /* jf patched to ALLOW */
	f[n++] = LD(offsetof(struct seccomp_data, nr));
	for (int i = 0; i < NR_TRAPPED; i++)
		f[n++] = JEQ((uint32_t)trapped[i], (uint8_t)(NR_TRAPPED - i - 1 + 1), 0);
	f[n++] = RET(SECCOMP_RET_ALLOW); /* not a memory call */
	allow = n - 1;
	for (int i = 0; i < nr; i++) {
		/* five instructions a range; a miss goes on to the next range (or ALLOW) */
		f[n++] = LD(IP_HI);
		f[n++] = JEQ((uint32_t)(r[i].start >> 32), 0, 3);
		f[n++] = LD(IP_LO);
		f[n++] = JGE((uint32_t)r[i].start, 0, 1);
		f[n++] = JGE((uint32_t)r[i].end, 0, 0); /* jf patched to TRAP */
	}
	f[n++] = RET(SECCOMP_RET_ALLOW);
	f[n++] = RET(SECCOMP_RET_TRAP);
	trap = n - 1;
	f[1].jf = (uint8_t)(allow - 2);
	for (int i = 0; i < nr; i++) {
		int at = allow + 1 + 5 * i + 4;

		f[at].jt = 0; /* ip >= end: the next range */
		f[at].jf = (uint8_t)(trap - at - 1);
		/* past the last range, "the next range" is the ALLOW before TRAP */
	}
	return n;
}

#define SIGSYS_BIT (1ULL << (SIGSYS - 1))

/* rt_sigprocmask with SIGSYS taken out of what it blocks. */
static long sigprocmask_without_sigsys(long how, long set, long oldset, long size)
{
	uint64_t mask;

	if (!set || how == SIG_UNBLOCK || size != sizeof(mask))
		return rec_syscall(SYS_rt_sigprocmask, how, set, oldset, size, 0, 0);
	memcpy(&mask, (void *)set, sizeof(mask));
	mask &= ~SIGSYS_BIT;
	return rec_syscall(SYS_rt_sigprocmask, how, (long)&mask, oldset, size, 0, 0);
}

/* The kernel's struct sigaction on x86-64. */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* rt_sigaction: handlers run with SIGSYS unblocked; ours for SIGSYS stays. */
static long sigaction_without_sigsys(long sig, long act, long oact, long size)
{
	struct kernel_sigaction ka;

	if (!act || size != sizeof(ka.mask))
		return rec_syscall(SYS_rt_sigaction, sig, act, oact, size, 0, 0);
	if (sig == SIGSYS)
		return rec_syscall(SYS_rt_sigaction, sig, 0, oact, size, 0, 0);
	memcpy(&ka, (void *)act, sizeof(ka));
	ka.mask &= ~SIGSYS_BIT;
	return rec_syscall(SYS_rt_sigaction, sig, (long)&ka, oact, size, 0, 0);
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	long nr = si->si_syscall, r;
	long a1 = g[REG_RDI], a2 = g[REG_RSI], a3 = g[REG_RDX], a4 = g[REG_R10], a5 = g[REG_R8],
	     a6 = g[REG_R9];
	int saved = errno, tid;

	(void)sig;
	if (si->si_code != SYS_SECCOMP)
		return;
	if (nr == SYS_rt_sigprocmask || nr == SYS_rt_sigaction) {
		g[REG_RAX] = nr == SYS_rt_sigprocmask ? sigprocmask_without_sigsys(a1, a2, a3, a4)
		                                      : sigaction_without_sigsys(a1, a2, a3, a4);
		errno = saved;
		return;
	}
	tid = rec_enter();
	if (tid < 0) {
		r = rec_syscall(nr, a1, a2, a3, a4, a5, a6);
	} else {
		switch (nr) {
		case SYS_mmap:
			r = rec_op_mmap(tid, (uint64_t)a1, (uint64_t)a2, (int)a3, (int)a4, (int)a5,
			                a6);
			break;
		case SYS_munmap:
			r = rec_op_munmap(tid, (uint64_t)a1, (uint64_t)a2);
			break;
		case SYS_mprotect:
			r = rec_op_mprotect(tid, (uint64_t)a1, (uint64_t)a2, (int)a3);
			break;
		case SYS_madvise:
			r = rec_op_madvise(tid, (uint64_t)a1, (uint64_t)a2, (int)a3);
			break;
		case SYS_mremap:
			r = rec_op_mremap(tid, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (int)a4,
			                  (uint64_t)a5);
			break;
		case SYS_brk:
			r = rec_op_brk(tid, (uint64_t)a1);
			break;
		default:
			r = rec_syscall(nr, a1, a2, a3, a4, a5, a6);
			break;
		}
		rec_leave(tid);
	}
	g[REG_RAX] = r;
	errno = saved;
}

static bool aslr_off(void)
{
	char buf[16];

	if ((personality(0xffffffff) & ADDR_NO_RANDOMIZE) != 0)
		return true;
	return rec_read_file("/proc/sys/kernel/randomize_va_space", buf, sizeof(buf), NULL) == 0 &&
	       buf[0] == '0';
}

int rec_trap_install(const char **why)
{
	struct text_range r[MAX_TEXT_RANGES];
	struct sock_filter f[MAX_FILTER];
	struct sock_fprog prog;
	struct sigaction sa;
	sigset_t unblock;
	int nr;

	if (aslr_off()) {
		*why = "address space randomisation is off (a program it executes could be killed)";
		return -1;
	}
	nr = find_text(r);
	if (nr == 0) {
		*why = "the C library's text was not found in /proc/self/maps";
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		*why = "sigaction(SIGSYS) failed";
		return -1;
	}
	sigemptyset(&unblock);
	sigaddset(&unblock, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
	prog.len = (unsigned short)build_filter(f, r, nr);
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog)) {
		*why = "seccomp(SECCOMP_SET_MODE_FILTER) failed";
		return -1;
	}
	return 0;
}

#else
int rec_trap_install(const char **why)
{
	*why = "not on x86-64";
	return -1;
}
#endif

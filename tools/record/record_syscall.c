/* SPDX-License-Identifier: MIT */
/*
 * The recorder's own system call instruction. The seccomp filter
 * (record_trap.c) traps memory calls made anywhere in the C library and
 * the loader, and lets through those made here, by the address that
 * follows this one instruction: the recorder's real calls, and what it
 * does on a trapped call's behalf. Returns the kernel's raw result (a
 * negative errno on failure); errno is left alone.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

#include "record.h"

#if defined(__x86_64__)
/* rec_syscall(nr, a1 .. a6): the System V arguments moved to the syscall registers. */
__asm__(".text\n"
        ".globl rec_syscall\n"
        ".hidden rec_syscall\n"
        ".type rec_syscall, @function\n"
        "rec_syscall:\n"
        "	movq %rdi, %rax\n"
        "	movq %rsi, %rdi\n"
        "	movq %rdx, %rsi\n"
        "	movq %rcx, %rdx\n"
        "	movq %r8, %r10\n"
        "	movq %r9, %r8\n"
        "	movq 8(%rsp), %r9\n"
        "	syscall\n"
        ".globl rec_syscall_ret\n"
        ".hidden rec_syscall_ret\n"
        "rec_syscall_ret:\n"
        "	ret\n"
        ".size rec_syscall, .-rec_syscall\n");
#else
long rec_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long r = syscall(nr, a1, a2, a3, a4, a5, a6);

	return r == -1 ? -errno : r;
}
const char rec_syscall_ret[1];
#endif

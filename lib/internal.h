/* SPDX-License-Identifier: MIT */
/* Common definitions for the library's internals. Never installed. */
#ifndef PTSIM_INTERNAL_H
#define PTSIM_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Everything the public header declares is exported; the rest stays hidden. */
#pragma GCC visibility push(default)
#include <ptsim/ptsim.h>
#include <ptsim/strategy.h>
#pragma GCC visibility pop

#define likely(x)                       __builtin_expect(!!(x), 1)
#define unlikely(x)                     __builtin_expect(!!(x), 0)
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define ARRAY_SIZE(a)                   (sizeof(a) / sizeof((a)[0]))

/* Shared-memory accesses: relaxed atomics keep TSan and the compiler honest. */
#define READ_ONCE(x)            __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)        __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_add(p, v)        __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#define atomic_sub(p, v)        __atomic_sub_fetch((p), (v), __ATOMIC_RELAXED)

#define PAGE_SHIFT    PTSIM_PAGE_SHIFT
#define PAGE_SIZE     PTSIM_PAGE_SIZE
#define PAGE_MASK     (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PMD_SIZE      PTSIM_PMD_SIZE
#define PMD_MASK      (~(PMD_SIZE - 1))
#define TASK_SIZE     PTSIM_TASK_SIZE
#define MMAP_MIN_ADDR PTSIM_MMAP_MIN_ADDR
#define MAX_MAP_COUNT 65530 /* vm.max_map_count default */

uint64_t ptsim_now_ns(void);
/* Makes the calling thread a full RCU reader; cheap after the first call. */
void ptsim_thread_enter(void);

#endif

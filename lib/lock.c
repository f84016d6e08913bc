// SPDX-License-Identifier: MIT
/* Slow paths of the spinlock and the mmap rwsem: spin, then yield. */
#include "lock.h"

#include <sched.h>
#include <time.h>

#define SPIN_BEFORE_YIELD 128

uint64_t ptsim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(unsigned *spins)
{
	if (++*spins < SPIN_BEFORE_YIELD) {
		__builtin_ia32_pause();
	} else {
		/* More runnable threads than cores: let the holder run. */
		*spins = 0;
		sched_yield();
	}
}

static void contended(struct ptsim_lock_stats *st, uint64_t start)
{
	stat_inc(&st->contended, 1);
	stat_inc(&st->wait_ns, ptsim_now_ns() - start);
}

void spin_lock_slow(spinlock_t *l, struct ptsim_lock_stats *st)
{
	uint64_t start = ptsim_now_ns();
	unsigned spins = 0;

	for (;;) {
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED))
			cpu_relax(&spins);
		if (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0)
			break;
	}
	contended(st, start);
}

/*
 * The kernel's RWSEM_WAIT_TIMEOUT (4 ms): how long a waiter may lose the
 * lock to writers that come and take it again before it sets the handoff
 * flag (kernel commit 4f23dbc1e657, "locking/rwsem: Implement lock handoff
 * to prevent lock starvation", v5.3).
 */
#define RWSEM_WAIT_TIMEOUT_NS 4000000ull

void down_read_slow(struct rwsem *s, struct ptsim_lock_stats *st)
{
	uint64_t start = ptsim_now_ns();
	unsigned spins = 0;
	bool starving = false;
	uint32_t v;

	for (;;) {
		v = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
		/*
		 * Waiting writers go first, so a stream of readers cannot starve
		 * munmap; but a writer that drops the lock and takes it again at
		 * once (munmap, mmap, mprotect in a loop) wins every time against a
		 * reader that has yielded the CPU, so a reader that waited past the
		 * timeout sets HANDOFF: writers then wait for it, and readers go in
		 * even past waiting writers. Whichever reader gets in clears it; a
		 * starving reader still waiting sets it again.
		 */
		if (!(v & RWSEM_WRITER) && (!(v & RWSEM_WAITERS) || (v & RWSEM_HANDOFF))) {
			if (__atomic_compare_exchange_n(&s->state, &v, (v + 1) & ~RWSEM_HANDOFF,
			                                false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			continue;
		}
		if (!starving && ptsim_now_ns() - start > RWSEM_WAIT_TIMEOUT_NS)
			starving = true;
		if (starving && !(v & RWSEM_HANDOFF))
			__atomic_or_fetch(&s->state, RWSEM_HANDOFF, __ATOMIC_RELAXED);
		cpu_relax(&spins);
	}
	contended(st, start);
}

void down_write(struct rwsem *s, struct ptsim_lock_stats *st)
{
	uint32_t v = 0;
	uint64_t start;
	unsigned spins = 0;

	stat_inc(&st->acquisitions, 1);
	if (__atomic_compare_exchange_n(&s->state, &v, RWSEM_WRITER, false, __ATOMIC_ACQUIRE,
	                                __ATOMIC_RELAXED))
		return;
	start = ptsim_now_ns();
	__atomic_add_fetch(&s->state, RWSEM_WAITER_ONE, __ATOMIC_RELAXED);
	for (;;) {
		v = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
		if (!(v & (RWSEM_WRITER | RWSEM_READERS | RWSEM_HANDOFF)) &&
		    __atomic_compare_exchange_n(&s->state, &v,
		                                (v - RWSEM_WAITER_ONE) | RWSEM_WRITER, false,
		                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		cpu_relax(&spins);
	}
	contended(st, start);
}

void lock_stats_add(struct ptsim_lock_stats *dst, const struct ptsim_lock_stats *src)
{
	dst->acquisitions += __atomic_load_n(&src->acquisitions, __ATOMIC_RELAXED);
	dst->contended += __atomic_load_n(&src->contended, __ATOMIC_RELAXED);
	dst->wait_ns += __atomic_load_n(&src->wait_ns, __ATOMIC_RELAXED);
}

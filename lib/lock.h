/* SPDX-License-Identifier: MIT */
/*
 * The kernel's locks, with the contention figures strategies are compared
 * by: a spinlock (the PTL, PMD lock and page_table_lock) and the mmap
 * reader/writer lock. Both spin, then yield, so that more threads than
 * cores still make progress. Counting goes to a caller-supplied
 * ptsim_lock_stats that only the calling thread writes.
 */
#ifndef PTSIM_LOCK_H
#define PTSIM_LOCK_H

#include "internal.h"

typedef struct {
	uint32_t v;
} spinlock_t;

struct rwsem {
	uint32_t state; /* see lock.c */
};

/* Per-thread counter update: only the owning thread writes, readers sum. */
static inline void stat_inc(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

void spin_lock_slow(spinlock_t *l, struct ptsim_lock_stats *st);

static inline bool spin_trylock(spinlock_t *l)
{
	return __atomic_load_n(&l->v, __ATOMIC_RELAXED) == 0 &&
	       __atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_lock(spinlock_t *l, struct ptsim_lock_stats *st)
{
	stat_inc(&st->acquisitions, 1);
	if (likely(__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0))
		return;
	spin_lock_slow(l, st);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->v, __ATOMIC_RELAXED) != 0;
}

#define RWSEM_WRITER     0x80000000u
#define RWSEM_HANDOFF    0x40000000u /* a reader waited too long: no writer may take it */
#define RWSEM_WAITER_ONE 0x00010000u /* writers waiting, bits 16-29 */
#define RWSEM_WAITERS    0x3fff0000u
#define RWSEM_READERS    0x0000ffffu

void down_read_slow(struct rwsem *s, struct ptsim_lock_stats *st);
void down_write(struct rwsem *s, struct ptsim_lock_stats *st);

/*
 * __down_read(): one unconditional add, as the kernel's rwsem_read_trylock()
 * does, so that readers racing each other never fail and never count as
 * contended; a reader that finds a writer or a waiting writer backs its add
 * out and waits in the slow path.
 */
static inline void down_read(struct rwsem *s, struct ptsim_lock_stats *st)
{
	uint32_t v = __atomic_add_fetch(&s->state, 1, __ATOMIC_ACQUIRE);

	stat_inc(&st->acquisitions, 1);
	if (likely(!(v & (RWSEM_WRITER | RWSEM_WAITERS))))
		return;
	__atomic_sub_fetch(&s->state, 1, __ATOMIC_RELAXED);
	down_read_slow(s, st);
}

static inline void up_read(struct rwsem *s)
{
	__atomic_sub_fetch(&s->state, 1, __ATOMIC_RELEASE);
}

static inline void up_write(struct rwsem *s)
{
	__atomic_and_fetch(&s->state, ~RWSEM_WRITER, __ATOMIC_RELEASE);
}

/* down_read_trylock(): counted as an acquisition only when it succeeds. */
static inline bool down_read_trylock(struct rwsem *s, struct ptsim_lock_stats *st)
{
	uint32_t v = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	while (!(v & (RWSEM_WRITER | RWSEM_WAITERS)))
		if (__atomic_compare_exchange_n(&s->state, &v, v + 1, true, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED)) {
			stat_inc(&st->acquisitions, 1);
			return true;
		}
	return false;
}

/* downgrade_write(): the writer becomes a reader without letting a writer in. */
static inline void downgrade_write(struct rwsem *s)
{
	uint32_t v = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(&s->state, &v, (v & ~RWSEM_WRITER) + 1, true,
	                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

static inline bool rwsem_is_write_locked(struct rwsem *s)
{
	return __atomic_load_n(&s->state, __ATOMIC_RELAXED) & RWSEM_WRITER;
}

void lock_stats_add(struct ptsim_lock_stats *dst, const struct ptsim_lock_stats *src);

#endif

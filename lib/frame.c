// SPDX-License-Identifier: MIT
/*
 * The frame allocator: chunked metadata arrays (the kernel's mem_map),
 * a global free list threaded through free frames, and a per-thread cache
 * in front of it (the pcp lists) so a fault takes no shared lock.
 */
#include "frame.h"

#include "lock.h"
#include "memalloc.h"
#include "thread.h"

#define FREE_END UINT32_MAX

struct frame *frame_chunks[FRAME_MAX_CHUNKS];

static struct {
	spinlock_t lock;
	uint32_t free_head;
	uint32_t nr_free; /* on the global list */
	uint32_t hwm;     /* next never-used index */
	uint32_t nr_chunks;
	struct ptsim_lock_stats lock_stats; /* only touched under the lock */
} pool = {.free_head = FREE_END, .hwm = ZERO_FRAME + 1};

/* The zero page: frame 0, never freed. */
__attribute__((constructor)) static void zero_frame_init(void)
{
	frame_chunks[0] = ptsim_alloc(sizeof(struct frame) * FRAME_CHUNK_FRAMES);
	if (frame_chunks[0]) {
		frame_chunks[0][ZERO_FRAME].count = FRAME_REF;
		pool.nr_chunks = 1;
	}
}

static bool grow_locked(void)
{
	uint32_t c = pool.hwm >> FRAME_CHUNK_SHIFT;
	struct frame *chunk;

	if (c >= FRAME_MAX_CHUNKS)
		return false;
	if (frame_chunks[c])
		return true;
	chunk = ptsim_alloc(sizeof(struct frame) * FRAME_CHUNK_FRAMES);
	if (!chunk)
		return false;
	__atomic_store_n(&frame_chunks[c], chunk, __ATOMIC_RELEASE);
	__atomic_add_fetch(&pool.nr_chunks, 1, __ATOMIC_RELAXED);
	return true;
}

/* rmqueue_bulk(): refill the thread's cache from the pool. */
static void frame_cache_refill(struct ptsim_thread *t)
{
	spin_lock(&pool.lock, &pool.lock_stats);
	while (t->nr_cached_frames < FRAME_CACHE_MAX / 2) {
		uint32_t idx;

		if (pool.free_head != FREE_END) {
			idx = pool.free_head;
			pool.free_head = (uint32_t)(READ_ONCE(frame_of(idx)->count) >> 32);
			pool.nr_free--;
		} else {
			if (!grow_locked())
				break;
			idx = pool.hwm;
			__atomic_store_n(&pool.hwm, idx + 1, __ATOMIC_RELEASE);
		}
		t->cached_frames[t->nr_cached_frames++] = idx;
	}
	spin_unlock(&pool.lock);
}

/* free_pcppages_bulk(): give `n` cached frames back to the pool. */
static void frame_cache_flush(struct ptsim_thread *t, unsigned n)
{
	spin_lock(&pool.lock, &pool.lock_stats);
	while (n-- && t->nr_cached_frames) {
		uint32_t idx = t->cached_frames[--t->nr_cached_frames];

		/* GUP-fast may still try (and fail) to pin it: keep the word atomic. */
		WRITE_ONCE(frame_of(idx)->count, (uint64_t)pool.free_head << 32);
		pool.free_head = idx;
		pool.nr_free++;
	}
	spin_unlock(&pool.lock);
}

uint32_t frame_alloc(void)
{
	struct ptsim_thread *t = &ptsim_current;
	uint32_t idx;
	struct frame *f;

	if (ptsim_inject_alloc_failure())
		return UINT32_MAX;
	if (unlikely(!t->nr_cached_frames)) {
		frame_cache_refill(t);
		if (!t->nr_cached_frames)
			return UINT32_MAX;
	}
	idx = t->cached_frames[--t->nr_cached_frames];
	f = frame_of(idx);
	__atomic_store_n(&f->count, FRAME_REF, __ATOMIC_RELEASE);
	return idx;
}

static void frame_free(uint32_t idx)
{
	struct ptsim_thread *t = &ptsim_current;

	if (unlikely(t->nr_cached_frames == FRAME_CACHE_MAX))
		frame_cache_flush(t, FRAME_CACHE_MAX / 2);
	t->cached_frames[t->nr_cached_frames++] = idx;
}

bool frame_try_pin(uint32_t idx)
{
	struct frame *f = frame_of(idx);
	uint64_t v = __atomic_load_n(&f->count, __ATOMIC_RELAXED);

	do {
		if (FRAME_REFS(v) == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&f->count, &v, v + FRAME_PIN, true, __ATOMIC_ACQUIRE,
	                                      __ATOMIC_RELAXED));
	return true;
}

static inline void frame_sub(uint32_t idx, uint64_t v)
{
	if (FRAME_REFS(__atomic_sub_fetch(&frame_of(idx)->count, v, __ATOMIC_ACQ_REL)) == 0)
		frame_free(idx);
}

void frame_put(uint32_t idx)
{
	frame_sub(idx, FRAME_REF);
}

void frame_unpin(uint32_t idx)
{
	frame_sub(idx, FRAME_PIN);
}

void frame_cache_drain(void)
{
	struct ptsim_thread *t = &ptsim_current;

	if (t->nr_cached_frames)
		frame_cache_flush(t, t->nr_cached_frames);
}

uint32_t frame_pool_nr_free(void)
{
	uint32_t n;

	spin_lock(&pool.lock, &pool.lock_stats);
	n = pool.nr_free;
	spin_unlock(&pool.lock);
	return n;
}

uint32_t frame_hwm(void)
{
	return __atomic_load_n(&pool.hwm, __ATOMIC_ACQUIRE);
}

void frame_global_stats(uint64_t *in_use, uint64_t *meta_bytes)
{
	uint32_t hwm = frame_hwm();
	uint64_t used = 0;

	/* Exact and lock-free: a frame is in use while it holds a reference.
	 * O(frames), which is fine for a statistics call. */
	for (uint32_t i = ZERO_FRAME + 1; i < hwm; i++)
		used += FRAME_REFS(__atomic_load_n(&frame_of(i)->count, __ATOMIC_RELAXED)) != 0;
	*in_use = used;
	*meta_bytes = (uint64_t)__atomic_load_n(&pool.nr_chunks, __ATOMIC_RELAXED) *
	              FRAME_CHUNK_FRAMES * sizeof(struct frame);
}

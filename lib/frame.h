/* SPDX-License-Identifier: MIT */
/*
 * Data frames: no contents, only a PFN and the metadata fork and COW need
 * (the kernel's struct folio, cut to 8 bytes). PFNs of data frames start at
 * FRAME_PFN_BASE, above any table's PFN (a table's PFN is its address in
 * this process), so entries are unambiguous. The shared zero page is frame 0.
 */
#ifndef PTSIM_FRAME_H
#define PTSIM_FRAME_H

#include "internal.h"

#define FRAME_PFN_BASE     (1ULL << 36)
#define FRAME_CHUNK_SHIFT  16
#define FRAME_CHUNK_FRAMES (1u << FRAME_CHUNK_SHIFT)
#define FRAME_MAX_CHUNKS   (1u << 16) /* 2^32 frames: 16 TiB simulated */
#define ZERO_FRAME         0u

/*
 * One 64-bit word so that references and pins are read and changed
 * together: bits 0-31 count references (mappings + pins), bits 32-63 pins.
 * A pin adds to both halves in one atomic step, so "references - pins" is
 * always the number of mappings. While free, the low half is 0 and the
 * high half links the free list.
 */
struct frame {
	uint64_t count;
};
#define FRAME_REF     1ULL
#define FRAME_PIN     ((1ULL << 32) | FRAME_REF)
#define FRAME_REFS(c) ((uint32_t)(c))
#define FRAME_PINS(c) ((uint32_t)((c) >> 32))

extern struct frame *frame_chunks[FRAME_MAX_CHUNKS];

static inline struct frame *frame_of(uint32_t idx)
{
	return &frame_chunks[idx >> FRAME_CHUNK_SHIFT][idx & (FRAME_CHUNK_FRAMES - 1)];
}

static inline uint64_t frame_pfn(uint32_t idx)
{
	return FRAME_PFN_BASE + idx;
}

static inline bool pfn_is_frame(uint64_t pfn)
{
	return pfn >= FRAME_PFN_BASE && pfn - FRAME_PFN_BASE < (1ULL << 32);
}

static inline uint32_t pfn_frame(uint64_t pfn)
{
	return (uint32_t)(pfn - FRAME_PFN_BASE);
}

static inline bool is_zero_pfn(uint64_t pfn)
{
	return pfn == FRAME_PFN_BASE + ZERO_FRAME;
}

/* folio_alloc(): a frame with one reference; -ENOMEM as UINT32_MAX. */
uint32_t frame_alloc(void);
/* folio_get() */
static inline void frame_get(uint32_t idx)
{
	__atomic_add_fetch(&frame_of(idx)->count, FRAME_REF, __ATOMIC_RELAXED);
}
/* try_grab_folio_fast(): GUP-fast's speculative pin; false if the frame is free. */
bool frame_try_pin(uint32_t idx);
/* unpin_user_page() */
void frame_unpin(uint32_t idx);
/* folio_put(): frees the frame with its last reference. */
void frame_put(uint32_t idx);
static inline uint64_t frame_count(uint32_t idx)
{
	return __atomic_load_n(&frame_of(idx)->count, __ATOMIC_ACQUIRE);
}
static inline uint32_t frame_refcount(uint32_t idx)
{
	return FRAME_REFS(frame_count(idx));
}
/* Highest frame index ever handed out, plus one. */
uint32_t frame_hwm(void);
void frame_cache_drain(void);
void frame_global_stats(uint64_t *in_use, uint64_t *meta_bytes);
/* Frames on the global free list (not in any thread's cache). */
uint32_t frame_pool_nr_free(void);

#endif

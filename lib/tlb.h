/* SPDX-License-Identifier: MIT */
/*
 * The TLB shootdown model. The simulator has no TLB; what it models is the
 * cost and the ordering of a shootdown, charged to the mm where the kernel
 * flushes (the end of each mmu_gather, mprotect, and the synchronous
 * per-table flush_tlb_range() the 2021/2022 series did under the PMD lock):
 *
 *  - a calibrated delay (PTSIM_OPT_TLB_FLUSH_NS, spun, not slept), the cost
 *    of sending the IPIs and waiting for their acknowledgements;
 *  - the wait for every thread that is inside an interrupts-off section
 *    (GUP-fast, the simulated MMU walk) to leave it: a CPU with interrupts
 *    off does not acknowledge the IPI. In era 5.x this wait is what keeps a
 *    table that a strategy frees right after the flush alive for GUP-fast.
 *
 * Both are counted in the mm's stats (tlb_flushes, tlb_flush_ns,
 * tlb_irqs_off_wait_ns).
 */
#ifndef PTSIM_TLB_H
#define PTSIM_TLB_H

#include "mm.h"

/*
 * flush_tlb_range() / tlb_flush_mmu_tlbonly(): one shootdown for [start,
 * end) of mm. Entries (or tables) cleared before the call are unreachable
 * for every irqs-off section that runs after it returns. The caller may
 * hold spinlocks (the PMD lock), as in the kernel; it must not be waited
 * for by a thread inside an irqs-off section, which takes none.
 */
void flush_tlb_range(struct ptsim_mm *mm, uint64_t start, uint64_t end);

/*
 * smp_mb(): a full fence. ThreadSanitizer rejects fences (it does not model
 * them); there, a sequentially consistent read-modify-write, which is a
 * full barrier on x86, stands in for it.
 */
static inline void smp_mb(void)
{
#if defined(__SANITIZE_THREAD__) /* gcc -fsanitize=thread */
	static int smp_mb_word;

	__atomic_fetch_add(&smp_mb_word, 0, __ATOMIC_SEQ_CST);
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/* Set once at load: flushes order themselves against irqs-off sections
 * with sys_membarrier, so a section start needs no fence (tlb.c). */
extern bool tlb_asym_fence;

/*
 * local_irq_save() / local_irq_restore() around GUP-fast and the MMU walk,
 * for mm: a flush of mm that starts while the section is open waits for it
 * to end. Not nested; mm_enter(mm) must have succeeded.
 */
static inline void local_irq_disable(struct mm_thread_stats *ts)
{
	uint64_t seq = __atomic_load_n(&ts->irqs_off_seq, __ATOMIC_RELAXED) + 1;

	/* The odd value must be visible before the section reads any entry:
	 * a full fence, unless the flusher's membarrier provides it. */
	if (likely(tlb_asym_fence)) {
		__atomic_store_n(&ts->irqs_off_seq, seq, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	} else {
		__atomic_store_n(&ts->irqs_off_seq, seq, __ATOMIC_SEQ_CST);
	}
}

static inline void local_irq_enable(struct mm_thread_stats *ts)
{
	/* Release: every read of the section happens before a flusher moves on. */
	__atomic_store_n(&ts->irqs_off_seq, ts->irqs_off_seq + 1, __ATOMIC_RELEASE);
}

#endif

// SPDX-License-Identifier: MIT
/* The TLB shootdown model (tlb.h). */
#include "tlb.h"

void flush_tlb_range(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	struct mm_thread_stats *ts = mm_ts(mm);
	uint64_t delay = READ_ONCE(mm->tlb_flush_ns), t0;

	(void)start;
	(void)end;
	stat_inc(&ts->tlb_flushes, 1);
	if (!delay)
		return;
	t0 = ptsim_now_ns();
	while (ptsim_now_ns() - t0 < delay)
		__builtin_ia32_pause();
	stat_inc(&ts->tlb_flush_ns, ptsim_now_ns() - t0);
}

void local_irq_disable(void)
{
}

void local_irq_enable(void)
{
}

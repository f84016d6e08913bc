// SPDX-License-Identifier: MIT
/*
 * The TLB shootdown model (tlb.h).
 *
 * Each thread's counters for an mm carry a sequence number that is odd while
 * the thread is inside an irqs-off section of that mm. A flush first makes
 * its page-table stores visible (a full fence, the IPI), then snapshots
 * every other thread's number and waits, for each odd one, until it moves:
 * that section has ended. Sections that begin after the snapshot are not
 * waited for; they already see the cleared entries (the section start is a
 * sequentially consistent store, paired with the flusher's fence). The
 * flusher skips its own counters, so a flush from inside a section does not
 * wait for itself.
 */
#include "tlb.h"

/* native_flush_tlb_multi(): wait for every CPU with interrupts off to take the IPI. */
static uint64_t wait_irqs_off_sections(struct ptsim_mm *mm, struct mm_thread_stats *self)
{
	uint64_t t0 = 0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (struct mm_thread_stats *s = __atomic_load_n(&mm->stats_list, __ATOMIC_ACQUIRE); s;
	     s = s->next) {
		uint64_t seq = __atomic_load_n(&s->irqs_off_seq, __ATOMIC_ACQUIRE);

		if (s == self || !(seq & 1))
			continue;
		if (!t0)
			t0 = ptsim_now_ns();
		while (__atomic_load_n(&s->irqs_off_seq, __ATOMIC_ACQUIRE) == seq)
			__builtin_ia32_pause();
	}
	return t0 ? ptsim_now_ns() - t0 : 0;
}

void flush_tlb_range(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	struct mm_thread_stats *ts = mm_ts(mm);
	uint64_t delay = READ_ONCE(mm->tlb_flush_ns), waited, t0;

	(void)start;
	(void)end;
	stat_inc(&ts->tlb_flushes, 1);
	if (delay) {
		t0 = ptsim_now_ns();
		while (ptsim_now_ns() - t0 < delay)
			__builtin_ia32_pause();
		stat_inc(&ts->tlb_flush_ns, ptsim_now_ns() - t0);
	}
	waited = wait_irqs_off_sections(mm, ts);
	if (waited) {
		stat_inc(&ts->tlb_irqs_off_wait_ns, waited);
		stat_inc(&ts->tlb_flush_ns, waited);
	}
}

void local_irq_disable(struct ptsim_mm *mm)
{
	struct mm_thread_stats *ts = mm_ts(mm);

	/* seq_cst: the odd value is visible before this section reads any entry. */
	__atomic_store_n(&ts->irqs_off_seq, ts->irqs_off_seq + 1, __ATOMIC_SEQ_CST);
}

void local_irq_enable(struct ptsim_mm *mm)
{
	struct mm_thread_stats *ts = mm_ts(mm);

	/* Release: every read of the section happens before a flusher moves on. */
	__atomic_store_n(&ts->irqs_off_seq, ts->irqs_off_seq + 1, __ATOMIC_RELEASE);
}

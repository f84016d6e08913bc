// SPDX-License-Identifier: MIT
/*
 * The TLB shootdown model (tlb.h).
 *
 * Each thread's counters for an mm carry a sequence number that is odd while
 * the thread is inside an irqs-off section of that mm. A flush first orders
 * its page-table stores before the other threads' later reads (the IPI),
 * then snapshots every other thread's number and waits, for each odd one,
 * until it moves: that section has ended. Sections that begin after the
 * snapshot are not waited for; they already see the cleared entries. The
 * flusher skips its own counters, so a flush from inside a section does not
 * wait for itself.
 *
 * The ordering is a store (section start, flusher's clear) then a load
 * (section's entry reads, flusher's snapshot) on both sides, which needs a
 * full fence on both. Like liburcu's memb flavour, the section's fence is
 * moved to the flusher where the kernel allows it: sys_membarrier
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED) makes every running thread of the
 * process execute one, which is what the TLB-flush IPI is; a hit in the
 * simulated MMU then pays no fence. Without it, sections use a sequentially
 * consistent store.
 */
#include "tlb.h"

#include <linux/membarrier.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test_hook.h"

bool tlb_asym_fence;

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

__attribute__((constructor)) static void tlb_init(void)
{
	long cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		tlb_asym_fence = true;
}

/* Does any thread but the flusher have counters (so possibly sections) in mm? */
static bool other_threads(struct ptsim_mm *mm, struct mm_thread_stats *self)
{
	for (struct mm_thread_stats *s = __atomic_load_n(&mm->stats_list, __ATOMIC_ACQUIRE); s;
	     s = s->next)
		if (s != self)
			return true;
	return false;
}

/* native_flush_tlb_multi(): wait for every CPU with interrupts off to take the IPI. */
static uint64_t wait_irqs_off_sections(struct ptsim_mm *mm, struct mm_thread_stats *self)
{
	uint64_t t0 = 0;

	/* Alone in the mm: no other CPU to interrupt, as flush_tlb_mm_range()
	 * with only this CPU in mm_cpumask. The fence pairs with the one a
	 * thread makes after adding its counters (mm_thread_stats_slow()):
	 * a thread we do not see yet will see our cleared entries. */
	smp_mb();
	if (!other_threads(mm, self))
		return 0;
	if (tlb_asym_fence)
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	for (struct mm_thread_stats *s = __atomic_load_n(&mm->stats_list, __ATOMIC_ACQUIRE); s;
	     s = s->next) {
		uint64_t seq = __atomic_load_n(&s->irqs_off_seq, __ATOMIC_ACQUIRE);

		if (s == self || !(seq & 1))
			continue;
		if (!t0)
			t0 = ptsim_now_ns();
		test_hook(TEST_HOOK_TLB_IRQS_OFF_WAIT, mm, 0);
		/* A real CPU with interrupts off cannot be preempted; a simulated
		 * one can, so after a short spin let it run instead of burning
		 * the flusher's time slice (the wait still counts its time off CPU). */
		for (unsigned spins = 0;
		     __atomic_load_n(&s->irqs_off_seq, __ATOMIC_ACQUIRE) == seq;)
			if (++spins % 128)
				__builtin_ia32_pause();
			else
				sched_yield();
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

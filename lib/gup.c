// SPDX-License-Identifier: MIT
/*
 * GUP-fast (gup_fast_pte_range()): no mmap lock, no PTL. The kernel runs it
 * with interrupts off, which holds off the TLB-flush IPI (tlb.h: a flush
 * waits for the section to end) and, since the RCU flavours were merged
 * (4.20), the RCU grace period. Era 6.18 relies on the latter (tables are
 * freed by RCU after the flush, PT_RECLAIM), so the section is also an RCU
 * read section here; era 5.x relies on the former: a table is freed only
 * after a flush that waited for us. Each level is read once; after
 * pinning, the PMD and the PTE are re-read and the pin is dropped if
 * either changed.
 */
#include "era.h"
#include "frame.h"
#include "pgalloc.h"
#include "tlb.h"
#include "uaf.h"

static bool gup_fast_one(struct ptsim_mm *mm, uint64_t addr, bool write, uint64_t *pfn)
{
	pte_t need = _PAGE_PRESENT | _PAGE_USER | (write ? _PAGE_RW : 0);
	pte_t *table = mm->pgd, *pmdp = NULL, *ptep, pmd = 0, e;
	uint32_t frame;

	for (int l = PT_LEVEL_PGD; l < PT_LEVEL_PTE; l++) {
		pte_t *p = &table[pt_index(addr, l)];

		e = pt_entry_read(p);
		/* A read-only PMD (a COW PTE table) sends writes to the slow path,
		 * as the RFC's GUP hook (-EMLINK) does. */
		if (!uaf_entry_ok(table, e, "gup_fast", addr) || !(e & _PAGE_PRESENT) ||
		    (e & _PAGE_PSE) || (write && !(e & _PAGE_RW)))
			return false;
		if (l == PT_LEVEL_PMD) {
			pmdp = p;
			pmd = e;
		}
		table = entry_table(e);
	}
	ptep = &table[pt_index(addr, PT_LEVEL_PTE)];
	e = ptep_get(ptep);
	if (!uaf_entry_ok(table, e, "gup_fast", addr))
		return false;
	/* Special entries (the zero page) are left to the slow path. */
	if ((e & need) != need || (e & _PAGE_SPECIAL) || !pfn_is_frame(pte_pfn(e)))
		return false;
	frame = pfn_frame(pte_pfn(e));
	if (!frame_try_pin(frame))
		return false;
	/* mm_set_has_pinned_flag(): sticky, so fork knows which mms to scan. */
	if (!READ_ONCE(mm->has_pinned))
		WRITE_ONCE(mm->has_pinned, true);
	if (pt_entry_read(pmdp) != pmd || ptep_get(ptep) != e ||
	    !uaf_table_ok(table, "gup_fast", addr)) {
		frame_unpin(frame);
		return false;
	}
	*pfn = pte_pfn(e);
	return true;
}

int ptsim_gup_fast(struct ptsim_mm *mm, uint64_t addr, int nr_pages, int write, uint64_t *pfns)
{
	struct mm_thread_stats *ts;
	bool rcu;
	int n = 0, ret;

	if (!mm || !pfns || nr_pages < 0 || (addr & ~PAGE_MASK) ||
	    (uint64_t)nr_pages > (TASK_SIZE - addr) >> PAGE_SHIFT || addr >= TASK_SIZE)
		return -EINVAL;
	ret = mm_enter(mm);
	if (ret == -EINVAL)
		return ret; /* a stale handle (checked mode) */
	if (ret)
		return 0; /* no memory for this thread's counters: the slow path */
	ts = mm_ts(mm);
	rcu = mm->era->irqs_off_rcu;
	local_irq_disable(ts);
	if (rcu)
		ptsim_rcu_read_lock();
	for (; n < nr_pages; n++, addr += PAGE_SIZE)
		if (!gup_fast_one(mm, addr, write, &pfns[n]))
			break;
	if (rcu)
		ptsim_rcu_read_unlock();
	local_irq_enable(ts);
	return n;
}

void ptsim_unpin(const uint64_t *pfns, int nr_pages)
{
	/* A frame freed here goes to this thread's cache, which only a
	 * registered thread gives back at exit: register first. */
	ptsim_thread_enter();
	for (int i = 0; pfns && i < nr_pages; i++)
		if (pfn_is_frame(pfns[i]) && !is_zero_pfn(pfns[i]))
			frame_unpin(pfn_frame(pfns[i]));
}

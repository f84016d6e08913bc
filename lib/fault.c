// SPDX-License-Identifier: MIT
/* Page faults on anonymous private memory: zero page, new frames, COW. */
#include "fault.h"

#include "cow_pte.h"
#include "frame.h"
#include "pgalloc.h"
#include "strategy.h"
#include "tlb.h"
#include "uaf.h"

/*
 * find_mergeable_anon_vma(): an adjacent VMA that differs at most in its
 * access flags lends its anon_vma, so the two can merge again later.
 */
static uint64_t find_mergeable_anon_vma(struct ptsim_mm *mm, struct vm_area *vma)
{
	const struct vma_tree *t = &mm->vmas;
	uint32_t i = vma_find_index(t, vma->start);

	if (i + 1 < t->nr && t->v[i + 1]->start == vma->end && READ_ONCE(t->v[i + 1]->anon_vma))
		return READ_ONCE(t->v[i + 1]->anon_vma);
	if (i > 0 && t->v[i - 1]->end == vma->start && READ_ONCE(t->v[i - 1]->anon_vma))
		return READ_ONCE(t->v[i - 1]->anon_vma);
	return 0;
}

/* anon_vma_prepare() */
void anon_vma_prepare(struct ptsim_mm *mm, struct vm_area *vma)
{
	struct ptsim_lock_stats *st = &mm_ts(mm)->page_table_lock;
	uint64_t av;

	if (READ_ONCE(vma->anon_vma))
		return;
	/* Faulting threads hold the mmap lock only for read: serialise here. */
	spin_lock(&mm->page_table_lock, st);
	if (!vma->anon_vma) {
		av = find_mergeable_anon_vma(mm, vma);
		WRITE_ONCE(vma->anon_vma, av ? av : ++mm->next_anon_vma);
	}
	spin_unlock(&mm->page_table_lock);
}

static pte_t mk_anon_pte(uint32_t frame, int prot, bool write)
{
	pte_t e = (frame_pfn(frame) << PAGE_SHIFT) | prot_pte_bits(prot) | _PAGE_ACCESSED;

	if (write)
		e |= _PAGE_RW | _PAGE_DIRTY;
	return e;
}

static pte_t mk_zero_pte(int prot)
{
	return (frame_pfn(ZERO_FRAME) << PAGE_SHIFT) | prot_pte_bits(prot) | _PAGE_SPECIAL |
	       _PAGE_ACCESSED;
}

/* do_anonymous_page(): the entry is none; the PTL is held. Frames have no
 * contents, so allocating one under the PTL is harmless here (the kernel
 * allocates first and re-checks the entry after locking). */
static int do_anonymous_page(struct ptsim_mm *mm, struct vm_area *vma, pte_t *pte, struct ptdesc *d,
                             bool write)
{
	struct mm_thread_stats *ts = mm_ts(mm);

	/* mm_forbids_zeropage(): a read fault takes a frame, mapped writable
	 * and dirty when the VMA allows writes, as a write fault would. */
	if (write || READ_ONCE(mm->no_zero_page)) {
		uint32_t frame = frame_alloc();

		if (frame == UINT32_MAX)
			return -ENOMEM;
		set_pte(pte,
		        mk_anon_pte(frame, vma->prot, write || (vma->prot & PTSIM_PROT_WRITE)));
		stat_inc(&ts->rss, 1);
		stat_inc(write ? &ts->faults_write : &ts->faults_read, 1);
		if (mm->ops->ptes_set)
			mm->ops->ptes_set(d, 1, 0);
		return 0;
	} else {
		set_pte(pte, mk_zero_pte(vma->prot));
		stat_inc(&ts->zero_ptes, 1);
		stat_inc(&ts->faults_read, 1);
	}
	if (mm->ops->ptes_set)
		mm->ops->ptes_set(d, 1, !write);
	return 0;
}

/* do_wp_page(): a write to a present entry without RW in a writable VMA. */
static int do_wp_page(struct ptsim_mm *mm, struct vm_area *vma, pte_t *pte, struct ptdesc *d,
                      pte_t orig)
{
	struct mm_thread_stats *ts = mm_ts(mm);
	uint64_t pfn = pte_pfn(orig);
	uint32_t frame;

	if (!is_zero_pfn(pfn) && frame_refcount(pfn_frame(pfn)) == 1) {
		/* wp_page_reuse(): nobody else maps it any more. */
		set_pte(pte, orig | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED);
		stat_inc(&ts->faults_cow, 1);
		return 0;
	}
	/* wp_page_copy() */
	frame = frame_alloc();
	if (frame == UINT32_MAX)
		return -ENOMEM;
	set_pte(pte, mk_anon_pte(frame, vma->prot, true));
	if (is_zero_pfn(pfn)) {
		stat_inc(&ts->zero_ptes, (uint64_t)-1);
		stat_inc(&ts->rss, 1);
		if (mm->ops->pte_zero_replaced)
			mm->ops->pte_zero_replaced(d);
	} else {
		frame_put(pfn_frame(pfn));
	}
	stat_inc(&ts->faults_cow, 1);
	return 0;
}

/* handle_pte_fault() */
static int handle_pte_fault(struct ptsim_mm *mm, struct vm_area *vma, pte_t *pmdp, uint64_t addr,
                            bool write)
{
	struct ptdesc *d;
	pte_t *pte, e;
	int ret;

	/* vmf_anon_prepare(): before the PTL, as it takes page_table_lock. A
	 * read fault maps the zero page and needs no anon_vma, unless the mm
	 * forbids the zero page and a read fault allocates a frame too. */
	if (write || READ_ONCE(mm->no_zero_page))
		anon_vma_prepare(mm, vma);
	for (;;) {
		if (pte_none(pt_entry_read(pmdp)) && __pt_alloc(mm, pmdp, PT_LEVEL_PTE))
			return -ENOMEM;
		pte = pte_offset_map_lock(mm, pmdp, addr, &d);
		if (pte)
			break;
		if (pte_map_enomem())
			return -ENOMEM;
		/* Only a broken strategy frees the PMD table itself under a
		 * fault: the detector reports it and the fault backs off. */
		if (unlikely(!uaf_entry_ok((pte_t *)((uintptr_t)pmdp & PAGE_MASK),
		                           pt_entry_read(pmdp), "handle_pte_fault", addr)))
			return -EFAULT;
		/* The table was freed between the check and the lock: allocate again. */
	}
	e = ptep_get(pte);
	if (pte_none(e)) {
		ret = do_anonymous_page(mm, vma, pte, d, write);
	} else if (write && pte_present(e) && !(e & _PAGE_RW)) {
		ret = do_wp_page(mm, vma, pte, d, e);
	} else {
		/* Spurious: another thread resolved it first. */
		if (e & _PAGE_PRESENT)
			set_pte(pte, e | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0));
		ret = 0;
	}
	pte_unmap_unlock(mm, d);
	return ret;
}

int handle_mm_fault(struct ptsim_mm *mm, struct vm_area *vma, uint64_t addr, bool write)
{
	pte_t *pmdp;
	int ret = -ENOMEM;

	pt_walk_begin(mm);
	pmdp = pt_walk(mm, addr, PT_LEVEL_PMD, true);
	if (!pmdp)
		goto out;
	/* handle_cow_pte_fault(): every fault changes the table, read faults
	 * included (they fill none entries), so none may change a shared one. */
	if (unlikely(pmd_cow(pt_entry_read(pmdp)))) {
		ret = cow_pte_break(mm, pmdp);
		if (ret)
			goto out;
	}
	ret = handle_pte_fault(mm, vma, pmdp, addr, write);
out:
	pt_walk_end(mm);
	return ret;
}

bool hw_access(struct ptsim_mm *mm, uint64_t addr, bool write)
{
	pte_t need = _PAGE_PRESENT | _PAGE_USER | (write ? _PAGE_RW : 0);
	pte_t set = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);
	pte_t *table = mm->pgd, *p, e;
	bool hit = false, chk = uaf_checked(), rcu = mm->era->irqs_off_rcu;
	struct mm_thread_stats *ts = mm_ts(mm);

	/* The MMU holds no lock: a walk is an irqs-off section that a TLB
	 * flush waits for (tlb.h), and an RCU reader in era 6.18, as GUP-fast. */
	local_irq_disable(ts);
	if (rcu)
		ptsim_rcu_read_lock();
	for (int l = PT_LEVEL_PGD; l < PT_LEVEL_PTE; l++) {
		e = pt_entry_read(&table[pt_index(addr, l)]);
		if (unlikely(chk) && !uaf_entry_valid(table, e, "hw_access", addr))
			goto out;
		/* R/W counts at every level: a COW PTE table's PMD entry is read-only. */
		if (!(e & _PAGE_PRESENT) || (write && !(e & _PAGE_RW)))
			goto out;
		table = entry_table(e);
	}
	p = &table[pt_index(addr, PT_LEVEL_PTE)];
	e = ptep_get(p);
	if (unlikely(chk) && !uaf_entry_valid(table, e, "hw_access", addr))
		goto out;
	do {
		if ((e & need) != need)
			goto out;
		if ((e & set) == set)
			break;
		/* A locked update, as the MMU does, that loses to a concurrent clear. */
	} while (!__atomic_compare_exchange_n(p, &e, e | set, true, __ATOMIC_RELAXED,
	                                      __ATOMIC_RELAXED));
	hit = true;
out:
	if (rcu)
		ptsim_rcu_read_unlock();
	local_irq_enable(ts);
	return hit;
}

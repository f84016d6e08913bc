// SPDX-License-Identifier: MIT
/*
 * COW PTE tables: sharing at fork, breaking COW (copy or reuse) and
 * dropping a link. Lock order as everywhere: the mm's PMD lock, then the
 * table's PTL. The PTL is the table's, so it serialises every mm linking
 * it: the count, the owner and the entries change only under it.
 */
#include "cow_pte.h"

#include <sched.h>

#include "frame.h"
#include "pgalloc.h"
#include "strategy.h"
#include "tlb.h"
#include "uaf.h"

static int64_t nr_shared, nr_unowned; /* cow_pte_global_stats() */

void cow_pte_global_stats(uint64_t *shared, uint64_t *unowned)
{
	*shared = (uint64_t)__atomic_load_n(&nr_shared, __ATOMIC_RELAXED);
	*unowned = (uint64_t)__atomic_load_n(&nr_unowned, __ATOMIC_RELAXED);
}

/* The owner leaves: nobody is charged for the table until one reuses it. */
static void cow_pte_disown(struct ptsim_mm *mm, struct ptdesc *d)
{
	if (d->mm != mm)
		return;
	d->mm = NULL;
	d->parent = NULL;
	atomic_add(&nr_unowned, 1);
	stat_inc(&mm_ts(mm)->cow_pte_disowned, 1);
}

/* The link count drops by one (PTL held). */
static void cow_pte_put_ref(struct ptdesc *d)
{
	if (--d->cow_ref == 1)
		atomic_add(&nr_shared, -1);
}

/*
 * Checked mode: a freed table behind our PMD entry (only the mutant frees a
 * shared table) is reported, and unlinked from this mm under its PMD lock,
 * as every walker backs off from a freed table as if it were absent.
 */
static bool cow_pte_table_freed(pte_t *pmdp, pte_t pmdval, const char *op)
{
	if (uaf_table_ok(entry_table(pmdval), op, 0))
		return false;
	set_pte(pmdp, 0);
	return true;
}

/* A pinned frame mapped only by src cannot be shared (copy_present_pte()
 * would copy it), so neither can its table: the RFC falls back to a copy. */
static bool cow_pte_shareable(const pte_t *table)
{
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		pte_t e = ptep_get((pte_t *)&table[i]);
		uint64_t count;

		if (!pte_present(e) || is_zero_pfn(pte_pfn(e)))
			continue;
		count = frame_count(pfn_frame(pte_pfn(e)));
		if (FRAME_PINS(count) && FRAME_REFS(count) - FRAME_PINS(count) == 1)
			return false;
	}
	return true;
}

/*
 * The normal COW accounting, entry by entry, as v3 onwards does: each mm
 * linking the table holds a reference on every frame it maps and counts it
 * in its RSS, so every later path (do_wp_page()'s reuse test, zap) works
 * unchanged. A new link takes (get) those references, a dropped one gives
 * them back; *frames and *zero count the frames and zero-page entries for
 * the RSS. Taking them makes the entries read-only as a plain fork makes
 * them; in a table already shared they are so. PTL held. LINK_COUNT only
 * counts (a deferred table's owner's RSS).
 */
enum link_op { LINK_PUT, LINK_GET, LINK_COUNT };

static void cow_pte_link_refs(pte_t *table, enum link_op get, unsigned *frames, unsigned *zero)
{
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		pte_t e = ptep_get(&table[i]);

		if (!pte_present(e))
			continue;
		if (is_zero_pfn(pte_pfn(e))) {
			(*zero)++;
			continue;
		}
		(*frames)++;
		if (get == LINK_COUNT)
			continue;
		if (get == LINK_PUT) {
			frame_put(pfn_frame(pte_pfn(e)));
			continue;
		}
		frame_get(pfn_frame(pte_pfn(e)));
		if (e & _PAGE_RW)
			set_pte(&table[i], e & ~_PAGE_RW);
	}
}

int cow_pte_share(struct ptsim_mm *dst, struct ptsim_mm *src, pte_t *dst_pmdp, pte_t *src_pmdp,
                  bool deferred)
{
	struct ptsim_lock_stats *st, *dst_st;
	spinlock_t *pml = pmd_lockptr(src, src_pmdp, &st);
	spinlock_t *dst_pml = pmd_lockptr(dst, dst_pmdp, &dst_st);
	struct mm_thread_stats *ts = mm_ts(dst);
	unsigned frames = 0, zero = 0;
	struct ptdesc *d;
	pte_t pmdval, *table;

	spin_lock(pml, st);
	pmdval = pt_entry_read(src_pmdp);
	table = entry_table(pmdval);
	d = ptdesc_of(table);
	if (cow_pte_table_freed(src_pmdp, pmdval, "cow_pte_share")) {
		spin_unlock(pml);
		return 1;
	}
	spin_lock(&d->ptl, &mm_ts(src)->ptl);
	/* page_needs_cow_for_dma(): only an mm that ever pinned has a frame
	 * to look for (MMF_HAS_PINNED); the others' tables are not read. */
	if (READ_ONCE(src->has_pinned) && !cow_pte_shareable(table)) {
		spin_unlock(&d->ptl);
		spin_unlock(pml);
		return 1;
	}
	/* A private table takes this fork's mode; a shared one keeps its own. */
	if (!pmd_cow(pmdval))
		d->cow_deferred = deferred;
	if (!d->cow_deferred)
		cow_pte_link_refs(table, LINK_GET, &frames, &zero);
	if (d->cow_ref++ == 1)
		atomic_add(&nr_shared, 1);
	/* Both links read-only: any write through them faults. */
	set_pte(src_pmdp, pmdval & ~_PAGE_RW);
	spin_unlock(&d->ptl);
	spin_unlock(pml);
	/* The child is not running yet: its PMD lock nests under nothing. */
	spin_lock(dst_pml, dst_st);
	__atomic_store_n(dst_pmdp, pmdval & ~_PAGE_RW, __ATOMIC_RELEASE);
	spin_unlock(dst_pml);
	stat_inc(&ts->rss, frames);
	stat_inc(&ts->zero_ptes, zero);
	stat_inc(&mm_ts(src)->cow_pte_shared, 1);
	return 0;
}

/* The new private table's strategy state: what __pt_alloc() and the fault
 * path would have told it for the same entries. */
static unsigned cow_pte_copy_entries(pte_t *dst, const pte_t *src, unsigned *nzero)
{
	unsigned n = 0;

	*nzero = 0;
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		pte_t e = ptep_get((pte_t *)&src[i]);

		if (pte_none(e))
			continue;
		dst[i] = e;
		n++;
		if (pte_present(e) && is_zero_pfn(pte_pfn(e)))
			(*nzero)++;
	}
	return n;
}

int cow_pte_break(struct ptsim_mm *mm, pte_t *pmdp)
{
	struct mm_thread_stats *ts = mm_ts(mm);
	struct ptsim_lock_stats *st;
	spinlock_t *pml = pmd_lockptr(mm, pmdp, &st);
	struct ptdesc *d, *copy = NULL;
	pte_t pmdval;

	if (!pmd_cow(pt_entry_read(pmdp)))
		return 0;
	for (;;) {
		spin_lock(pml, st);
		pmdval = pt_entry_read(pmdp);
		if (!pmd_cow(pmdval))
			break; /* another thread of ours broke it */
		d = ptdesc_of(entry_table(pmdval));
		if (cow_pte_table_freed(pmdp, pmdval, "cow_pte_break"))
			break;
		spin_lock(&d->ptl, &ts->ptl);
		if (d->cow_ref == 1) {
			/* Reuse: the last link. Ownerless, it charges us now. */
			if (d->cow_deferred && d->mm != mm) {
				/* The frames' one reference is ours now; the
				 * pages were in nobody's RSS. */
				unsigned frames = 0, zero = 0;

				cow_pte_link_refs(entry_table(pmdval), LINK_COUNT, &frames, &zero);
				stat_inc(&ts->rss, frames);
				stat_inc(&ts->zero_ptes, zero);
			}
			d->cow_deferred = 0;
			if (!d->mm) {
				d->mm = mm;
				d->parent = pmdp;
				atomic_add(&nr_unowned, -1);
				mm_account_table(mm, PT_LEVEL_PTE, 1);
				stat_inc(&ts->cow_pte_adopted, 1);
			}
			set_pte(pmdp, pmdval | _PAGE_RW);
			spin_unlock(&d->ptl);
			stat_inc(&ts->cow_pte_reused, 1);
			break;
		}
		if (!copy) {
			/* Allocate outside the locks, then look again. */
			spin_unlock(&d->ptl);
			spin_unlock(pml);
			copy = pt_alloc(mm, PT_LEVEL_PTE);
			if (!copy)
				return -ENOMEM;
			if (mm->ops->pte_table_ctor)
				mm->ops->pte_table_ctor(copy);
			continue;
		}
		if (d->cow_deferred) {
			/* The references and write protection fork skipped. */
			unsigned frames = 0, zero = 0;

			cow_pte_link_refs(entry_table(pmdval), LINK_GET, &frames, &zero);
			if (d->mm != mm) {
				stat_inc(&ts->rss, frames);
				stat_inc(&ts->zero_ptes, zero);
			}
		}
		unsigned nzero,
		        n = cow_pte_copy_entries(ptdesc_table(copy), entry_table(pmdval), &nzero);

		if (n && mm->ops->ptes_set)
			mm->ops->ptes_set(copy, n, nzero);
		copy->parent = pmdp;
		WRITE_ONCE(copy->state, PTD_LINKED);
		/* The owner's charge moves to its copy; anyone else's copy is new. */
		if (d->mm == mm)
			cow_pte_disown(mm, d);
		else
			mm_account_table(mm, PT_LEVEL_PTE, 1);
		stat_inc(&ts->pte_tables_allocated, 1);
		if (mm->ops->pmd_install)
			mm->ops->pmd_install(mm, copy);
		pt_populate(pmdp, ptdesc_table(copy));
		/* No walker of ours may still use the shared table when another mm
		 * reuses (and writes) or frees it: flush before letting go. */
		flush_tlb_range(mm, 0, TASK_SIZE);
		cow_pte_put_ref(d);
		spin_unlock(&d->ptl);
		copy = NULL;
		stat_inc(&ts->cow_pte_copied, 1);
		break;
	}
	spin_unlock(pml);
	if (copy)
		pt_free_now(copy); /* never visible to anyone */
	return 0;
}

void cow_pte_break_nofail(struct ptsim_mm *mm, pte_t *pmdp)
{
	/* The kernel's zap and mprotect cannot fail either; a table is one
	 * page, so wait for memory as a __GFP_NOFAIL allocation would. */
	while (cow_pte_break(mm, pmdp))
		sched_yield();
}

bool cow_pte_unshare(struct ptsim_mm *mm, pte_t *pmdp)
{
	struct mm_thread_stats *ts = mm_ts(mm);
	struct ptsim_lock_stats *st;
	spinlock_t *pml = pmd_lockptr(mm, pmdp, &st);
	unsigned frames = 0, zero = 0;
	struct ptdesc *d;
	pte_t pmdval, *table;

	if (!pmd_cow(pt_entry_read(pmdp)))
		return false;
	spin_lock(pml, st);
	pmdval = pt_entry_read(pmdp);
	if (!pmd_cow(pmdval)) {
		spin_unlock(pml);
		return false;
	}
	table = entry_table(pmdval);
	d = ptdesc_of(table);
	if (cow_pte_table_freed(pmdp, pmdval, "cow_pte_unshare")) {
		spin_unlock(pml);
		return true;
	}
	spin_lock(&d->ptl, &ts->ptl);
	if (d->cow_ref == 1) {
		spin_unlock(&d->ptl);
		spin_unlock(pml);
		/* Ours alone now: reuse it and zap or free it as usual. */
		cow_pte_break_nofail(mm, pmdp);
		return false;
	}
	set_pte(pmdp, 0); /* pmd_clear() */
	flush_tlb_range(mm, 0, TASK_SIZE);
	/* Give back what this mm's mappings held; the entries stay for the others.
	 * A deferred link holds no frame; its owner's RSS has the pages. */
	if (!d->cow_deferred)
		cow_pte_link_refs(table, LINK_PUT, &frames, &zero);
	else if (d->mm == mm)
		cow_pte_link_refs(table, LINK_COUNT, &frames, &zero);
	if (d->mm == mm) {
		cow_pte_disown(mm, d);
		mm_account_table(mm, PT_LEVEL_PTE, -1);
	}
	cow_pte_put_ref(d);
	spin_unlock(&d->ptl);
	spin_unlock(pml);
	stat_inc(&ts->rss, -(uint64_t)frames);
	stat_inc(&ts->zero_ptes, -(uint64_t)zero);
	stat_inc(&ts->cow_pte_dropped, 1);
	return true;
}

// SPDX-License-Identifier: MIT
/*
 * The adapter from the public strategy API to struct pt_strategy, and the
 * accessors hooks use. A registered strategy's internal table points at
 * the adapter functions below only for the hooks it defines, so a NULL
 * public hook keeps the shared paths' default exactly as for a built-in.
 */
#include "strategy_ext.h"

#include <string.h>

#include "frame.h"
#include "memalloc.h"
#include "pgalloc.h"
#include "tlb.h"
#include "zap.h"

struct ext_strategy {
	struct pt_strategy base;
	struct ptsim_strategy_ops ops; /* the caller's table, zero past its size */
	char name[PTSIM_STRATEGY_NAME_MAX];
};

static const struct pt_era *const eras[] = {&era_6_18, &era_5_x};

/* The opaque handles are the internal objects themselves. */
static inline struct ptdesc *pd(const struct ptsim_pt *pt)
{
	return (struct ptdesc *)pt;
}
static inline struct ptsim_pt *pt_of(struct ptdesc *d)
{
	return (struct ptsim_pt *)d;
}
static inline struct zap_pte_state *zs(const struct ptsim_zap *z)
{
	return (struct zap_pte_state *)z;
}
static inline const struct ptsim_strategy_ops *ext_ops(const struct ptsim_mm *mm)
{
	return &container_of(mm->ops, struct ext_strategy, base)->ops;
}

/* --- the adapter: internal hook -> public hook ------------------------- */

static int ext_mm_init(struct ptsim_mm *mm)
{
	return ext_ops(mm)->mm_init(mm);
}
static void ext_mm_destroy(struct ptsim_mm *mm)
{
	ext_ops(mm)->mm_destroy(mm);
}
static void ext_pte_table_ctor(struct ptdesc *d)
{
	ext_ops(d->mm)->table_ctor(d->mm, pt_of(d));
}
static void ext_ptes_set(struct ptdesc *d, unsigned n, unsigned nzero)
{
	ext_ops(d->mm)->ptes_set(d->mm, pt_of(d), n, nzero);
}
static void ext_ptes_cleared(struct ptdesc *d, unsigned n, unsigned nzero)
{
	ext_ops(d->mm)->ptes_cleared(d->mm, pt_of(d), n, nzero);
}
static void ext_pte_zero_replaced(struct ptdesc *d)
{
	ext_ops(d->mm)->pte_zero_replaced(d->mm, pt_of(d));
}
static bool ext_pte_tryget(struct ptsim_mm *mm, struct ptdesc *d)
{
	int r = ext_ops(mm)->pte_tryget(mm, pt_of(d));

	if (r == -ENOMEM)
		ptsim_current.pte_map_enomem = true; /* the caller fails, not retries */
	return r > 0;
}
static void ext_pte_put(struct ptsim_mm *mm, struct ptdesc *d)
{
	ext_ops(mm)->pte_put(mm, pt_of(d));
}
/* The public contract (v1): only when the PTL was never dropped mid-range. */
static void ext_zap_pte_locked(struct zap_pte_state *z)
{
	if (z->ptl_held_throughout)
		ext_ops(z->mm)->zap_locked((struct ptsim_zap *)z);
}
static void ext_zap_pte_done(struct zap_pte_state *z)
{
	ext_ops(z->mm)->zap_done((struct ptsim_zap *)z);
}
static int ext_check_pte_table(struct ptdesc *d, unsigned nonnone, unsigned nzero, char *msg,
                               size_t len)
{
	return ext_ops(d->mm)->check_table(d->mm, pt_of(d), nonnone, nzero, msg, len) ? -1 : 0;
}

static void ext_walk_begin(struct ptsim_mm *mm)
{
	ext_ops(mm)->walk_begin(mm);
}
static void ext_walk_end(struct ptsim_mm *mm)
{
	ext_ops(mm)->walk_end(mm);
}
static void ext_free_begin(struct ptsim_mm *mm)
{
	ext_ops(mm)->free_begin(mm);
}
static void ext_free_end(struct ptsim_mm *mm)
{
	ext_ops(mm)->free_end(mm);
}
static void ext_dontneed_done(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	ext_ops(mm)->dontneed_done(mm, start, end);
}

static bool ext_name_ok(const char *name)
{
	size_t n = name ? strnlen(name, PTSIM_STRATEGY_NAME_MAX) : 0;

	if (n == 0 || n == PTSIM_STRATEGY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static const struct pt_era *ext_era(const char *name)
{
	if (!name)
		return &era_6_18;
	for (unsigned i = 0; i < ARRAY_SIZE(eras); i++)
		if (strcmp(name, eras[i]->name) == 0)
			return eras[i];
	return NULL;
}

/* copy_struct_from_user()'s rule: a larger table from a newer header is
 * fine as long as everything this library does not know is zero. */
static bool ext_copy_ops(struct ptsim_strategy_ops *dst, const struct ptsim_strategy_ops *src)
{
	const unsigned char *tail = (const unsigned char *)src + sizeof(*dst);

	if (src->api_version < 1 || src->api_version > PTSIM_STRATEGY_API_VERSION)
		return false;
	if (src->size < PTSIM_STRATEGY_OPS_SIZE_V1)
		return false;
	for (size_t i = sizeof(*dst); i < src->size; i++)
		if (tail[i - sizeof(*dst)])
			return false;
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, src, src->size < sizeof(*dst) ? src->size : sizeof(*dst));
	/* Pairs: a begin without its end would leave its lock held. */
	return !dst->walk_begin == !dst->walk_end && !dst->free_begin == !dst->free_end;
}

const struct pt_strategy *strategy_ext_new(const struct ptsim_strategy_ops *ops,
                                           enum ptsim_strategy id, int *err)
{
	struct ext_strategy *e;
	const struct ptsim_strategy_ops *o;

	*err = -EINVAL;
	if (!ops || !ext_name_ok(ops->name) || !ext_era(ops->era))
		return NULL;
	e = ptsim_alloc(sizeof(*e));
	if (!e) {
		*err = -ENOMEM;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	if (!ext_copy_ops(&e->ops, ops)) {
		ptsim_free(e);
		return NULL;
	}
	o = &e->ops;
	strcpy(e->name, ops->name);
	e->ops.name = e->name; /* the caller's string need not outlive the call */
	e->base.name = e->name;
	e->base.id = id;
	e->base.era = ext_era(ops->era);
	e->ops.era = e->base.era->name;
	e->base.mm_init = o->mm_init ? ext_mm_init : NULL;
	e->base.mm_destroy = o->mm_destroy ? ext_mm_destroy : NULL;
	e->base.pte_table_ctor = o->table_ctor ? ext_pte_table_ctor : NULL;
	e->base.ptes_set = o->ptes_set ? ext_ptes_set : NULL;
	e->base.ptes_cleared = o->ptes_cleared ? ext_ptes_cleared : NULL;
	e->base.pte_zero_replaced = o->pte_zero_replaced ? ext_pte_zero_replaced : NULL;
	e->base.pte_tryget = o->pte_tryget ? ext_pte_tryget : NULL;
	e->base.pte_put = o->pte_put ? ext_pte_put : NULL;
	e->base.zap_pte_locked = o->zap_locked ? ext_zap_pte_locked : NULL;
	e->base.zap_pte_done = o->zap_done ? ext_zap_pte_done : NULL;
	e->base.check_pte_table = o->check_table ? ext_check_pte_table : NULL;
	e->base.walk_begin = o->walk_begin ? ext_walk_begin : NULL;
	e->base.walk_end = o->walk_end ? ext_walk_end : NULL;
	e->base.free_begin = o->free_begin ? ext_free_begin : NULL;
	e->base.free_end = o->free_end ? ext_free_end : NULL;
	e->base.dontneed_done = o->dontneed_done ? ext_dontneed_done : NULL;
	*err = 0;
	return &e->base;
}

/* --- accessors ---------------------------------------------------------- */

uint64_t *ptsim_pt_private(struct ptsim_pt *pt)
{
	return &pd(pt)->pt_ref;
}

struct ptsim_mm *ptsim_pt_mm(const struct ptsim_pt *pt)
{
	return pd(pt)->mm;
}

void ptsim_pt_count(struct ptsim_pt *pt, unsigned *nonnone, unsigned *nzero)
{
	pte_t *table = ptdesc_table(pd(pt));
	unsigned n = 0, z = 0;

	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		pte_t e = ptep_get(&table[i]);

		if (pte_none(e))
			continue;
		n++;
		if (pte_present(e) && is_zero_pfn(pte_pfn(e)))
			z++;
	}
	if (nonnone)
		*nonnone = n;
	if (nzero)
		*nzero = z;
}

void ptsim_pt_lock(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	spin_lock(&pd(pt)->ptl, &mm_ts(mm)->ptl);
}

void ptsim_pt_unlock(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	(void)mm;
	spin_unlock(&pd(pt)->ptl);
}

void ptsim_pmd_lock(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	struct ptsim_lock_stats *st = NULL;
	spinlock_t *pml = pmd_lockptr(mm, pd(pt)->parent, &st);

	spin_lock(pml, st);
}

int ptsim_pmd_trylock(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	struct ptsim_lock_stats *st = NULL;

	if (!spin_trylock(pmd_lockptr(mm, pd(pt)->parent, &st)))
		return 0;
	stat_inc(&st->acquisitions, 1);
	return 1;
}

void ptsim_pmd_unlock(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	struct ptsim_lock_stats *st = NULL;

	spin_unlock(pmd_lockptr(mm, pd(pt)->parent, &st));
}

int ptsim_pmd_maps(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	pte_t pmdval = pt_entry_read(pd(pt)->parent);

	(void)mm;
	return !pte_none(pmdval) && entry_table(pmdval) == ptdesc_table(pd(pt));
}

/* pmd_clear() of the series' free_pte_table(), under the PMD lock. */
int ptsim_pmd_clear(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	if (!ptsim_pmd_maps(mm, pt))
		return -ENOENT;
	set_pte(pd(pt)->parent, 0);
	return 0;
}

void ptsim_pt_flush_tlb(struct ptsim_mm *mm, struct ptsim_pt *pt)
{
	(void)pt; /* the model charges a shootdown per call, whatever the range */
	flush_tlb_range(mm, 0, TASK_SIZE);
}

/* pt_unlinked_free() with the path's counter and the caller's choice of free. */
void ptsim_pt_free(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned flags)
{
	struct mm_thread_stats *ts = mm_ts(mm);
	struct ptdesc *d = pd(pt);

	switch (flags & 0xff) {
	case PTSIM_PT_FREED_WALKER:
		stat_inc(&ts->freed_walker, 1);
		break;
	case PTSIM_PT_FREED_RECLAIM:
		stat_inc(&ts->freed_reclaim, 1);
		break;
	default:
		stat_inc(&ts->freed_zap, 1);
		break;
	}
	if (flags & PTSIM_PT_FREE_NOW) {
		mm_account_table(mm, d->level, -1);
		pt_free_final(d);
		return;
	}
	/* Inside a zap, after the gather's TLB flush; then after a grace period. */
	pt_unlinked_free(mm, d);
}

void ptsim_free_empty_tables(struct ptsim_mm *mm, uint64_t start, uint64_t end)
{
	free_empty_pgtables(mm, start, end);
}

void *ptsim_mm_strategy_data(struct ptsim_mm *mm)
{
	return mm->strategy_data;
}

void ptsim_mm_set_strategy_data(struct ptsim_mm *mm, void *data)
{
	mm->strategy_data = data;
}

void ptsim_count_atomics(struct ptsim_mm *mm, uint64_t n)
{
	stat_inc(&mm_ts(mm)->refcount_atomics, n);
}

void ptsim_strategy_rcu_read_lock(void)
{
	ptsim_thread_enter(); /* liburcu needs the reader registered first */
	ptsim_rcu_read_lock();
}

void ptsim_strategy_rcu_read_unlock(void)
{
	ptsim_rcu_read_unlock();
}

struct ptsim_mm *ptsim_zap_mm(const struct ptsim_zap *z)
{
	return zs(z)->mm;
}

struct ptsim_pt *ptsim_zap_pt(const struct ptsim_zap *z)
{
	return pt_of(zs(z)->pte);
}

unsigned ptsim_zap_flags(const struct ptsim_zap *z)
{
	const struct zap_pte_state *s = zs(z);

	return (s->reclaim_pt ? PTSIM_ZAP_RECLAIM : 0) |
	       (s->end - s->start >= PMD_SIZE ? PTSIM_ZAP_WHOLE : 0) |
	       (s->any_skipped ? PTSIM_ZAP_SKIPPED : 0) |
	       (s->ptl_held_throughout ? PTSIM_ZAP_PTL_HELD : 0) |
	       (s->detached ? PTSIM_ZAP_DETACHED : 0);
}

void ptsim_zap_range(const struct ptsim_zap *z, uint64_t *start, uint64_t *end)
{
	if (start)
		*start = zs(z)->start;
	if (end)
		*end = zs(z)->end;
}

void ptsim_zap_set_detached(struct ptsim_zap *z)
{
	zs(z)->detached = true;
}

struct ptsim_pt *ptsim_zap_pmd_lock(struct ptsim_zap *z)
{
	struct zap_pte_state *s = zs(z);
	struct ptsim_lock_stats *st = NULL;
	spinlock_t *pml = pmd_lockptr(s->mm, s->pmdp, &st);
	pte_t pmdval;

	spin_lock(pml, st);
	pmdval = pt_entry_read(s->pmdp);
	return pte_none(pmdval) ? NULL : pt_of(ptdesc_of(entry_table(pmdval)));
}

void ptsim_zap_pmd_unlock(struct ptsim_zap *z)
{
	struct ptsim_lock_stats *st = NULL;

	spin_unlock(pmd_lockptr(zs(z)->mm, zs(z)->pmdp, &st));
}

void strategy_ext_release(const struct pt_strategy *st)
{
	if (st)
		ptsim_free(container_of(st, struct ext_strategy, base));
}

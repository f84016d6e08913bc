// SPDX-License-Identifier: MIT
/* mm lifetime (mm_users / mm_count), per-thread counters, the global list. */
#include "mm.h"

#include <pthread.h>
#include <unistd.h>

#include "memalloc.h"
#include "strategy.h"
#include "tlb.h"

#define MMAP_BASE    (TASK_SIZE - (128ULL << 20)) /* mmap_base(): TASK_SIZE - the minimum gap */
#define GATHER_BATCH 9700 /* ~ MAX_GATHER_BATCH_COUNT pages of mmu_gather batches */

static pthread_mutex_t mm_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ptsim_mm *mm_list;
static uint64_t mm_next_id = 1;
static uint64_t live_mms;
/* Counters of mms that are gone, so global figures don't shrink. */
static struct ptsim_lock_stats gone_locks[MM_LOCK_KINDS];
/* Freed mms kept back in checked mode (mm_free()). */
#define MM_QUARANTINE 64
static struct ptsim_mm *mm_quarantine[MM_QUARANTINE];
static unsigned mm_quarantine_next;

struct mm_thread_stats *mm_thread_stats_slow(struct ptsim_mm *mm)
{
	struct ptsim_thread *t = &ptsim_current;
	struct mm_thread_stats *s;
	struct ptsim_lock_stats dummy = {0};
	unsigned slot;

	static uint64_t next_tid;

	if (!t->tid)
		t->tid = __atomic_add_fetch(&next_tid, 1, __ATOMIC_RELAXED);
	spin_lock(&mm->stats_lock, &dummy);
	for (s = mm->stats_list; s; s = s->next)
		if (s->owner == t->tid)
			break;
	spin_unlock(&mm->stats_lock);
	if (!s) {
		s = ptsim_alloc(sizeof(*s));
		if (!s)
			return NULL;
		s->owner = t->tid;
		spin_lock(&mm->stats_lock, &dummy);
		s->next = mm->stats_list;
		/* Released: flush_tlb_range() walks the list without the lock. */
		__atomic_store_n(&mm->stats_list, s, __ATOMIC_RELEASE);
		spin_unlock(&mm->stats_lock);
		/* Before this thread's first irqs-off section reads an entry:
		 * pairs with the flusher's fence (tlb.c). */
		smp_mb();
	}
	slot = t->stats_cache_next++ % ARRAY_SIZE(t->stats_cache);
	t->stats_cache[slot].mm = mm;
	t->stats_cache[slot].gen = mm->id;
	t->stats_cache[slot].stats = s;
	return s;
}

struct ptsim_mm *mm_alloc(enum ptsim_strategy s)
{
	const struct pt_strategy *ops = strategy_get(s);
	struct ptsim_mm *mm;
	struct ptdesc *pgd;

	if (!ops)
		return NULL;
	mm = ptsim_alloc(sizeof(*mm));
	if (!mm)
		return NULL;
	mm->ops = ops; /* before mm_init: a registered strategy's adapter finds its hooks here */
	if (ops->mm_init && ops->mm_init(mm)) {
		ptsim_free(mm);
		return NULL;
	}
	pgd = pt_alloc(mm, PT_LEVEL_PGD);
	if (!pgd) {
		if (ops->mm_destroy)
			ops->mm_destroy(mm);
		ptsim_free(mm);
		return NULL;
	}
	pgd->state = PTD_LINKED;
	mm->pgd = ptdesc_table(pgd);
	mm->ops = ops;
	mm->era = ops->era;
	mm->strategy = s;
	vma_tree_init(&mm->vmas);
	mm->vmas.mm = mm;
	mm->mm_lock_seq = 0;
	mm->mmap_base = MMAP_BASE;
	mm->gather_batch = GATHER_BATCH;
	{
		long n = sysconf(_SC_NPROCESSORS_CONF);

		mm->nr_cpu_ids = n > 0 ? (unsigned)n : 1;
	}
	mm_account_table(mm, PT_LEVEL_PGD, 1);
	mm->users = 1;
	mm->count = 1;
	mm->magic = MM_MAGIC_LIVE;

	pthread_mutex_lock(&mm_list_lock);
	mm->id = mm_next_id++;
	mm->global_next = mm_list;
	if (mm_list)
		mm_list->global_prev = mm;
	mm_list = mm;
	live_mms++;
	pthread_mutex_unlock(&mm_list_lock);
	return mm;
}

static void mm_free(struct ptsim_mm *mm)
{
	struct mm_thread_stats *s = mm->stats_list, *n;

	if (mm->ops->mm_destroy)
		mm->ops->mm_destroy(mm);
	pthread_mutex_lock(&mm_list_lock);
	for (; s; s = n) {
		n = s->next;
		lock_stats_add(&gone_locks[0], &s->mmap_lock);
		lock_stats_add(&gone_locks[1], &s->ptl);
		lock_stats_add(&gone_locks[2], &s->pmd_lock);
		lock_stats_add(&gone_locks[3], &s->page_table_lock);
		lock_stats_add(&gone_locks[4], &s->vma_lock);
		lock_stats_add(&gone_locks[5], &s->pt_rwsem_read);
		lock_stats_add(&gone_locks[5], &s->pt_rwsem_write);
		ptsim_free(s);
	}
	pthread_mutex_unlock(&mm_list_lock);
	vma_tree_destroy(&mm->vmas);
	WRITE_ONCE(mm->magic, MM_MAGIC_DEAD);
	if (uaf_checked()) {
		/* Quarantine, as for tables: a stale handle still finds the dead
		 * magic (for the last MM_QUARANTINE mms) instead of reused memory. */
		struct ptsim_mm *old;

		pthread_mutex_lock(&mm_list_lock);
		old = mm_quarantine[mm_quarantine_next];
		mm_quarantine[mm_quarantine_next] = mm;
		mm_quarantine_next = (mm_quarantine_next + 1) % MM_QUARANTINE;
		pthread_mutex_unlock(&mm_list_lock);
		mm = old;
	}
	ptsim_free(mm);
}

bool mm_handle_bad(struct ptsim_mm *mm, const char *op)
{
	uint32_t magic = READ_ONCE(mm->magic);

	if (likely(magic == MM_MAGIC_LIVE))
		return false;
	/* A destroyed mm's strategy field is intact; anything else is no mm. */
	uaf_report_mm(mm, magic == MM_MAGIC_DEAD ? mm->strategy : PTSIM_STRATEGY_COUNT, op);
	return true;
}

void mmgrab(struct ptsim_mm *mm)
{
	__atomic_add_fetch(&mm->count, 1, __ATOMIC_RELAXED);
}

void mmdrop(struct ptsim_mm *mm)
{
	if (__atomic_sub_fetch(&mm->count, 1, __ATOMIC_ACQ_REL) == 0)
		mm_free(mm);
}

void mm_pending_free_start(struct ptsim_mm *mm)
{
	mmgrab(mm);
	atomic_add(&mm->tables_pending_free, 1);
}

void mm_pending_free_done(struct ptsim_mm *mm)
{
	atomic_sub(&mm->tables_pending_free, 1);
	mmdrop(mm);
}

bool mmget_not_zero(struct ptsim_mm *mm)
{
	int v = __atomic_load_n(&mm->users, __ATOMIC_RELAXED);

	do {
		if (v == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&mm->users, &v, v + 1, true, __ATOMIC_ACQUIRE,
	                                      __ATOMIC_RELAXED));
	return true;
}

void mmput(struct ptsim_mm *mm)
{
	if (__atomic_sub_fetch(&mm->users, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_lock(&mm_list_lock);
	if (mm->global_prev)
		mm->global_prev->global_next = mm->global_next;
	else
		mm_list = mm->global_next;
	if (mm->global_next)
		mm->global_next->global_prev = mm->global_prev;
	live_mms--;
	pthread_mutex_unlock(&mm_list_lock);
	exit_mmap(mm);
	mmdrop(mm);
}

void mm_global_lock_stats(struct ptsim_lock_stats out[MM_LOCK_KINDS], uint64_t *live)
{
	pthread_mutex_lock(&mm_list_lock);
	for (int i = 0; i < MM_LOCK_KINDS; i++)
		out[i] = gone_locks[i];
	for (struct ptsim_mm *mm = mm_list; mm; mm = mm->global_next) {
		struct ptsim_lock_stats dummy = {0};

		spin_lock(&mm->stats_lock, &dummy);
		for (struct mm_thread_stats *s = mm->stats_list; s; s = s->next) {
			lock_stats_add(&out[0], &s->mmap_lock);
			lock_stats_add(&out[1], &s->ptl);
			lock_stats_add(&out[2], &s->pmd_lock);
			lock_stats_add(&out[3], &s->page_table_lock);
			lock_stats_add(&out[4], &s->vma_lock);
			lock_stats_add(&out[5], &s->pt_rwsem_read);
			lock_stats_add(&out[5], &s->pt_rwsem_write);
		}
		spin_unlock(&mm->stats_lock);
	}
	*live = live_mms;
	pthread_mutex_unlock(&mm_list_lock);
}

int ptsim_mm_create(enum ptsim_strategy s, struct ptsim_mm **out)
{
	struct ptsim_mm *mm;

	if (!out || (unsigned)s >= ptsim_strategy_count())
		return -EINVAL;
	if (!strategy_get(s))
		return -EOPNOTSUPP;
	ptsim_thread_enter();
	mm = mm_alloc(s);
	if (!mm)
		return -ENOMEM;
	*out = mm;
	return 0;
}

void ptsim_mm_destroy(struct ptsim_mm *mm)
{
	if (!mm)
		return;
	ptsim_thread_enter();
	if (uaf_checked()) {
		/* The handle dies now, even while global reclaim still holds a
		 * reference; a second destroy finds it dead and does nothing. */
		uint32_t old = MM_MAGIC_LIVE;

		if (!__atomic_compare_exchange_n(&mm->magic, &old, MM_MAGIC_DEAD, false,
		                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			uaf_report_mm(mm,
			              old == MM_MAGIC_DEAD ? mm->strategy : PTSIM_STRATEGY_COUNT,
			              "ptsim_mm_destroy");
			return;
		}
	} else {
		WRITE_ONCE(mm->magic, MM_MAGIC_DEAD);
	}
	mmput(mm);
}

int ptsim_mm_set_option(struct ptsim_mm *mm, int option, uint64_t value)
{
	if (!mm || (uaf_checked() && mm_handle_bad(mm, __func__)))
		return -EINVAL;
	switch (option) {
	case PTSIM_OPT_GATHER_BATCH:
		if (value < 1 || value > UINT32_MAX)
			return -EINVAL;
		WRITE_ONCE(mm->gather_batch, (unsigned)value);
		return 0;
	case PTSIM_OPT_TLB_FLUSH_NS:
		if (value > 1000000000ULL)
			return -EINVAL;
		WRITE_ONCE(mm->tlb_flush_ns, value);
		return 0;
	case PTSIM_OPT_MUTANT:
		if (value == PTSIM_MUTANT_COW_NO_BREAK) {
			if (!mm->ops->cow_pte)
				return -EINVAL;
		} else if (value != PTSIM_MUTANT_NONE &&
		           (value >= 32 || !(mm->ops->mutants & (1u << value)))) {
			return -EINVAL;
		}
		/* A protocol switched mid-life would leave tables in states the
		 * other protocol never makes: only before the first mapping. */
		if (READ_ONCE(mm->ever_mapped))
			return -EBUSY;
		WRITE_ONCE(mm->mutant, (unsigned)value);
		return 0;
	case PTSIM_OPT_NR_CPU_IDS:
		if (value < 1 || value > 8192)
			return -EINVAL;
		WRITE_ONCE(mm->nr_cpu_ids, (unsigned)value);
		return 0;
	case PTSIM_OPT_GP_EXPEDITED:
		if (value > 1)
			return -EINVAL;
		WRITE_ONCE(mm->gp_expedited, value == 1);
		return 0;
	case PTSIM_OPT_NO_ZERO_PAGE:
		if (value > 1)
			return -EINVAL;
		WRITE_ONCE(mm->no_zero_page, value == 1);
		return 0;
	case PTSIM_OPT_COW_PTE:
		if (value > 2)
			return -EINVAL;
		if (!mm->ops->cow_pte)
			return -EOPNOTSUPP;
		/* Takes effect at the next fork, as prctl(PR_SET_COW_PTE). */
		WRITE_ONCE(mm->cow_pte, (uint8_t)value);
		return 0;
	default:
		return -EINVAL;
	}
}

enum ptsim_strategy ptsim_mm_strategy(const struct ptsim_mm *mm)
{
	return mm->strategy;
}

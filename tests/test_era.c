// SPDX-License-Identifier: MIT
/*
 * Eras and the TLB model (lib/era.h, lib/tlb.h, lib/zap.h): the era flags of
 * each strategy, TLB flushes counted where the kernel flushes (one per
 * mmu_gather), the shootdown's wait for irqs-off sections, and the option
 * errors of PTSIM_OPT_MUTANT and PTSIM_OPT_TLB_FLUSH_NS. Links the library's
 * objects: the flag and irqs-off tests use internal interfaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include "strategy.h"
#include "tlb.h"

#define BASE  0x500000000000ULL
#define PMD   PTSIM_PMD_SIZE
#define PROT  (PTSIM_PROT_READ | PTSIM_PROT_WRITE)
#define WRITE PTSIM_ACCESS_WRITE

static struct ptsim_mm *new_mm(enum ptsim_strategy s)
{
	struct ptsim_mm *mm = NULL;

	assert_int_equal(ptsim_mm_create(s, &mm), 0);
	return mm;
}

static struct ptsim_mm_stats stats(struct ptsim_mm *mm)
{
	struct ptsim_mm_stats st;

	assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
	return st;
}

static void check(struct ptsim_mm *mm)
{
	char msg[256];

	assert_int_equal(ptsim_mm_check(mm, msg, sizeof(msg)), 0);
}

/* n PMD-sized chunks at BASE, every page written. */
static struct ptsim_mm *filled_mm(enum ptsim_strategy s, unsigned n)
{
	struct ptsim_mm *mm = new_mm(s);

	assert_int_equal(ptsim_mmap(mm, BASE, n * PMD, PROT, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, BASE, n * PMD, WRITE), 0);
	return mm;
}

static void era_flags(void **state)
{
	static const struct {
		enum ptsim_strategy s;
		bool is_618;
	} want[] = {
	        {PTSIM_STRATEGY_NONE, true},      {PTSIM_STRATEGY_RCU, true},
	        {PTSIM_STRATEGY_UNSAFE, true},    {PTSIM_STRATEGY_NONE_5X, false},
	        {PTSIM_STRATEGY_ATOMIC, false},   {PTSIM_STRATEGY_PERCPU, false},
	        {PTSIM_STRATEGY_BITFIELD, false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct pt_strategy *ops = strategy_get(want[i].s);
		const struct pt_era *e;

		if (!ops)
			continue; /* not in this build */
		e = ops->era;
		assert_ptr_equal(e, want[i].is_618 ? &era_6_18 : &era_5_x);
		assert_string_equal(ptsim_strategy_era(want[i].s), e->name);
		assert_int_equal(e->per_vma_locks, want[i].is_618);
		assert_int_equal(e->pte_map_rcu, want[i].is_618);
		assert_int_equal(e->thp_align, want[i].is_618);
		assert_int_equal(e->irqs_off_rcu, want[i].is_618);
		assert_true(e->munmap_downgrade);
	}
}

/* DONTNEED of four whole tables: one gather, one flush, whether the
 * strategy frees the tables (rcu: they wait for that flush) or not. */
static void one_flush_per_dontneed(void **state)
{
	static const enum ptsim_strategy ss[] = {PTSIM_STRATEGY_RCU, PTSIM_STRATEGY_NONE,
	                                         PTSIM_STRATEGY_NONE_5X};

	(void)state;
	for (size_t i = 0; i < sizeof(ss) / sizeof(ss[0]); i++) {
		struct ptsim_mm *mm = filled_mm(ss[i], 4);
		struct ptsim_mm_stats a = stats(mm), b;

		assert_int_equal(a.tlb_flushes, 0); /* faults flush nothing */
		assert_int_equal(ptsim_madvise(mm, BASE, 4 * PMD, PTSIM_MADV_DONTNEED), 0);
		b = stats(mm);
		assert_int_equal(b.tlb_flushes, 1);
		assert_int_equal(b.pte_tables_freed_zap - a.pte_tables_freed_zap,
		                 ss[i] == PTSIM_STRATEGY_RCU ? 4 : 0);
		/* Nothing mapped: nothing to flush. */
		assert_int_equal(ptsim_madvise(mm, BASE, 4 * PMD, PTSIM_MADV_DONTNEED), 0);
		assert_int_equal(stats(mm).tlb_flushes, 1);
		check(mm);
		ptsim_mm_destroy(mm);
	}
	ptsim_synchronize();
}

/* A full gather batch flushes early (tlb_flush_mmu()): 512 frames in
 * batches of 8 are 64 flushes; the last batch ends exactly at the end. */
static void one_flush_per_batch(void **state)
{
	struct ptsim_mm *mm = new_mm(PTSIM_STRATEGY_NONE);

	(void)state;
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_GATHER_BATCH, 8), 0);
	assert_int_equal(ptsim_mmap(mm, BASE, PMD, PROT, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_touch(mm, BASE, PMD, WRITE), 0);
	assert_int_equal(ptsim_madvise(mm, BASE, PMD, PTSIM_MADV_DONTNEED), 0);
	assert_int_equal(stats(mm).tlb_flushes, 64);
	check(mm);
	ptsim_mm_destroy(mm);
}

/* munmap of two VMAs: one flush, the tables freed after it; mprotect: one
 * flush per call that changed entries, none when nothing was mapped. */
static void one_flush_per_munmap_and_mprotect(void **state)
{
	struct ptsim_mm *mm = filled_mm(PTSIM_STRATEGY_RCU, 2);
	struct ptsim_mm_stats st;

	(void)state;
	assert_int_equal(ptsim_mprotect(mm, BASE, 2 * PMD, PTSIM_PROT_READ), 0);
	assert_int_equal(stats(mm).tlb_flushes, 1);
	assert_int_equal(ptsim_mprotect(mm, BASE + PMD, PMD, PROT), 0); /* splits: two VMAs */
	assert_int_equal(stats(mm).tlb_flushes, 2);
	assert_int_equal(ptsim_munmap(mm, BASE, 2 * PMD), 0);
	st = stats(mm);
	assert_int_equal(st.tlb_flushes, 3);
	assert_int_equal(st.pte_tables_freed_unmap, 2);
	assert_int_equal(st.nr_pte_tables, 0);
	assert_int_equal(ptsim_mmap(mm, BASE, PMD, PROT, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_mprotect(mm, BASE, PMD, PTSIM_PROT_READ), 0);
	assert_int_equal(stats(mm).tlb_flushes, 3);
	check(mm);
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
}

/* PTSIM_OPT_TLB_FLUSH_NS: every flush spins at least that long. */
static void calibrated_delay(void **state)
{
	struct ptsim_mm *mm = filled_mm(PTSIM_STRATEGY_RCU, 1);
	struct ptsim_mm_stats st;

	(void)state;
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_TLB_FLUSH_NS, 1000000001ULL), -EINVAL);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_TLB_FLUSH_NS, 200000), 0);
	assert_int_equal(ptsim_madvise(mm, BASE, PMD, PTSIM_MADV_DONTNEED), 0);
	st = stats(mm);
	assert_int_equal(st.tlb_flushes, 1);
	assert_true(st.tlb_flush_ns >= 200000);
	assert_int_equal(st.tlb_irqs_off_wait_ns, 0); /* nobody had interrupts off */
	ptsim_mm_destroy(mm);
	ptsim_synchronize();
}

/* The irqs-off wait: a flusher cannot return while a thread that entered an
 * irqs-off section before it is still inside. Sequenced by semaphores and
 * the flusher's own counter (it counts the flush before it waits). */
static struct {
	struct ptsim_mm *mm;
	sem_t in, release;
	int flushed;
} irq;

static void *irqs_off_thread(void *arg)
{
	(void)arg;
	assert_int_equal(mm_enter(irq.mm), 0);
	local_irq_disable(mm_ts(irq.mm));
	sem_post(&irq.in);
	sem_wait(&irq.release);
	assert_int_equal(__atomic_load_n(&irq.flushed, __ATOMIC_ACQUIRE), 0);
	local_irq_enable(mm_ts(irq.mm));
	return NULL;
}

static void *flusher_thread(void *arg)
{
	(void)arg;
	assert_int_equal(mm_enter(irq.mm), 0);
	flush_tlb_range(irq.mm, BASE, BASE + PMD);
	__atomic_store_n(&irq.flushed, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void flush_waits_for_irqs_off(void **state)
{
	pthread_t a, b;
	struct ptsim_mm_stats st;

	(void)state;
	irq.mm = new_mm(PTSIM_STRATEGY_NONE_5X);
	irq.flushed = 0;
	sem_init(&irq.in, 0, 0);
	sem_init(&irq.release, 0, 0);
	assert_int_equal(pthread_create(&a, NULL, irqs_off_thread, NULL), 0);
	sem_wait(&irq.in);
	assert_int_equal(pthread_create(&b, NULL, flusher_thread, NULL), 0);
	while (stats(irq.mm).tlb_flushes == 0) /* the flusher is inside flush_tlb_range() */
		sched_yield();
	assert_int_equal(__atomic_load_n(&irq.flushed, __ATOMIC_ACQUIRE), 0);
	sem_post(&irq.release);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_int_equal(irq.flushed, 1);
	st = stats(irq.mm);
	assert_int_equal(st.tlb_flushes, 1);
	assert_true(st.tlb_irqs_off_wait_ns > 0);
	assert_true(st.tlb_flush_ns >= st.tlb_irqs_off_wait_ns);

	/* A flush from inside the flusher's own section does not wait for it. */
	assert_int_equal(mm_enter(irq.mm), 0);
	local_irq_disable(mm_ts(irq.mm));
	flush_tlb_range(irq.mm, BASE, BASE + PMD);
	local_irq_enable(mm_ts(irq.mm));
	assert_int_equal(stats(irq.mm).tlb_flushes, 2);
	ptsim_mm_destroy(irq.mm);
}

/* PTSIM_OPT_MUTANT: only the strategy's own mutants, only before mapping. */
static void mutant_option_errors(void **state)
{
	struct ptsim_mm *mm = new_mm(PTSIM_STRATEGY_RCU);

	(void)state;
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_BITFIELD_READ_LOCK),
	                 -EINVAL);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, 32), -EINVAL);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_RCU_FEB2025), 0);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_RCU_NO_PMD_RECHECK),
	                 0);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_NONE), 0);
	assert_int_equal(ptsim_mmap(mm, BASE, PMD, PROT, PTSIM_MAP_FIXED, NULL), 0);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_RCU_FEB2025),
	                 -EBUSY);
	ptsim_mm_destroy(mm);

	mm = new_mm(PTSIM_STRATEGY_NONE);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_RCU_FEB2025),
	                 -EINVAL);
	assert_int_equal(ptsim_mm_set_option(mm, PTSIM_OPT_MUTANT, PTSIM_MUTANT_NONE), 0);
	ptsim_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(era_flags),
	        cmocka_unit_test(one_flush_per_dontneed),
	        cmocka_unit_test(one_flush_per_batch),
	        cmocka_unit_test(one_flush_per_munmap_and_mprotect),
	        cmocka_unit_test(calibrated_delay),
	        cmocka_unit_test(flush_waits_for_irqs_off),
	        cmocka_unit_test(mutant_option_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: MIT
/* Per-VMA locks (lib/vma_lock.c), lock_vma_under_rcu() and downgrade_write(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>

#include "mm.h"
#include "vma_lock.h"

#define BASE 0x400000000000ULL
#define MB   (1ULL << 20)

/* What the first fault that falls back to the mmap lock does. */
static void rebuild(struct ptsim_mm *mm)
{
	mmap_read_lock(mm);
	vma_layout_rebuild(&mm->vmas);
	mmap_read_unlock(mm);
}

static struct ptsim_mm *new_mm(void)
{
	struct ptsim_mm *mm;
	uint64_t a;

	assert_int_equal(ptsim_mm_create(PTSIM_STRATEGY_RCU, &mm), 0);
	assert_int_equal(ptsim_mmap(mm, BASE, 4 * MB, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	                            PTSIM_MAP_FIXED, &a),
	                 0);
	/* Up to VMA_PUBLISH_EAGER_MAX VMAs the unlock published the layout. */
	assert_non_null(__atomic_load_n(&mm->vmas.layout, __ATOMIC_ACQUIRE));
	rebuild(mm);
	return mm;
}

static void test_read_write_exclusion(void **state)
{
	struct ptsim_mm *mm = new_mm();
	struct vm_area *vma;

	(void)state;
	vma = lock_vma_under_rcu(mm, BASE + 4096);
	assert_non_null(vma);
	assert_int_equal(vma->start, BASE);
	assert_int_equal(__atomic_load_n(&vma->vm_refcnt, __ATOMIC_RELAXED), 2);
	assert_true(vma_start_read(mm, vma)); /* readers share */
	vma_end_read(vma);
	vma_end_read(vma);
	assert_int_equal(__atomic_load_n(&vma->vm_refcnt, __ATOMIC_RELAXED), 1);

	/* Write-locked for as long as the mmap write lock is held. */
	mmap_write_lock(mm);
	vma_start_write(mm, vma);
	assert_true(vma_is_write_locked(mm, vma));
	assert_false(vma_start_read(mm, vma));
	assert_null(lock_vma_under_rcu(mm, BASE));
	mmap_write_unlock(mm);
	assert_false(vma_is_write_locked(mm, vma));
	assert_ptr_equal(lock_vma_under_rcu(mm, BASE), vma); /* nothing changed: still published */
	vma_end_read(vma);
	assert_true(vma_start_read(mm, vma));
	vma_end_read(vma);

	/* A hole has no VMA to lock. */
	assert_null(lock_vma_under_rcu(mm, BASE + 4 * MB));
	assert_null(lock_vma_under_rcu(mm, BASE - 4096));
	ptsim_mm_destroy(mm);
}

static void test_detached_and_stale_layout(void **state)
{
	struct ptsim_mm *mm = new_mm();
	struct vm_area *vma, *hi;

	(void)state;
	vma = lock_vma_under_rcu(mm, BASE);
	assert_non_null(vma);
	vma_end_read(vma);
	/* Split by munmap of the middle: the old object keeps the low part. */
	assert_int_equal(ptsim_munmap(mm, BASE + MB, MB), 0);
	rebuild(mm);
	assert_ptr_equal(lock_vma_under_rcu(mm, BASE), vma);
	assert_int_equal(vma->end, BASE + MB);
	vma_end_read(vma);
	assert_null(lock_vma_under_rcu(mm, BASE + MB));
	hi = lock_vma_under_rcu(mm, BASE + 2 * MB);
	assert_non_null(hi);
	assert_ptr_not_equal(hi, vma);
	vma_end_read(hi);

	/* Detached VMAs refuse readers; the layout no longer lists them. */
	ptsim_rcu_read_lock();
	mmap_write_lock(mm);
	{
		struct vm_area *list = vma_detach_range(&mm->vmas, 0, 1);

		assert_ptr_equal(list, vma);
		assert_int_equal(__atomic_load_n(&vma->vm_refcnt, __ATOMIC_RELAXED), 0);
		mmap_write_unlock(mm);
		assert_false(vma_start_read(mm, vma)); /* still readable memory: RCU */
		assert_null(lock_vma_under_rcu(mm, BASE));
		rebuild(mm);
		assert_null(lock_vma_under_rcu(mm, BASE)); /* not in the new layout */
		vma_free_after_publish(&mm->vmas, list);
	}
	ptsim_rcu_read_unlock();
	mmap_write_lock(mm);
	mmap_write_unlock(mm); /* nothing dirty: the list waits for the next publish */
	ptsim_mm_destroy(mm);
}

struct writer_arg {
	struct ptsim_mm *mm;
	struct vm_area *vma;
	int done;
};

static void *writer(void *p)
{
	struct writer_arg *w = p;

	ptsim_thread_enter();
	mm_enter(w->mm);
	mmap_write_lock(w->mm);
	vma_start_write(w->mm, w->vma);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	mmap_write_unlock(w->mm);
	return NULL;
}

static void test_writer_waits_for_reader(void **state)
{
	struct ptsim_mm *mm = new_mm();
	struct writer_arg w = {.mm = mm};
	struct ptsim_mm_stats st;
	pthread_t t;

	(void)state;
	w.vma = lock_vma_under_rcu(mm, BASE);
	assert_non_null(w.vma);
	assert_int_equal(pthread_create(&t, NULL, writer, &w), 0);
	/* The writer cannot finish while we hold the read lock, however long it runs. */
	while (!(__atomic_load_n(&w.vma->vm_refcnt, __ATOMIC_ACQUIRE) & VMA_LOCK_OFFSET))
		sched_yield();
	assert_int_equal(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE), 0);
	assert_false(vma_start_read(mm, w.vma)); /* a draining writer keeps new readers out */
	vma_end_read(w.vma);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.done, 1);
	assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
	assert_true(st.vma_lock.contended >= 2); /* the refused reader and the waiting writer */
	assert_true(st.vma_lock.wait_ns > 0);
	ptsim_mm_destroy(mm);
}

static void test_downgrade(void **state)
{
	struct ptsim_lock_stats st = {0};
	struct rwsem s = {0};

	(void)state;
	down_write(&s, &st);
	assert_false(down_read_trylock(&s, &st));
	downgrade_write(&s);
	assert_false(rwsem_is_write_locked(&s));
	assert_true(down_read_trylock(&s, &st));
	up_read(&s);
	up_read(&s);
	assert_int_equal(s.state, 0);
	assert_int_equal(st.acquisitions, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_read_write_exclusion),
	        cmocka_unit_test(test_detached_and_stale_layout),
	        cmocka_unit_test(test_writer_waits_for_reader),
	        cmocka_unit_test(test_downgrade),
	};

	ptsim_thread_enter();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

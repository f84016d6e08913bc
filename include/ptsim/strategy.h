/* SPDX-License-Identifier: MIT */
/*
 * libptsim strategy API: write a PTE-table freeing scheme outside the
 * library and register it at run time. The full contract (what each hook
 * may do, which locks it runs under, the versioning policy) is in
 * docs/strategy-api.md; examples/strategy_plugin/ is a worked example.
 *
 * A strategy is a table of hooks (struct ptsim_strategy_ops) that the
 * library's fault, zap, walk and check paths call at fixed points; a NULL
 * hook means "nothing to do". Hooks see page tables only through opaque
 * handles (struct ptsim_pt: one PTE table, struct ptsim_zap: one zap of one
 * PTE table) and the accessor functions below. Nothing here depends on
 * liburcu or jemalloc, or on any type inside the library.
 *
 * Registration is for the life of the process: there is no unregistration,
 * so the code and the name of a registered strategy must stay loaded (never
 * dlclose() a plugin that registered one).
 */
#ifndef PTSIM_PTSIM_STRATEGY_H
#define PTSIM_PTSIM_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include <ptsim/ptsim.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of struct ptsim_strategy_ops and of the hooks' contract. A
 * library accepts every version from 1 up to its own; hooks are only ever
 * appended, so an older, smaller table is read with the missing hooks NULL.
 */
#define PTSIM_STRATEGY_API_VERSION 2
/* Registered strategies a process may hold, on top of the built-in ones. */
#define PTSIM_STRATEGY_MAX 64
/* Longest name, terminating NUL included. */
#define PTSIM_STRATEGY_NAME_MAX 32

struct ptsim_pt;  /* one PTE table and its descriptor; opaque to callers */
struct ptsim_zap; /* one zap_pte_range() pass over one PTE table; opaque to callers */

struct ptsim_strategy_ops {
	uint32_t api_version; /* PTSIM_STRATEGY_API_VERSION */
	uint32_t size;        /* sizeof(struct ptsim_strategy_ops) */
	const char *name;     /* [a-z0-9._-], 1..PTSIM_STRATEGY_NAME_MAX-1 characters */
	/* The kernel protocol the strategy runs under: "6.18" (NULL means it)
	 * or "5.x"; ptsim_strategy_era() reports it. docs/design.md, "Eras". */
	const char *era;

	/* The mm was created (strategy data NULL) / its last reference went. */
	int (*mm_init)(struct ptsim_mm *mm);
	void (*mm_destroy)(struct ptsim_mm *mm);

	/* A PTE table was allocated, not yet linked; its private word is 0. */
	void (*table_ctor)(struct ptsim_mm *mm, struct ptsim_pt *pt);
	/* PTL held: n none entries became non-none, nzero of them the zero page. */
	void (*ptes_set)(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned n, unsigned nzero);
	/* PTL held: n non-none entries were cleared, nzero of them the zero page. */
	void (*ptes_cleared)(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned n, unsigned nzero);
	/* PTL held: an entry went from the zero page to a private frame. */
	void (*pte_zero_replaced)(struct ptsim_mm *mm, struct ptsim_pt *pt);

	/*
	 * A visitor (fault, zap, locked walk, mprotect, fork) is about to lock
	 * pt: inside an RCU read section, no PTL held. Return 0 to say "no table
	 * here" (it is being freed), -ENOMEM if the strategy could not allocate
	 * what it needed (the public call then fails with -ENOMEM). Each 1 is
	 * followed by exactly one pte_put().
	 */
	int (*pte_tryget)(struct ptsim_mm *mm, struct ptsim_pt *pt);
	/* The visitor is done: PTL and RCU section dropped. May free pt. */
	void (*pte_put)(struct ptsim_mm *mm, struct ptsim_pt *pt);

	/* PTL held, held for the whole zapped range: may detach the table. */
	void (*zap_locked)(struct ptsim_zap *z);
	/* PTL dropped, TLB flushed; the mmap (or VMA) lock still held. */
	void (*zap_done)(struct ptsim_zap *z);

	/* ptsim_mm_check(): the reference state of one linked PTE table with
	 * `nonnone` entries. 0 if consistent, else non-zero and a message. */
	int (*check_table)(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned nonnone,
	                   unsigned nzero, char *msg, size_t len);

	/* --- version 2: exclusion of walkers, and tables of every level --- */

	/*
	 * A walk of mm's page tables begins / ends: a whole fault (the upper
	 * levels included), a zap, mprotect, MADV_FREE/COLD/PAGEOUT, a locked
	 * walk, ptsim_get_pte(), fork's copy (on the parent and on the child).
	 * The mmap or VMA lock is held, no spinlock; walks of one mm never nest
	 * on a thread. What a strategy takes here keeps its freeing out (the
	 * built-in rwsem: its page-table rwsem for read).
	 */
	void (*walk_begin)(struct ptsim_mm *mm);
	void (*walk_end)(struct ptsim_mm *mm);
	/* munmap or exit begins / ends freeing the tables of the removed
	 * mappings (free_pgtables()): mmap lock held, outside any walk. */
	void (*free_begin)(struct ptsim_mm *mm);
	void (*free_end)(struct ptsim_mm *mm);
	/* MADV_DONTNEED zapped [start, end) of one VMA and its walk ended: the
	 * mmap (or VMA) lock held, no spinlock. May exclude every walker and
	 * call ptsim_free_empty_tables(). */
	void (*dontneed_done)(struct ptsim_mm *mm, uint64_t start, uint64_t end);
};

/* Hooks in version 1: a table of at least this size is accepted. */
#define PTSIM_STRATEGY_OPS_SIZE_V1 \
	(offsetof(struct ptsim_strategy_ops, check_table) + sizeof(void (*)(void)))
/* Hooks in version 2. */
#define PTSIM_STRATEGY_OPS_SIZE_V2 \
	(offsetof(struct ptsim_strategy_ops, dontneed_done) + sizeof(void (*)(void)))

/*
 * Registers a strategy; *id (may be NULL) receives its id, usable wherever
 * the public API takes an enum ptsim_strategy. The table is copied. Errors:
 * -EINVAL for a NULL table, an unknown api_version, a size too small, or
 * bytes past what this library knows that are not zero, a bad name or era,
 * walk_begin without walk_end or free_begin without free_end (or the
 * reverse);
 * -EEXIST for a name already taken (built-in or registered); -ENOSPC when
 * PTSIM_STRATEGY_MAX are registered already. Safe from any thread.
 */
int ptsim_strategy_register(const struct ptsim_strategy_ops *ops, enum ptsim_strategy *id);
/*
 * Strategies known now, built-in and registered: ids 0 .. count-1 are all
 * valid, the built-in ones first (PTSIM_STRATEGY_COUNT of them), then the
 * registered ones in registration order. Look one up by name with
 * ptsim_strategy_parse().
 */
unsigned ptsim_strategy_count(void);

/* A plugin (a shared object) exports this function; a loader calls it once.
 * It registers the plugin's strategies and returns how many, or -errno. */
#define PTSIM_STRATEGY_PLUGIN_INIT "ptsim_strategy_plugin_init"
typedef int (*ptsim_strategy_plugin_init_fn)(void);

/* --- accessors for hooks ------------------------------------------------ */

/* The table's private word: 0 when allocated, the strategy's to use (GCC
 * __atomic builtins on it are fine). Valid while the table is. */
uint64_t *ptsim_pt_private(struct ptsim_pt *pt);
/* The mm the table belongs to. */
struct ptsim_mm *ptsim_pt_mm(const struct ptsim_pt *pt);
/* Counts the table's non-none and zero-page entries. The PTL is held, or
 * the table is unlinked and the caller's. */
void ptsim_pt_count(struct ptsim_pt *pt, unsigned *nonnone, unsigned *nzero);

/* The table's split page-table lock (PTL). Taken after the PMD lock, never before. */
void ptsim_pt_lock(struct ptsim_mm *mm, struct ptsim_pt *pt);
void ptsim_pt_unlock(struct ptsim_mm *mm, struct ptsim_pt *pt);
/* The lock of the PMD entry that maps (or mapped) pt. trylock: 1 = taken. */
void ptsim_pmd_lock(struct ptsim_mm *mm, struct ptsim_pt *pt);
int ptsim_pmd_trylock(struct ptsim_mm *mm, struct ptsim_pt *pt);
void ptsim_pmd_unlock(struct ptsim_mm *mm, struct ptsim_pt *pt);
/* PMD lock held: 1 if the PMD entry still maps pt. */
int ptsim_pmd_maps(struct ptsim_mm *mm, struct ptsim_pt *pt);
/*
 * PMD lock held: clears the PMD entry if it maps pt (pmd_clear() and the
 * TLB flush of the range) and returns 0; -ENOENT if it no longer maps pt.
 * After 0 the table is the caller's, to free with ptsim_pt_free().
 */
int ptsim_pmd_clear(struct ptsim_mm *mm, struct ptsim_pt *pt);
/* A synchronous TLB shootdown of the table's range (flush_tlb_range()), as
 * the 2021/2022 series did under the PMD lock. A zap needs none: its
 * mmu_gather flushes before zap_done runs. */
void ptsim_pt_flush_tlb(struct ptsim_mm *mm, struct ptsim_pt *pt);

/* ptsim_pt_free() flags: one of the paths the stats count it under, and
 * PTSIM_PT_FREE_NOW to skip the RCU grace period. */
#define PTSIM_PT_FREED_ZAP     0x0 /* pte_tables_freed_zap */
#define PTSIM_PT_FREED_WALKER  0x1 /* pte_tables_freed_walker */
#define PTSIM_PT_FREED_RECLAIM 0x2 /* pte_tables_freed_reclaim */
#define PTSIM_PT_FREE_NOW      0x100
/*
 * Frees a table the caller unlinked with ptsim_pmd_clear(): unaccounts it
 * from VmPTE and frees it after an RCU grace period (tlb_remove_table()),
 * or at once with PTSIM_PT_FREE_NOW, which is only safe if no lockless
 * walker (GUP-fast, the simulated MMU) and no visitor can still hold it.
 * No lock needs to be held.
 */
void ptsim_pt_free(struct ptsim_mm *mm, struct ptsim_pt *pt, unsigned flags);

/*
 * (Version 2.) Unlinks every PTE, PMD and PUD table whose span meets
 * [start, end) and that has no entry left, children before parents (the
 * PGD stays), and accounts them (VmPTE, pte_tables_freed_zap,
 * pmd_tables_freed, pud_tables_freed); they are freed after the
 * MADV_DONTNEED's TLB flush and an RCU grace period. It takes no lock:
 * call it only from dontneed_done, while the strategy keeps every walker
 * of mm out (what its walk_begin takes, held exclusively), as the built-in
 * rwsem does with its page-table rwsem held for write.
 */
void ptsim_free_empty_tables(struct ptsim_mm *mm, uint64_t start, uint64_t end);

/* The mm's strategy data: NULL until set (in mm_init, typically). */
void *ptsim_mm_strategy_data(struct ptsim_mm *mm);
void ptsim_mm_set_strategy_data(struct ptsim_mm *mm, void *data);
/* Adds n to the mm's refcount_atomics statistic (atomic RMW on reference state). */
void ptsim_count_atomics(struct ptsim_mm *mm, uint64_t n);
/* An RCU read-side section of the library's RCU: a table freed with
 * ptsim_pt_free() (without PTSIM_PT_FREE_NOW) stays valid inside one that
 * began before it was unlinked. Sections nest. */
void ptsim_strategy_rcu_read_lock(void);
void ptsim_strategy_rcu_read_unlock(void);

/* ptsim_zap_flags() bits. */
#define PTSIM_ZAP_RECLAIM  0x1  /* the caller lets tables be freed (MADV_DONTNEED) */
#define PTSIM_ZAP_WHOLE    0x2  /* the range covers the whole table */
#define PTSIM_ZAP_SKIPPED  0x4  /* some entry in the range was deliberately kept */
#define PTSIM_ZAP_PTL_HELD 0x8  /* the PTL was never dropped mid-range */
#define PTSIM_ZAP_DETACHED 0x10 /* ptsim_zap_set_detached() was called */

struct ptsim_mm *ptsim_zap_mm(const struct ptsim_zap *z);
/* The table zapped. In zap_done it may be gone already unless detached. */
struct ptsim_pt *ptsim_zap_pt(const struct ptsim_zap *z);
unsigned ptsim_zap_flags(const struct ptsim_zap *z);
void ptsim_zap_range(const struct ptsim_zap *z, uint64_t *start, uint64_t *end);
/* zap_locked: records that the strategy cleared the PMD entry (the table is now its). */
void ptsim_zap_set_detached(struct ptsim_zap *z);
/*
 * zap_done: takes the lock of the PMD entry that was zapped and returns the
 * PTE table it maps now (NULL if none), which is only stable until
 * ptsim_zap_pmd_unlock().
 */
struct ptsim_pt *ptsim_zap_pmd_lock(struct ptsim_zap *z);
void ptsim_zap_pmd_unlock(struct ptsim_zap *z);

#ifdef __cplusplus
}
#endif

#endif /* PTSIM_PTSIM_STRATEGY_H */

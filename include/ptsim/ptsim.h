/* SPDX-License-Identifier: MIT */
/*
 * libptsim — a user-space model of the Linux x86-64 user page table.
 *
 * This is the only public header. Every type behind a pointer here is opaque
 * to callers; nothing here depends on liburcu or jemalloc. The design and the
 * contract live in docs/ and in the project README.
 *
 * Conventions:
 *  - Functions return 0 (or a non-negative count) on success and a negative
 *    errno on failure, with the Linux kernel's choice of errno. A call that
 *    fails for bad arguments changes nothing. Where Linux works through a
 *    range and fails part-way, so does libptsim, and what was done stays:
 *    madvise() over a range with holes applies the advice to the mapped
 *    parts and then returns -ENOMEM; MADV_POPULATE_* keeps the pages it
 *    populated before a hole (-ENOMEM), a VMA that forbids the access
 *    (-EINVAL) or an allocation failure (-ENOMEM), and ptsim_touch() those
 *    before an allocation failure; a failed ptsim_fork() leaves the
 *    parent's private entries write-protected, as dup_mmap() does (the next
 *    write reuses the frame). One departure: ptsim_mprotect() over a range
 *    with a hole changes nothing and returns -ENOMEM, where Linux changes
 *    the VMAs before the hole.
 *  - Addresses and lengths are uint64_t user virtual addresses of the
 *    simulated process (48-bit, user half: below PTSIM_TASK_SIZE).
 *  - Any thread may call any function at any time; the library registers
 *    the thread with its RCU implementation on first use and unregisters it
 *    when the thread exits. A thread the program registered with
 *    liburcu-memb itself stays the program's to unregister (after its last
 *    libptsim call).
 */
#ifndef PTSIM_PTSIM_H
#define PTSIM_PTSIM_H

#include <stddef.h>
#include <stdint.h>

#include <ptsim/version.h> /* PTSIM_VERSION, PTSIM_VERSION_NUMBER, ptsim_version() */

#ifdef __cplusplus
extern "C" {
#endif

/* The simulated address space (x86-64, 4-level paging). */
#define PTSIM_PAGE_SHIFT     12
#define PTSIM_PAGE_SIZE      (1ULL << PTSIM_PAGE_SHIFT)
#define PTSIM_PMD_SIZE       (1ULL << 21) /* span of one PTE table */
#define PTSIM_PUD_SIZE       (1ULL << 30) /* span of one PMD table */
#define PTSIM_PGDIR_SIZE     (1ULL << 39) /* span of one PUD table */
#define PTSIM_PTRS_PER_TABLE 512
#define PTSIM_TASK_SIZE      0x00007ffffffff000ULL /* as x86-64 TASK_SIZE_MAX */
#define PTSIM_MMAP_MIN_ADDR  0x10000ULL            /* mmap_min_addr with the LSM default */

/* x86-64 entry bits, as the hardware and the kernel define them. */
#define PTSIM_PTE_PRESENT    (1ULL << 0)
#define PTSIM_PTE_RW         (1ULL << 1)
#define PTSIM_PTE_USER       (1ULL << 2)
#define PTSIM_PTE_PWT        (1ULL << 3)
#define PTSIM_PTE_PCD        (1ULL << 4)
#define PTSIM_PTE_ACCESSED   (1ULL << 5)
#define PTSIM_PTE_DIRTY      (1ULL << 6)
#define PTSIM_PTE_PSE        (1ULL << 7)
#define PTSIM_PTE_GLOBAL     (1ULL << 8)
#define PTSIM_PTE_PROTNONE   PTSIM_PTE_GLOBAL /* when PRESENT is clear */
#define PTSIM_PTE_SPECIAL    (1ULL << 9)      /* software bit: zero page and pfn maps */
#define PTSIM_PTE_SOFT_DIRTY (1ULL << 11)
#define PTSIM_PTE_NX         (1ULL << 63)
#define PTSIM_PTE_PFN_MASK   0x000ffffffffff000ULL
#define PTSIM_PTE_PFN(pte)   (((pte)&PTSIM_PTE_PFN_MASK) >> PTSIM_PAGE_SHIFT)

/* Protections (as PROT_*). */
#define PTSIM_PROT_NONE  0x0
#define PTSIM_PROT_READ  0x1
#define PTSIM_PROT_WRITE 0x2
#define PTSIM_PROT_EXEC  0x4

/* mmap flags. Every mapping is anonymous and private (MAP_PRIVATE|MAP_ANONYMOUS). */
#define PTSIM_MAP_FIXED           0x10
#define PTSIM_MAP_POPULATE        0x8000
#define PTSIM_MAP_FIXED_NOREPLACE 0x100000

/*
 * madvise advice, with Linux's values. NORMAL and WILLNEED are accepted and
 * do nothing here (no readahead, no swap to read back); COLD and PAGEOUT
 * make the entries of frames only this mm maps old (pte_mkold), as Linux
 * does before deactivating or reclaiming them; with no swap modelled,
 * PAGEOUT reclaims nothing beyond that.
 */
#define PTSIM_MADV_NORMAL         0
#define PTSIM_MADV_WILLNEED       3
#define PTSIM_MADV_COLD           20
#define PTSIM_MADV_PAGEOUT        21
#define PTSIM_MADV_DONTNEED       4
#define PTSIM_MADV_FREE           8
#define PTSIM_MADV_POPULATE_READ  22
#define PTSIM_MADV_POPULATE_WRITE 23

/* ptsim_touch access kinds. */
#define PTSIM_ACCESS_READ  0
#define PTSIM_ACCESS_WRITE 1

/* Strategies for freeing PTE tables (see README, "Strategies"). */
enum ptsim_strategy {
	PTSIM_STRATEGY_NONE = 0, /* Linux <= 6.13: tables go with munmap/exit only */
	PTSIM_STRATEGY_ATOMIC,   /* 2021 atomic pte_refcount series */
	PTSIM_STRATEGY_PERCPU,   /* 2022 percpu_ref version */
	PTSIM_STRATEGY_BITFIELD, /* 2022 RFC: mapped/zero counts + reclaim pass */
	PTSIM_STRATEGY_RCU,      /* upstream PT_RECLAIM, Linux 6.14+ */
	PTSIM_STRATEGY_UNSAFE,   /* frees with no protection: a broken scheme on purpose */
	PTSIM_STRATEGY_NONE_5X,  /* "none-5.x": the era-5.x baseline (no freeing, 5.x locking) */
	PTSIM_STRATEGY_RWSEM,    /* "rwsem": a per-mm page-table rwsem (Gunthorpe, 2021) */
	PTSIM_STRATEGY_COUNT
};

/* Fills *out from a name ("none", "atomic", ...); -EINVAL for an unknown name. */
int ptsim_strategy_parse(const char *name, enum ptsim_strategy *out);
/* The strategy's name, or NULL for a value out of range. */
const char *ptsim_strategy_name(enum ptsim_strategy s);
/*
 * The era of a strategy: the locking and walker protocol of the kernel it
 * was written for, "6.18" (none, rcu, unsafe) or "5.x" (none-5.x, atomic,
 * percpu, bitfield, rwsem); NULL for a value out of range. docs/design.md, "Eras".
 */
const char *ptsim_strategy_era(enum ptsim_strategy s);
/* 1 if ptsim_mm_create() accepts the strategy in this build, else 0. */
int ptsim_strategy_available(enum ptsim_strategy s);

struct ptsim_mm; /* one simulated process address space; opaque to callers */

/* Creates an empty mm. -EOPNOTSUPP for a strategy this build lacks. */
int ptsim_mm_create(enum ptsim_strategy s, struct ptsim_mm **out);
/* Tears down every mapping and table (exit_mmap), then frees the mm. NULL is ignored. */
void ptsim_mm_destroy(struct ptsim_mm *mm);
/* Copies the address space as fork(2) does: the child shares frames copy-on-write. */
int ptsim_fork(struct ptsim_mm *parent, struct ptsim_mm **child);
enum ptsim_strategy ptsim_mm_strategy(const struct ptsim_mm *mm);

int ptsim_mmap(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
               uint64_t *out_addr);
int ptsim_munmap(struct ptsim_mm *mm, uint64_t addr, uint64_t len);
int ptsim_mprotect(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int prot);
int ptsim_madvise(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int advice);
/*
 * One access (PTSIM_ACCESS_READ or _WRITE) to each page of [addr, addr+len),
 * each taking the locks a hardware access or page fault would. -EFAULT when
 * a page is outside every mapping, -EACCES when its protection forbids the
 * access; the range is checked before any page is accessed.
 */
int ptsim_touch(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int access);

/* Raw PTE for addr (0 if no table or pte_none). -EINVAL for a non-user address. */
int ptsim_get_pte(struct ptsim_mm *mm, uint64_t addr, uint64_t *pte);
/* PFN of the shared zero page. */
uint64_t ptsim_zero_pfn(void);

/* Runs the mm's strategy reclaim pass. Returns bytes of page tables unlinked
 * (>= 0), or -EBUSY when bitfield's mmap_read_trylock() fails (RFC 7/7). */
int64_t ptsim_reclaim(struct ptsim_mm *mm);
/*
 * Global reclaim: visits live mms, the one with the most reclaimable
 * page-table bytes first, until `target_bytes` are freed (0: no limit).
 * Returns bytes freed.
 */
int64_t ptsim_reclaim_global(uint64_t target_bytes);
/* Waits until every table freed so far has passed its RCU grace period. */
void ptsim_synchronize(void);

/* Lock contention figures. */
struct ptsim_lock_stats {
	uint64_t acquisitions;
	uint64_t contended; /* acquisitions that had to wait */
	uint64_t wait_ns;   /* total time spent waiting */
};

struct ptsim_mm_stats {
	/* VmPTE: bytes of PUD + PMD + PTE tables linked in the mm (not the PGD) */
	uint64_t pgtables_bytes;
	uint64_t nr_pte_tables;
	uint64_t nr_pmd_tables;
	uint64_t nr_pud_tables;
	uint64_t rss_anon_pages; /* MM_ANONPAGES: private frames mapped */
	uint64_t zero_page_ptes; /* entries mapping the shared zero page */
	uint64_t nr_vmas;
	uint64_t total_vm_pages;
	uint64_t faults; /* page faults handled (read + write + cow) */
	uint64_t faults_read;
	uint64_t faults_write;
	uint64_t faults_cow;  /* write faults on a present read-only entry */
	uint64_t access_hits; /* accesses that found a permitting present entry */
	uint64_t pte_tables_allocated;
	uint64_t pte_tables_freed;         /* every path */
	uint64_t pte_tables_freed_zap;     /* by a zap (MADV_DONTNEED) */
	uint64_t pte_tables_freed_unmap;   /* by munmap / free_pgtables */
	uint64_t pte_tables_freed_reclaim; /* by a reclaim pass */
	uint64_t pte_tables_freed_walker;  /* by a walker dropping the last reference */
	uint64_t tables_pending_free;      /* unlinked, waiting for the RCU grace period */
	uint64_t reclaimable_pt_bytes;     /* what the strategy's reclaim pass could free now */
	uint64_t refcount_atomics;         /* atomic RMW on table reference state */
	uint64_t reclaim_passes;
	uint64_t reclaim_write_lock_ns; /* time reclaim held the mmap lock for write */
	struct ptsim_lock_stats mmap_lock;
	struct ptsim_lock_stats ptl; /* PTE table locks */
	struct ptsim_lock_stats pmd_lock;
	struct ptsim_lock_stats page_table_lock; /* mm->page_table_lock (PUD/PGD level) */
	struct ptsim_lock_stats vma_lock;        /* per-VMA locks (era 6.18), readers and writers */
	uint64_t vma_lock_fallbacks;   /* per-VMA lock attempts that fell back to the mmap lock */
	uint64_t tlb_flushes;          /* simulated TLB shootdowns */
	uint64_t tlb_flush_ns;         /* time they cost: calibrated delay + irqs-off waits */
	uint64_t tlb_irqs_off_wait_ns; /* part of it spent waiting for irqs-off sections */
	/* percpu: per-table percpu_ref blocks (about 80 B + 8 B x nr_cpu_ids
	 * each), kmalloc'ed beside the table and not part of pgtables_bytes */
	uint64_t pt_side_bytes;
	uint64_t gp_waits;   /* synchronous grace periods waited for (percpu's switch) */
	uint64_t gp_wait_ns; /* time spent in them */
	/* PTSIM_OPT_COW_PTE: PTE tables this mm's forks shared with a child,
	 * COW breaks by copy and by reuse, and links dropped by a zap or free */
	uint64_t cow_pte_shared;
	uint64_t cow_pte_copied;
	uint64_t cow_pte_reused;
	uint64_t cow_pte_dropped;
	/* pgtables_bytes moving without an allocation or a free: shared tables
	 * this mm took the charge of (reusing one nobody owned) or gave it up
	 * (breaking COW or dropping the link as owner). PTE tables allocated
	 * - freed + adopted - disowned = nr_pte_tables. */
	uint64_t cow_pte_adopted;
	uint64_t cow_pte_disowned;
	/* rwsem: the per-mm page-table rwsem, readers (walks) and writers
	 * (table freeing) together, and the writers alone */
	struct ptsim_lock_stats pt_rwsem;
	struct ptsim_lock_stats pt_rwsem_write;
	/* Upper-level tables freed, every path (munmap and exit included);
	 * pgtables_bytes_freed: VmPTE freed, all three levels */
	uint64_t pmd_tables_freed;
	uint64_t pud_tables_freed;
	uint64_t pgtables_bytes_freed;
};
/*
 * Statistics, read without the mmap lock (so the read shows in no lock
 * figure): a snapshot, exact when the mm is quiet. New fields are only ever
 * appended to the structs, and the calls take the caller's idea of their
 * size: a program built against an older header gets the fields it knows,
 * one built against a newer header gets zeros in those this library lacks.
 * ptsim_mm_get_stats() and ptsim_get_global_stats() pass the size of this
 * header's struct; the plain functions (without the macros) fill the whole
 * current struct. -EINVAL for a size of 0.
 */
int ptsim_mm_get_stats_sized(struct ptsim_mm *mm, struct ptsim_mm_stats *st, size_t size);
int ptsim_mm_get_stats(struct ptsim_mm *mm, struct ptsim_mm_stats *st);
#define ptsim_mm_get_stats(mm, st) \
	ptsim_mm_get_stats_sized((mm), (st), sizeof(struct ptsim_mm_stats))

struct ptsim_global_stats {
	uint64_t live_mms;
	uint64_t tables_in_use;       /* allocated tables, PGD included */
	uint64_t tables_pending_free; /* waiting for a grace period, all mms */
	uint64_t table_slabs;         /* slabs backing tables and descriptors */
	uint64_t table_slab_bytes;
	uint64_t frames_in_use;            /* data frames with a reference, zero page excluded */
	uint64_t frame_meta_bytes;         /* bytes of per-frame metadata allocated */
	uint64_t sim_allocated_bytes;      /* jemalloc arena (libptsim.a) or live malloc bytes */
	uint64_t sim_resident_bytes;       /* arena resident; with malloc, = allocated */
	struct ptsim_lock_stats mmap_lock; /* sums over every mm, live or gone */
	struct ptsim_lock_stats ptl;
	struct ptsim_lock_stats pmd_lock;
	struct ptsim_lock_stats page_table_lock;
	struct ptsim_lock_stats vma_lock;
	uint64_t cow_pte_shared_tables;   /* PTE tables linked by more than one mm now */
	uint64_t cow_pte_unowned_tables;  /* COW PTE tables in no mm's pgtables_bytes */
	struct ptsim_lock_stats pt_rwsem; /* rwsem's page-table rwsem, readers and writers */
};
int ptsim_get_global_stats_sized(struct ptsim_global_stats *st, size_t size);
int ptsim_get_global_stats(struct ptsim_global_stats *st);
#define ptsim_get_global_stats(st) \
	ptsim_get_global_stats_sized((st), sizeof(struct ptsim_global_stats))

/*
 * Statistics by name, in the manner of jemalloc's mallctl(): the field
 * names of struct ptsim_mm_stats ("pgtables_bytes", "faults_read", and
 * "mmap_lock.wait_ns" for a lock's figures) for an mm, or of struct
 * ptsim_global_stats with mm NULL. -ENOENT for a name this library does not
 * have, -EINVAL for a NULL name or value. Reads like ptsim_mm_get_stats().
 */
int ptsim_stat_get(struct ptsim_mm *mm, const char *name, uint64_t *value);
/* The names ptsim_stat_get() knows, i = 0, 1, ...: of the mm statistics
 * (global 0) or the global ones (global 1); NULL past the last. */
const char *ptsim_stat_name(int global, size_t i);

/*
 * Full invariant check (takes the mmap lock for write): counters against
 * the entries, pgtables_bytes against the reachable tables, RSS against the
 * mapped frames, frame references against the mappings, no freed table
 * reachable. Returns 0 when consistent, else -EUCLEAN with a description of
 * the first broken invariant in msg (if msg is not NULL). -ENOMEM when the
 * check could not allocate its own bookkeeping: no verdict either way.
 */
int ptsim_mm_check(struct ptsim_mm *mm, char *msg, size_t msglen);

/*
 * Locked page-table walk, as the kernel's walk_page_range(): holds the mmap
 * lock for read, maps each PTE table with the PTL held (re-checking the PMD
 * after taking the lock), and calls back. Any callback may be NULL. A
 * non-zero return from a callback stops the walk and is returned.
 *  - pte_entry: once per entry of a present PTE table within the range
 *    (none entries included), with the table's lock held.
 *  - pte_hole: a range with no table at `level` (1 = PUD, 2 = PMD, 3 = PTE)
 *    or with no VMA (level -1).
 *  - pmd_entry: once per present PMD entry, before its PTEs.
 * Returns -ENOMEM if [start, end) is not entirely covered by VMAs (after
 * walking the covered parts), and -EINVAL for start >= end or an unaligned
 * or non-user range, as walk_page_range() does. Callbacks run with the mmap
 * lock (and, for pte_entry, a PTL) held: they must not call libptsim on the
 * same mm.
 */
struct ptsim_walk_ops {
	int (*pmd_entry)(uint64_t pmd, uint64_t addr, uint64_t next, void *priv);
	int (*pte_entry)(uint64_t pte, uint64_t addr, uint64_t next, void *priv);
	int (*pte_hole)(uint64_t addr, uint64_t next, int level, void *priv);
};
int ptsim_walk_page_range(struct ptsim_mm *mm, uint64_t start, uint64_t end,
                          const struct ptsim_walk_ops *ops, void *priv);

/*
 * Lockless walk, as GUP-fast: no mmap lock, each level read once inside an
 * RCU read-side section (the simulator's stand-in for interrupts off). For
 * each page from addr, takes a reference on the mapped frame if the entry
 * is present and permits the access (write: writable), re-checking the PMD
 * and PTE afterwards; stops at the first page it cannot handle. Stores the
 * PFNs in pfns[] and returns how many pages it pinned (0..nr_pages). Pinned
 * frames must be released with ptsim_unpin().
 */
int ptsim_gup_fast(struct ptsim_mm *mm, uint64_t addr, int nr_pages, int write, uint64_t *pfns);
void ptsim_unpin(const uint64_t *pfns, int nr_pages);

/*
 * Per-mm tunables.
 *  PTSIM_OPT_GATHER_BATCH: frames a zap frees before the simulated
 *  mmu_gather batch is full and zap_pte_range() must drop the PTL, flush
 *  and retake it (force_break). Default 9700, about the kernel's batch
 *  limit; a small value makes the zapper drop the PTL mid-table, the
 *  window of the 2025 PT_RECLAIM race (a faulter refilling a half-zapped
 *  table). Must be >= 1.
 */
#define PTSIM_OPT_GATHER_BATCH 1
/*
 *  PTSIM_OPT_TLB_FLUSH_NS: the calibrated cost of one TLB shootdown (IPIs
 *  sent and acknowledged), spun wherever the kernel flushes; default 0.
 *  Besides it, a shootdown always waits for threads inside an interrupts-off
 *  section (GUP-fast, the simulated MMU walk) of that mm.
 *  PTSIM_OPT_MUTANT: removes one protection of the mm's strategy
 *  (PTSIM_MUTANT_*), to show that the use-after-free detector or the
 *  invariant checker catches the race it guards against. -EINVAL for a
 *  mutant of another strategy. Research and tests only.
 *  PTSIM_OPT_NR_CPU_IDS: nr_cpu_ids for sizing percpu's per-table
 *  percpu_ref block (default: the CPUs online).
 *  PTSIM_OPT_GP_EXPEDITED: 1 = percpu's synchronous switch to atomic mode
 *  waits for an expedited grace period, 0 (default) = a normal one.
 *  PTSIM_OPT_NO_ZERO_PAGE: 1 = read faults map a fresh frame instead of
 *  the zero page, as on a host where mm_forbids_zeropage() holds.
 */
#define PTSIM_OPT_TLB_FLUSH_NS 2
#define PTSIM_OPT_MUTANT       3
#define PTSIM_OPT_NR_CPU_IDS   4
#define PTSIM_OPT_GP_EXPEDITED 5
#define PTSIM_OPT_NO_ZERO_PAGE 6
/*
 *  PTSIM_OPT_COW_PTE: 1 = this mm's later forks share anonymous PTE
 *  tables wholly covered by one VMA with the child instead of copying
 *  them (Chih-En Lin's "Introduce Copy-On-Write to Page Table" RFC,
 *  prctl(PR_SET_COW_PTE)); 0 (default) = plain copies. Children inherit
 *  the setting. Both PMD entries are write-protected and the table
 *  counts its links; a write or read fault, a zap (MADV_DONTNEED/FREE,
 *  munmap, exit), mprotect or a table free breaks COW first: copy the
 *  table, or reuse it if no other mm links it; a zap or free of the whole
 *  table just drops this mm's link. Frames are referenced and counted in
 *  every sharer's RSS, as a plain fork does; pgtables_bytes of a shared
 *  table is charged to one owner (the mm that had it), to nobody after
 *  the owner breaks COW or drops its link, and to the mm that reuses it
 *  last (docs/design.md, "COW page tables"). Accepted by the none,
 *  none-5x and rcu strategies; -EOPNOTSUPP for atomic, percpu, bitfield,
 *  unsafe and registered strategies, whose per-table reference state
 *  belongs to one mm and one PMD entry.
 *  2 = the same sharing with the accounting deferred to the COW break (as
 *  On-Demand-Fork and RFC v1/v2): fork links the tables without touching
 *  their entries or frames; a shared table's frames hold one reference
 *  for all its links and count only in the owner's RSS (0 in a child that
 *  has not broken COW, as RFC v2 reported); a break by copy takes a
 *  reference per frame and write-protects the entries, a break by reuse or
 *  a dropped link takes or puts none, and the mm that copies or reuses a
 *  table it did not own adds its pages to its RSS.
 */
#define PTSIM_OPT_COW_PTE 7

#define PTSIM_MUTANT_NONE               0
#define PTSIM_MUTANT_BITFIELD_READ_LOCK 1 /* reclaim under the mmap read lock */
#define PTSIM_MUTANT_ATOMIC_NO_TRYGET   2 /* visitors map the table without a reference */
#define PTSIM_MUTANT_PERCPU_NO_GP       3 /* the switch to atomic mode skips the grace period */
#define PTSIM_MUTANT_RCU_NO_PMD_RECHECK 4 /* pte_offset_map_lock() trusts its PMD snapshot */
#define PTSIM_MUTANT_RCU_FEB2025        5 /* the fast path frees a table whose PTL was dropped */
/* Zaps and table frees ignore COW links: a shared table is emptied and freed
 * under the other mms (any strategy accepting PTSIM_OPT_COW_PTE). */
#define PTSIM_MUTANT_COW_NO_BREAK    16
#define PTSIM_MUTANT_RWSEM_READ_FREE 6 /* rwsem: tables are freed under the rwsem for read */
int ptsim_mm_set_option(struct ptsim_mm *mm, int option, uint64_t value);

/*
 * Use-after-free detector ("checked mode"). When the library is built with
 * it (CMake option PTSIM_CHECKED, on by default) and it is switched on
 * (ptsim_set_checked(1), or PTSIM_CHECKED=1 in the environment at load:
 * 1/on/true/yes switch it on, 0/off/false/no leave it off, any other value
 * leaves it off with a warning on stderr),
 * a freed table is poisoned and kept in quarantine instead of being reused
 * at once, and every walker (faults, zaps, locked walks, GUP-fast, the
 * simulated MMU) validates each table it reads. An access to a freed table
 * is reported here, and the walker backs off as if the table were absent:
 * not a crash, not a silent wrong answer.
 */
struct ptsim_uaf_report {
	uint64_t table;               /* address of the freed table that was accessed */
	int level;                    /* 0 = PGD ... 3 = PTE, or PTSIM_UAF_LEVEL_MM */
	enum ptsim_strategy strategy; /* of the mm the table belonged to */
	const char *op;               /* static string naming the walker: "gup_fast", ... */
	uint64_t addr;                /* the user address being resolved; 0 from pte_unmap_unlock */
};
/*
 * Level PTSIM_UAF_LEVEL_MM: an mm handle that ptsim_mm_destroy() was
 * already called on (or that never was one) was passed to `op`; `table` is
 * the handle, `strategy` its strategy (PTSIM_STRATEGY_COUNT if unknown).
 * The call returns -EINVAL (ptsim_mm_destroy: does nothing). Checked mode
 * keeps the last 64 destroyed mms' memory back so that this can be seen;
 * a handle older than that is undefined behaviour, as without checking.
 */
#define PTSIM_UAF_LEVEL_MM (-1)
/* 1 if this build has the detector. */
int ptsim_checked_available(void);
/* Switches checked mode; returns the previous setting, or -EOPNOTSUPP. */
int ptsim_set_checked(int on);
/* Reports so far (all threads, all mms). */
uint64_t ptsim_uaf_count(void);
/* Copies report i (only the first PTSIM_UAF_KEEP are kept); -ENOENT past them. */
#define PTSIM_UAF_KEEP 64
int ptsim_uaf_get(uint64_t i, struct ptsim_uaf_report *r);
void ptsim_uaf_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* PTSIM_PTSIM_H */

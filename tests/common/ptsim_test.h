/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the CMocka tests: a fixture that checks for leaks, steps
 * that run ptsim_mm_check() after every call, exact counter assertions, and
 * a runner for the trace grammar of shared/traces/README.md.
 *
 * Every test uses the public header only.
 */
#ifndef PTSIM_TEST_H
#define PTSIM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ptsim/ptsim.h>
#include <ptsim/strategy.h>

#define KiB         1024ULL
#define MiB         (1024ULL * KiB)
#define GiB         (1024ULL * MiB)
#define PG          PTSIM_PAGE_SIZE
#define TABLE_BYTES 4096ULL

/*
 * Every test maps at this base, as the shared traces do: a 512 GiB-aligned
 * slot, so one PUD table covers it and nothing else shares its tables.
 */
#define PT_BASE 0x500000000000ULL
#define AT(off) (PT_BASE + (off))

#define PROT_RW (PTSIM_PROT_READ | PTSIM_PROT_WRITE)

/* Printed before a failure in pt_check_mm() when set (e.g. the trace line). */
extern const char *pt_step_context;

/* The strategy under test (from argv[1], or the default of a program). */
extern enum ptsim_strategy pt_strategy;

/*
 * The built-in strategy whose expected figures apply: pt_strategy itself,
 * or for a plugin strategy the one named by --as.
 */
extern enum ptsim_strategy pt_expect;

/* dlopen()s a strategy plugin and runs its init: strategies registered, or -errno. */
int pt_plugin_load(const char *path);

/*
 * `[--plugin PATH]... [--as BUILTIN]` may come first: loads the plugins and
 * sets pt_expect (argv is shifted past them).
 * Reads argv[1] as a strategy name into pt_strategy. Returns -1 when the
 * program should go on, else the exit status to return at once: 77 (ctest
 * SKIP_RETURN_CODE) when this build lacks the strategy, 2 for a bad name.
 */
int pt_strategy_from_args(int argc, char **argv, enum ptsim_strategy dflt);

/* Fixture: one mm of pt_strategy, and the global figures to return to. */
#define PT_MAX_EXTRA_MMS 4
struct pt_fixture {
	struct ptsim_mm *mm;
	struct ptsim_mm *extra[PT_MAX_EXTRA_MMS]; /* children: destroyed by the teardown */
	struct ptsim_global_stats g0;
	const void *param; /* the test's initial_state */
};
/* Creates the mm; *state becomes a struct pt_fixture (param = initial state). */
int pt_setup(void **state);
/*
 * Destroys every mm, waits for the grace period, and fails the test unless
 * live mms, tables, pending frees and frames are back to what setup saw.
 */
int pt_teardown(void **state);
/* Hands a child mm to the fixture so that the teardown destroys it. */
void pt_adopt(struct pt_fixture *f, struct ptsim_mm *mm);
/* Destroys one adopted mm now (and forgets it). */
void pt_destroy(struct pt_fixture *f, struct ptsim_mm *mm);

struct ptsim_mm_stats pt_stats(struct ptsim_mm *mm);
struct ptsim_global_stats pt_global(void);

/*
 * ptsim_mm_check() plus the invariants the stats alone must satisfy:
 * pgtables_bytes = 4 KiB per PUD, PMD and PTE table; PTE tables allocated
 * minus freed = PTE tables linked; faults = read + write + cow.
 */
void pt_check_mm(struct ptsim_mm *mm, const char *file, int line);
#define assert_mm_ok(mm) pt_check_mm((mm), __FILE__, __LINE__)

/* One step: the call must return `want`, and the mm must then be consistent. */
void pt_step(struct ptsim_mm *mm, long rc, long want, const char *what, const char *file, int line);
#define STEP(mm, call)          pt_step((mm), (call), 0, #call, __FILE__, __LINE__)
#define STEP_ERR(mm, call, err) pt_step((mm), (call), (err), #call, __FILE__, __LINE__)

/* Exact table counts; pgtables_bytes must be their sum times 4 KiB. */
void pt_assert_tables(struct ptsim_mm *mm, uint64_t pud, uint64_t pmd, uint64_t pte,
                      const char *file, int line);
#define assert_tables(mm, pud, pmd, pte) \
	pt_assert_tables((mm), (pud), (pmd), (pte), __FILE__, __LINE__)

/* The raw entry of addr (the call itself must succeed). */
uint64_t pt_pte(struct ptsim_mm *mm, uint64_t addr);

/* MAP_FIXED mapping at addr; the step checks the returned address too. */
void pt_map_fixed(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int prot, const char *file,
                  int line);
#define map_fixed(mm, addr, len, prot) pt_map_fixed((mm), (addr), (len), (prot), __FILE__, __LINE__)
/* Mapping without MAP_FIXED (hint may be 0); returns the address. */
uint64_t pt_map_hint(struct ptsim_mm *mm, uint64_t hint, uint64_t len, int prot, const char *file,
                     int line);
#define map_hint(mm, hint, len, prot) pt_map_hint((mm), (hint), (len), (prot), __FILE__, __LINE__)

/* Asserts that two stats snapshots agree on every content counter. */
void pt_assert_same_state(const struct ptsim_mm_stats *a, const struct ptsim_mm_stats *b,
                          const char *file, int line);
#define assert_same_state(a, b) pt_assert_same_state((a), (b), __FILE__, __LINE__)

/*
 * Runs a trace (grammar of shared/traces/README.md: mmap, munmap, touch,
 * madvise, mprotect, check LABEL, fork_check) on mm, offsets from PT_BASE,
 * with ptsim_mm_check() after every line. Each check stores the mm's
 * pgtables_bytes in KiB into kib[], each fork_check the child's. Returns
 * the number of figures stored; a failing line fails the test.
 */
int pt_run_trace(struct ptsim_mm *mm, const char *trace, int64_t *kib, int max);

#endif

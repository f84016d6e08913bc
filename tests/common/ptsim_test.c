/* SPDX-License-Identifier: MIT */
#include "ptsim_test.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ptsim_strategy pt_strategy = PTSIM_STRATEGY_NONE;
const char *pt_step_context;

/* Fails the test at the caller's line, naming the trace line if there is one. */
static void fail_at(const char *file, int line)
{
	if (pt_step_context)
		print_error("(in %s)\n", pt_step_context);
	_fail(file, line);
}

enum ptsim_strategy pt_expect = PTSIM_STRATEGY_NONE;

int pt_plugin_load(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ptsim_strategy_plugin_init_fn init;
	int n;

	if (!h) {
		fprintf(stderr, "cannot load plugin %s: %s\n", path, dlerror());
		return -ENOENT;
	}
	*(void **)&init = dlsym(h, PTSIM_STRATEGY_PLUGIN_INIT);
	if (!init) {
		fprintf(stderr, "plugin %s has no %s\n", path, PTSIM_STRATEGY_PLUGIN_INIT);
		return -ENOENT;
	}
	n = init(); /* never dlclose(): its strategies stay registered */
	if (n < 0)
		fprintf(stderr, "plugin %s: %s() = %d\n", path, PTSIM_STRATEGY_PLUGIN_INIT, n);
	return n;
}

/* `--plugin PATH [--as BUILTIN]` before the strategy name: load a plugin,
 * and take the expected figures from a built-in strategy. */
static int pt_plugin_args(int *argc, char **argv, bool *have_as)
{
	while (*argc > 2 && (strcmp(argv[1], "--plugin") == 0 || strcmp(argv[1], "--as") == 0)) {
		if (strcmp(argv[1], "--plugin") == 0) {
			if (pt_plugin_load(argv[2]) < 0)
				return 2;
		} else if (ptsim_strategy_parse(argv[2], &pt_expect) != 0 ||
		           (unsigned)pt_expect >= PTSIM_STRATEGY_COUNT) {
			fprintf(stderr, "%s: --as wants a built-in strategy, not '%s'\n", argv[0],
			        argv[2]);
			return 2;
		} else {
			*have_as = true;
		}
		memmove(&argv[1], &argv[3],
		        (size_t)(*argc - 2) * sizeof(*argv)); /* with argv[argc] */
		*argc -= 2;
	}
	return -1;
}

int pt_strategy_from_args(int argc, char **argv, enum ptsim_strategy dflt)
{
	bool have_as = false;
	int rc = pt_plugin_args(&argc, argv, &have_as);

	if (rc >= 0)
		return rc;
	pt_strategy = dflt;
	if (argc > 1 && ptsim_strategy_parse(argv[1], &pt_strategy) != 0) {
		fprintf(stderr, "%s: unknown strategy '%s'\n", argv[0], argv[1]);
		return 2;
	}
	if (!ptsim_strategy_available(pt_strategy)) {
		printf("strategy %s is not available in this build: skipped\n",
		       ptsim_strategy_name(pt_strategy));
		return 77;
	}
	if (!have_as)
		pt_expect = pt_strategy;
	return -1;
}

struct ptsim_mm_stats pt_stats(struct ptsim_mm *mm)
{
	struct ptsim_mm_stats st;

	memset(&st, 0xa5, sizeof(st)); /* garbage, so a call that fills nothing shows */
	assert_int_equal(ptsim_mm_get_stats(mm, &st), 0);
	return st;
}

struct ptsim_global_stats pt_global(void)
{
	struct ptsim_global_stats g;

	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(ptsim_get_global_stats(&g), 0);
	return g;
}

int pt_setup(void **state)
{
	struct pt_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->param = *state;
	/* Tables of earlier tests may still wait for their grace period. */
	ptsim_synchronize();
	f->g0 = pt_global();
	if (ptsim_mm_create(pt_strategy, &f->mm) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

void pt_adopt(struct pt_fixture *f, struct ptsim_mm *mm)
{
	for (int i = 0; i < PT_MAX_EXTRA_MMS; i++) {
		if (!f->extra[i]) {
			f->extra[i] = mm;
			return;
		}
	}
	fail_msg("more than %d extra mms in one test", PT_MAX_EXTRA_MMS);
}

void pt_destroy(struct pt_fixture *f, struct ptsim_mm *mm)
{
	if (f->mm == mm)
		f->mm = NULL;
	for (int i = 0; i < PT_MAX_EXTRA_MMS; i++)
		if (f->extra[i] == mm)
			f->extra[i] = NULL;
	ptsim_mm_destroy(mm);
}

int pt_teardown(void **state)
{
	struct pt_fixture *f = *state;
	struct ptsim_global_stats g;
	int bad = 0;

	for (int i = 0; i < PT_MAX_EXTRA_MMS; i++)
		ptsim_mm_destroy(f->extra[i]);
	ptsim_mm_destroy(f->mm);
	/* Freed tables come back only after the grace period. */
	ptsim_synchronize();
	g = pt_global();
#define BACK(field)                                                                                \
	do {                                                                                       \
		if (g.field != f->g0.field) {                                                      \
			print_error("after destroy: global " #field " = %" PRIu64 ", was %" PRIu64 \
			            " before the test\n",                                          \
			            g.field, f->g0.field);                                         \
			bad = 1;                                                                   \
		}                                                                                  \
	} while (0)
	BACK(live_mms);
	BACK(tables_in_use);
	BACK(tables_pending_free);
	BACK(frames_in_use);
#undef BACK
	free(f);
	return bad ? -1 : 0;
}

void pt_check_mm(struct ptsim_mm *mm, const char *file, int line)
{
	char msg[512] = "";
	struct ptsim_mm_stats st;
	int rc = ptsim_mm_check(mm, msg, sizeof(msg));

	if (rc != 0) {
		print_error("ptsim_mm_check() = %d: %s\n", rc, msg);
		fail_at(file, line);
	}
	if (ptsim_mm_get_stats(mm, &st) != 0) {
		print_error("ptsim_mm_get_stats() failed\n");
		fail_at(file, line);
	}
	if (st.pgtables_bytes !=
	    TABLE_BYTES * (st.nr_pud_tables + st.nr_pmd_tables + st.nr_pte_tables)) {
		print_error("pgtables_bytes %" PRIu64 " != 4 KiB x (%" PRIu64 " PUD + %" PRIu64
		            " PMD + %" PRIu64 " PTE tables)\n",
		            st.pgtables_bytes, st.nr_pud_tables, st.nr_pmd_tables,
		            st.nr_pte_tables);
		fail_at(file, line);
	}
	/* COW PTE tables: charges taken over or given up move it too. */
	if (st.pte_tables_allocated - st.pte_tables_freed + st.cow_pte_adopted -
	            st.cow_pte_disowned !=
	    st.nr_pte_tables) {
		print_error("PTE tables allocated %" PRIu64 " - freed %" PRIu64
		            " + adopted %" PRIu64 " - disowned %" PRIu64 " != linked %" PRIu64 "\n",
		            st.pte_tables_allocated, st.pte_tables_freed, st.cow_pte_adopted,
		            st.cow_pte_disowned, st.nr_pte_tables);
		fail_at(file, line);
	}
	if (st.pte_tables_freed != st.pte_tables_freed_zap + st.pte_tables_freed_unmap +
	                                   st.pte_tables_freed_reclaim +
	                                   st.pte_tables_freed_walker) {
		print_error("pte_tables_freed %" PRIu64 " != zap %" PRIu64 " + unmap %" PRIu64
		            " + reclaim %" PRIu64 " + walker %" PRIu64 "\n",
		            st.pte_tables_freed, st.pte_tables_freed_zap, st.pte_tables_freed_unmap,
		            st.pte_tables_freed_reclaim, st.pte_tables_freed_walker);
		fail_at(file, line);
	}
	if (st.faults != st.faults_read + st.faults_write + st.faults_cow) {
		print_error("faults %" PRIu64 " != read %" PRIu64 " + write %" PRIu64
		            " + cow %" PRIu64 "\n",
		            st.faults, st.faults_read, st.faults_write, st.faults_cow);
		fail_at(file, line);
	}
}

void pt_step(struct ptsim_mm *mm, long rc, long want, const char *what, const char *file, int line)
{
	if (rc != want) {
		print_error("%s = %ld (%s), expected %ld (%s)\n", what, rc,
		            rc < 0 ? strerror((int)-rc) : "ok", want,
		            want < 0 ? strerror((int)-want) : "ok");
		fail_at(file, line);
	}
	pt_check_mm(mm, file, line);
}

void pt_assert_tables(struct ptsim_mm *mm, uint64_t pud, uint64_t pmd, uint64_t pte,
                      const char *file, int line)
{
	struct ptsim_mm_stats st = pt_stats(mm);

	if (st.nr_pud_tables != pud || st.nr_pmd_tables != pmd || st.nr_pte_tables != pte ||
	    st.pgtables_bytes != TABLE_BYTES * (pud + pmd + pte)) {
		print_error("tables: PUD %" PRIu64 " PMD %" PRIu64 " PTE %" PRIu64
		            " pgtables_bytes %" PRIu64 "; expected PUD %" PRIu64 " PMD %" PRIu64
		            " PTE %" PRIu64 " pgtables_bytes %" PRIu64 "\n",
		            st.nr_pud_tables, st.nr_pmd_tables, st.nr_pte_tables, st.pgtables_bytes,
		            pud, pmd, pte, (uint64_t)(TABLE_BYTES * (pud + pmd + pte)));
		fail_at(file, line);
	}
}

uint64_t pt_pte(struct ptsim_mm *mm, uint64_t addr)
{
	uint64_t pte = 0xdeadbeef;

	assert_int_equal(ptsim_get_pte(mm, addr, &pte), 0);
	return pte;
}

void pt_map_fixed(struct ptsim_mm *mm, uint64_t addr, uint64_t len, int prot, const char *file,
                  int line)
{
	uint64_t out = 0;

	pt_step(mm, ptsim_mmap(mm, addr, len, prot, PTSIM_MAP_FIXED, &out), 0, "ptsim_mmap(FIXED)",
	        file, line);
	if (out != addr) {
		print_error("MAP_FIXED mapping at 0x%" PRIx64 " returned 0x%" PRIx64 "\n", addr,
		            out);
		fail_at(file, line);
	}
}

uint64_t pt_map_hint(struct ptsim_mm *mm, uint64_t hint, uint64_t len, int prot, const char *file,
                     int line)
{
	uint64_t out = 0;

	pt_step(mm, ptsim_mmap(mm, hint, len, prot, 0, &out), 0, "ptsim_mmap(hint)", file, line);
	return out;
}

void pt_assert_same_state(const struct ptsim_mm_stats *a, const struct ptsim_mm_stats *b,
                          const char *file, int line)
{
#define SAME(field)                                                                            \
	do {                                                                                   \
		if (a->field != b->field) {                                                    \
			print_error(#field " changed: %" PRIu64 " -> %" PRIu64 "\n", a->field, \
			            b->field);                                                 \
			fail_at(file, line);                                                   \
		}                                                                              \
	} while (0)
	SAME(pgtables_bytes);
	SAME(nr_pte_tables);
	SAME(nr_pmd_tables);
	SAME(nr_pud_tables);
	SAME(rss_anon_pages);
	SAME(zero_page_ptes);
	SAME(nr_vmas);
	SAME(total_vm_pages);
	SAME(faults);
	SAME(access_hits);
	SAME(pte_tables_allocated);
	SAME(pte_tables_freed);
#undef SAME
}

/* --- trace runner ------------------------------------------------------ */

static int parse_advice(const char *w)
{
	if (!strcmp(w, "dontneed"))
		return PTSIM_MADV_DONTNEED;
	if (!strcmp(w, "free"))
		return PTSIM_MADV_FREE;
	if (!strcmp(w, "populate_read"))
		return PTSIM_MADV_POPULATE_READ;
	if (!strcmp(w, "populate_write"))
		return PTSIM_MADV_POPULATE_WRITE;
	return -1;
}

static int parse_prot(const char *w)
{
	if (!strcmp(w, "r"))
		return PTSIM_PROT_READ;
	if (!strcmp(w, "rw"))
		return PROT_RW;
	if (!strcmp(w, "none"))
		return PTSIM_PROT_NONE;
	return -1;
}

/* Runs one trace line; returns the call's result, or -ENOTSUP for bad syntax. */
static long run_trace_line(struct ptsim_mm *mm, const char *op, uint64_t off, uint64_t len,
                           const char *w)
{
	uint64_t out;

	if (!strcmp(op, "mmap"))
		return ptsim_mmap(mm, AT(off), len, PROT_RW, PTSIM_MAP_FIXED, &out);
	if (!strcmp(op, "munmap"))
		return ptsim_munmap(mm, AT(off), len);
	if (!strcmp(op, "touch") && (!strcmp(w, "r") || !strcmp(w, "w")))
		return ptsim_touch(mm, AT(off), len,
		                   w[0] == 'w' ? PTSIM_ACCESS_WRITE : PTSIM_ACCESS_READ);
	if (!strcmp(op, "madvise") && parse_advice(w) >= 0)
		return ptsim_madvise(mm, AT(off), len, parse_advice(w));
	if (!strcmp(op, "mprotect") && parse_prot(w) >= 0)
		return ptsim_mprotect(mm, AT(off), len, parse_prot(w));
	return -ENOTSUP;
}

/* Splits a trace line into at most 4 words; returns how many. */
static int split_words(char *line, char *word[4])
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
		word[n++] = t;
	return n;
}

int pt_run_trace(struct ptsim_mm *mm, const char *trace, int64_t *kib, int max)
{
	int n = 0, lineno = 0;
	const char *p = trace;

	while (*p) {
		char line[256], text[300], *word[4] = {0};
		size_t l = strcspn(p, "\n");
		int nw;

		lineno++;
		snprintf(line, sizeof(line), "%.*s", (int)l, p);
		p += l + (p[l] == '\n');
		line[strcspn(line, "#")] = '\0';
		snprintf(text, sizeof(text), "trace line %d '%s'", lineno, line);
		nw = split_words(line, word);
		if (nw == 0)
			continue;
		pt_step_context = text;
		if (!strcmp(word[0], "check") || !strcmp(word[0], "fork_check")) {
			struct ptsim_mm *child = NULL;
			struct ptsim_mm_stats st;

			assert_true(n < max);
			if (word[0][0] == 'c') {
				st = pt_stats(mm);
			} else {
				pt_step(mm, ptsim_fork(mm, &child), 0, "ptsim_fork", __FILE__,
				        __LINE__);
				pt_check_mm(child, __FILE__, __LINE__);
				st = pt_stats(child);
				ptsim_mm_destroy(child);
			}
			kib[n++] = (int64_t)(st.pgtables_bytes / KiB);
			pt_step_context = NULL;
			continue;
		}
		if (nw < 3)
			fail_msg("%s: cannot parse", text);
		uint64_t off = strtoull(word[1], NULL, 0), len = strtoull(word[2], NULL, 0);
		long rc = run_trace_line(mm, word[0], off, len, nw > 3 ? word[3] : "");
		if (rc == -ENOTSUP)
			fail_msg("%s: cannot parse", text);
		pt_step(mm, rc, 0, word[0], __FILE__, __LINE__);
		pt_step_context = NULL;
	}
	return n;
}

/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmarks in bench/: clock, size and option
 * parsing, statistics, /proc/self/status, progress on stderr, an aligned
 * text table and a result set printed as CSV or JSON.
 *
 * Benchmarks use only the public API <ptsim/ptsim.h>; so does this file.
 */
#ifndef PTSIM_BENCH_UTIL_H
#define PTSIM_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ptsim/ptsim.h>

#include "plugin.h"

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/*
 * Parses a byte count: a decimal number with an optional binary suffix
 * K, M, G or T (KiB, MiB, ...; "B", "iB" and lower case accepted).
 * Returns 0, or -EINVAL for a malformed or overflowing value.
 */
int bench_parse_size(const char *s, uint64_t *out);
/* Parses a positive decimal integer no larger than max; 0 or -EINVAL. */
int bench_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Formats a byte count as "1 GiB", "16 MiB", "12 KiB" or "4097 B". */
void bench_format_size(uint64_t bytes, char *buf, size_t len);

/* Output formats every benchmark accepts with --format. */
enum bench_format {
	BENCH_FORMAT_TABLE = 0,
	BENCH_FORMAT_CSV,
	BENCH_FORMAT_JSON,
};
int bench_parse_format(const char *s, enum bench_format *out);

/*
 * Parses a strategy list: "all" (every strategy this build accepts) or
 * comma-separated names. sel[] gets true for each chosen strategy. A name
 * the library does not know, or one this build lacks, is an error: -EINVAL
 * with a message in err.
 */
int bench_parse_strategies(const char *list, bool sel[BENCH_MAX_STRATEGIES], char *err,
                           size_t errlen);
/* Fills sel[] with every strategy ptsim_strategy_available() accepts. */
void bench_all_strategies(bool sel[BENCH_MAX_STRATEGIES]);

/* Median (mean of the two middle values for an even count) and minimum; NAN for n == 0. */
double bench_median(const double *v, size_t n);
double bench_min(const double *v, size_t n);
double bench_max(const double *v, size_t n);

/*
 * What a result was measured on: the library version, the commit and build
 * type the benchmarks were configured from (CMake, at configure time), the
 * checked-mode build, the CPUs online, the start time (UTC) and the kernel.
 */
struct bench_meta {
	char version[32];
	const char *git_commit;
	const char *build_type;
	bool checked_build;
	int nproc;
	char date_utc[32];
	const char *kernel;
};
void bench_meta_init(struct bench_meta *m);

/*
 * Reads a "Name:   value kB" field of /proc/self/status (VmRSS, VmPTE, ...)
 * and returns it in bytes. 0 on success, -errno or -ENOENT.
 */
int bench_proc_status_bytes(const char *field, uint64_t *bytes);
/*
 * The process's resident anonymous memory in bytes, exact: "Anonymous" of
 * /proc/self/smaps_rollup (a walk of the page tables). File-backed pages
 * (shared-library code paged in on first use) are left out: they are not
 * memory the measured code allocates. RssAnon in /proc/self/status is read
 * from per-CPU counters that can lag by tens of pages per CPU, too coarse for
 * deltas of a few MiB; it is only the fallback when smaps_rollup is missing.
 */
int bench_proc_anon_bytes(uint64_t *bytes);
/* The running kernel's release string (uname -r), or "unknown". */
const char *bench_kernel_release(void);

/*
 * Progress on stderr: silent for the first `quiet_ns` nanoseconds of the
 * run, then one message per step (rewritten in place on a terminal).
 * bench_progress_done() clears the line when anything was shown.
 */
struct bench_progress {
	uint64_t start_ns;
	uint64_t quiet_ns;
	bool shown;
	bool tty;
};
void bench_progress_init(struct bench_progress *p, uint64_t quiet_ns);
void bench_progress_step(struct bench_progress *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void bench_progress_done(struct bench_progress *p);

/*
 * An aligned text table: a header row, then rows of cells built one at a
 * time. The first column is aligned left, the others right. A row with a
 * single cell beginning with '#' is printed as-is (a section note).
 */
struct bench_table;
struct bench_table *bench_table_new(int ncols, const char *const *headers);
void bench_table_cell(struct bench_table *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void bench_table_row_end(struct bench_table *t);
void bench_table_print(const struct bench_table *t, FILE *f);
void bench_table_free(struct bench_table *t);

/*
 * A result set: configuration pairs, measurement rows
 * (strategy, metric, value, unit) and goals. Printed as CSV (one row per
 * measurement, goals as rows whose metric is "goal:NAME" with value 1 when
 * met, 0 when missed) or as a JSON object
 *   {"benchmark": ..., "config": {...}, "results": [...], "goals": [...]}.
 */
struct bench_report;
struct bench_report *bench_report_new(const char *benchmark);
void bench_report_config_str(struct bench_report *r, const char *key, const char *value);
void bench_report_config_num(struct bench_report *r, const char *key, double value);
void bench_report_add(struct bench_report *r, const char *strategy, const char *metric,
                      double value, const char *unit);
/* Comparison of a goal: value >= target or value <= target. */
enum bench_goal_op {
	BENCH_GOAL_GE,
	BENCH_GOAL_LE,
};
/* Records a goal and returns whether value meets it (NAN never does). */
bool bench_report_goal(struct bench_report *r, const char *strategy, const char *name, double value,
                       enum bench_goal_op op, double target, const char *unit);
void bench_report_print_csv(const struct bench_report *r, FILE *f);
void bench_report_print_json(const struct bench_report *r, FILE *f);
void bench_report_free(struct bench_report *r);

/* Prints to stderr "PROG: message" and exits with status 2 (usage) or 1. */
void bench_die(const char *prog, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), noreturn));

#endif /* PTSIM_BENCH_UTIL_H */

/* SPDX-License-Identifier: MIT */
/* Shared benchmark helpers; see bench_util.h. */
#define _GNU_SOURCE
#include "bench_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define BENCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENCH_TSAN 1
#endif
#endif
#ifdef BENCH_TSAN
/*
 * Under ThreadSanitizer: fork() runs jemalloc's prefork handler, which takes
 * more mutexes at once than TSan's deadlock detector can track (64), and TSan
 * aborts. The benchmarks fork to measure memory in a fresh process, so turn
 * that detector off by default (TSAN_OPTIONS still overrides it).
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "detect_deadlocks=0";
}
#endif

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

static char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	return s;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int bench_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int bench_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift) {
		end++;
		if (*end == 'i')
			end++;
	}
	if (toupper((unsigned char)*end) == 'B')
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

void bench_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned i = 0;

	while (i + 1 < sizeof(units) / sizeof(units[0]) && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)bytes, units[i]);
}

int bench_parse_format(const char *s, enum bench_format *out)
{
	if (!strcmp(s, "table"))
		*out = BENCH_FORMAT_TABLE;
	else if (!strcmp(s, "csv"))
		*out = BENCH_FORMAT_CSV;
	else if (!strcmp(s, "json"))
		*out = BENCH_FORMAT_JSON;
	else
		return -EINVAL;
	return 0;
}

void bench_all_strategies(bool sel[BENCH_MAX_STRATEGIES])
{
	for (int s = 0; s < BENCH_MAX_STRATEGIES; s++)
		sel[s] = ptsim_strategy_available((enum ptsim_strategy)s) == 1;
}

int bench_parse_strategies(const char *list, bool sel[BENCH_MAX_STRATEGIES], char *err,
                           size_t errlen)
{
	char *copy, *tok, *save = NULL;
	int ret = 0, n = 0;

	for (int s = 0; s < BENCH_MAX_STRATEGIES; s++)
		sel[s] = false;
	if (!strcmp(list, "all")) {
		bench_all_strategies(sel);
		return 0;
	}
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum ptsim_strategy s;

		if (ptsim_strategy_parse(tok, &s) < 0) {
			snprintf(err, errlen, "unknown strategy '%s'", tok);
			ret = -EINVAL;
			break;
		}
		if (ptsim_strategy_available(s) != 1) {
			snprintf(err, errlen, "strategy '%s' is not available in this build", tok);
			ret = -EINVAL;
			break;
		}
		sel[s] = true;
		n++;
	}
	if (!ret && n == 0) {
		snprintf(err, errlen, "empty strategy list");
		ret = -EINVAL;
	}
	free(copy);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(const double *v, size_t n)
{
	double *c, m;

	if (n == 0)
		return NAN;
	c = xrealloc(NULL, n * sizeof(*c));
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

double bench_min(const double *v, size_t n)
{
	double m = NAN;

	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] < m)
			m = v[i];
	return m;
}

double bench_max(const double *v, size_t n)
{
	double m = NAN;

	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] > m)
			m = v[i];
	return m;
}

#ifndef PTSIM_BENCH_GIT_COMMIT
#define PTSIM_BENCH_GIT_COMMIT "unknown"
#endif
#ifndef PTSIM_BENCH_BUILD_TYPE
#define PTSIM_BENCH_BUILD_TYPE "unknown"
#endif

void bench_meta_init(struct bench_meta *m)
{
	time_t now = time(NULL);
	struct tm tm;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(m, 0, sizeof(*m));
	snprintf(m->version, sizeof(m->version), "%s", ptsim_version()); /* the loaded library's */
	m->git_commit = PTSIM_BENCH_GIT_COMMIT;
	m->build_type = PTSIM_BENCH_BUILD_TYPE[0] ? PTSIM_BENCH_BUILD_TYPE : "none";
	m->checked_build = ptsim_checked_available() == 1;
	m->nproc = n > 0 ? (int)n : 1;
	if (gmtime_r(&now, &tm))
		strftime(m->date_utc, sizeof(m->date_utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
	m->kernel = bench_kernel_release();
}

/* A "Name:   value kB" field of a /proc file, in bytes. */
static int proc_field_bytes(const char *path, const char *field, uint64_t *bytes)
{
	char line[256];
	size_t flen = strlen(field);
	int ret = -ENOENT;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long kb;

		if (strncmp(line, field, flen) || line[flen] != ':')
			continue;
		if (sscanf(line + flen + 1, "%llu", &kb) == 1) {
			*bytes = (uint64_t)kb * 1024;
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

int bench_proc_status_bytes(const char *field, uint64_t *bytes)
{
	return proc_field_bytes("/proc/self/status", field, bytes);
}

int bench_proc_anon_bytes(uint64_t *bytes)
{
	if (proc_field_bytes("/proc/self/smaps_rollup", "Anonymous", bytes) == 0)
		return 0;
	return proc_field_bytes("/proc/self/status", "RssAnon", bytes);
}

const char *bench_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u) != 0)
		strcpy(u.release, "unknown");
	return u.release;
}

void bench_progress_init(struct bench_progress *p, uint64_t quiet_ns)
{
	p->start_ns = bench_now_ns();
	p->quiet_ns = quiet_ns;
	p->shown = false;
	p->tty = isatty(STDERR_FILENO);
}

void bench_progress_step(struct bench_progress *p, const char *fmt, ...)
{
	uint64_t el = bench_now_ns() - p->start_ns;
	va_list ap;

	if (el < p->quiet_ns)
		return;
	fprintf(stderr, p->tty ? "\r\033[K[%6.1f s] " : "[%6.1f s] ", el / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (!p->tty)
		fputc('\n', stderr);
	fflush(stderr);
	p->shown = true;
}

void bench_progress_done(struct bench_progress *p)
{
	if (p->shown && p->tty)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* ---- aligned text table ---- */

struct bench_table {
	int ncols;
	size_t nrows, cap;
	char ***rows; /* rows[0] is the header; a NULL cell is empty */
	int *ncells;  /* cells filled per row */
};

static void table_new_row(struct bench_table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
		t->ncells = xrealloc(t->ncells, t->cap * sizeof(*t->ncells));
	}
	t->rows[t->nrows] = xrealloc(NULL, t->ncols * sizeof(char *));
	for (int c = 0; c < t->ncols; c++)
		t->rows[t->nrows][c] = NULL;
	t->ncells[t->nrows] = 0;
	t->nrows++;
}

struct bench_table *bench_table_new(int ncols, const char *const *headers)
{
	struct bench_table *t = xrealloc(NULL, sizeof(*t));

	t->ncols = ncols;
	t->nrows = t->cap = 0;
	t->rows = NULL;
	t->ncells = NULL;
	table_new_row(t);
	for (int c = 0; c < ncols; c++)
		t->rows[0][c] = xstrdup(headers[c]);
	t->ncells[0] = ncols;
	table_new_row(t);
	return t;
}

void bench_table_cell(struct bench_table *t, const char *fmt, ...)
{
	size_t r = t->nrows - 1;
	va_list ap;

	if (t->ncells[r] >= t->ncols)
		return;
	va_start(ap, fmt);
	t->rows[r][t->ncells[r]++] = xvasprintf(fmt, ap);
	va_end(ap);
}

void bench_table_row_end(struct bench_table *t)
{
	table_new_row(t);
}

static bool is_note_row(const struct bench_table *t, size_t r)
{
	return r > 0 && t->ncells[r] == 1 && t->rows[r][0][0] == '#';
}

void bench_table_print(const struct bench_table *t, FILE *f)
{
	size_t *w = xrealloc(NULL, t->ncols * sizeof(*w));
	size_t nrows = t->nrows;

	if (nrows > 1 && t->ncells[nrows - 1] == 0)
		nrows--; /* the open, empty last row */
	for (int c = 0; c < t->ncols; c++) {
		w[c] = 0;
		for (size_t r = 0; r < nrows; r++) {
			const char *s = t->rows[r][c];

			if (s && !is_note_row(t, r) && strlen(s) > w[c])
				w[c] = strlen(s);
		}
	}
	for (size_t r = 0; r < nrows; r++) {
		if (is_note_row(t, r)) {
			fprintf(f, "%s\n", t->rows[r][0] + 1);
			continue;
		}
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->rows[r][c] ? t->rows[r][c] : "";
			bool last = c == t->ncols - 1;

			if (c == 0)
				fprintf(f, "%-*s", last ? 0 : (int)w[c], s);
			else
				fprintf(f, "  %*s", (int)w[c], s);
		}
		fputc('\n', f);
	}
	free(w);
}

void bench_table_free(struct bench_table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	free(t->rows);
	free(t->ncells);
	free(t);
}

/* ---- result set ---- */

struct bench_config_item {
	char *key;
	char *str; /* NULL: numeric */
	double num;
};

struct bench_result {
	char *strategy, *metric, *unit;
	double value;
};

struct bench_goal {
	char *strategy, *name, *unit;
	double value, target;
	enum bench_goal_op op;
	bool met;
};

struct bench_report {
	char *benchmark;
	struct bench_config_item *config;
	size_t nconfig;
	struct bench_result *results;
	size_t nresults, capresults;
	struct bench_goal *goals;
	size_t ngoals;
};

struct bench_report *bench_report_new(const char *benchmark)
{
	struct bench_report *r = xrealloc(NULL, sizeof(*r));

	memset(r, 0, sizeof(*r));
	r->benchmark = xstrdup(benchmark);
	return r;
}

void bench_report_config_str(struct bench_report *r, const char *key, const char *value)
{
	r->config = xrealloc(r->config, (r->nconfig + 1) * sizeof(*r->config));
	r->config[r->nconfig++] = (struct bench_config_item){xstrdup(key), xstrdup(value), 0};
}

void bench_report_config_num(struct bench_report *r, const char *key, double value)
{
	r->config = xrealloc(r->config, (r->nconfig + 1) * sizeof(*r->config));
	r->config[r->nconfig++] = (struct bench_config_item){xstrdup(key), NULL, value};
}

void bench_report_add(struct bench_report *r, const char *strategy, const char *metric,
                      double value, const char *unit)
{
	if (r->nresults == r->capresults) {
		r->capresults = r->capresults ? 2 * r->capresults : 64;
		r->results = xrealloc(r->results, r->capresults * sizeof(*r->results));
	}
	r->results[r->nresults++] =
	        (struct bench_result){xstrdup(strategy), xstrdup(metric), xstrdup(unit), value};
}

bool bench_report_goal(struct bench_report *r, const char *strategy, const char *name, double value,
                       enum bench_goal_op op, double target, const char *unit)
{
	bool met = !isnan(value) && (op == BENCH_GOAL_GE ? value >= target : value <= target);

	r->goals = xrealloc(r->goals, (r->ngoals + 1) * sizeof(*r->goals));
	r->goals[r->ngoals++] = (struct bench_goal){
	        xstrdup(strategy), xstrdup(name), xstrdup(unit), value, target, op, met};
	return met;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Numbers with up to 6 significant decimals; NAN/inf as empty (CSV) or null (JSON). */
static void print_num(FILE *f, double v, const char *nan_text)
{
	if (!isfinite(v))
		fputs(nan_text, f);
	else if (v == (double)(int64_t)v && fabs(v) < 9e15)
		fprintf(f, "%lld", (long long)v);
	else
		fprintf(f, "%.6g", v);
}

void bench_report_print_csv(const struct bench_report *r, FILE *f)
{
	fputs("strategy,metric,value,unit\n", f);
	for (size_t i = 0; i < r->nresults; i++) {
		const struct bench_result *x = &r->results[i];

		csv_field(f, x->strategy);
		fputc(',', f);
		csv_field(f, x->metric);
		fputc(',', f);
		print_num(f, x->value, "");
		fputc(',', f);
		csv_field(f, x->unit);
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->ngoals; i++) {
		const struct bench_goal *g = &r->goals[i];

		csv_field(f, g->strategy);
		fprintf(f, ",goal:");
		csv_field(f, g->name);
		fprintf(f, ",%d,met\n", g->met ? 1 : 0);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void bench_report_print_json(const struct bench_report *r, FILE *f)
{
	fputs("{\n  \"benchmark\": ", f);
	json_str(f, r->benchmark);
	fputs(",\n  \"config\": {", f);
	for (size_t i = 0; i < r->nconfig; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		json_str(f, r->config[i].key);
		fputs(": ", f);
		if (r->config[i].str)
			json_str(f, r->config[i].str);
		else
			print_num(f, r->config[i].num, "null");
	}
	fputs(r->nconfig ? "\n  },\n  \"results\": [" : "},\n  \"results\": [", f);
	for (size_t i = 0; i < r->nresults; i++) {
		const struct bench_result *x = &r->results[i];

		fputs(i ? ",\n    {\"strategy\": " : "\n    {\"strategy\": ", f);
		json_str(f, x->strategy);
		fputs(", \"metric\": ", f);
		json_str(f, x->metric);
		fputs(", \"value\": ", f);
		print_num(f, x->value, "null");
		fputs(", \"unit\": ", f);
		json_str(f, x->unit);
		fputc('}', f);
	}
	fputs(r->nresults ? "\n  ],\n  \"goals\": [" : "],\n  \"goals\": [", f);
	for (size_t i = 0; i < r->ngoals; i++) {
		const struct bench_goal *g = &r->goals[i];

		fputs(i ? ",\n    {\"strategy\": " : "\n    {\"strategy\": ", f);
		json_str(f, g->strategy);
		fputs(", \"name\": ", f);
		json_str(f, g->name);
		fputs(", \"value\": ", f);
		print_num(f, g->value, "null");
		fprintf(f, ", \"op\": \"%s\", \"target\": ", g->op == BENCH_GOAL_GE ? ">=" : "<=");
		print_num(f, g->target, "null");
		fputs(", \"unit\": ", f);
		json_str(f, g->unit);
		fprintf(f, ", \"met\": %s}", g->met ? "true" : "false");
	}
	fputs(r->ngoals ? "\n  ]\n}\n" : "]\n}\n", f);
}

void bench_report_free(struct bench_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nconfig; i++) {
		free(r->config[i].key);
		free(r->config[i].str);
	}
	for (size_t i = 0; i < r->nresults; i++) {
		free(r->results[i].strategy);
		free(r->results[i].metric);
		free(r->results[i].unit);
	}
	for (size_t i = 0; i < r->ngoals; i++) {
		free(r->goals[i].strategy);
		free(r->goals[i].name);
		free(r->goals[i].unit);
	}
	free(r->config);
	free(r->results);
	free(r->goals);
	free(r->benchmark);
	free(r);
}

void bench_die(const char *prog, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* SPDX-License-Identifier: MIT */
/*
 * Trace parser: one operation per line, '#' comments, blank lines ignored,
 * numbers decimal or 0x hex. Strict on purpose: a trace that says something
 * other than what its author meant must not replay quietly.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ptsim/ptsim.h>

#include "replay.h"

#define MAX_TOKENS 5 /* the longest operation: tN checkpoint LABEL VMPTE RSS */

struct keyword {
	const char *word;
	int value;
};

static const struct keyword access_words[] = {
        {"r", PTSIM_ACCESS_READ},
        {"w", PTSIM_ACCESS_WRITE},
        {NULL, 0},
};

static const struct keyword advice_words[] = {
        {"dontneed", PTSIM_MADV_DONTNEED},
        {"free", PTSIM_MADV_FREE},
        {"populate_read", PTSIM_MADV_POPULATE_READ},
        {"populate_write", PTSIM_MADV_POPULATE_WRITE},
        {"normal", PTSIM_MADV_NORMAL},
        {"willneed", PTSIM_MADV_WILLNEED},
        {"cold", PTSIM_MADV_COLD},
        {"pageout", PTSIM_MADV_PAGEOUT},
        {NULL, 0},
};

static const struct keyword prot_words[] = {
        {"r", PTSIM_PROT_READ},
        {"rw", PTSIM_PROT_READ | PTSIM_PROT_WRITE},
        {"none", PTSIM_PROT_NONE},
        {"rx", PTSIM_PROT_READ | PTSIM_PROT_EXEC},
        {"rwx", PTSIM_PROT_READ | PTSIM_PROT_WRITE | PTSIM_PROT_EXEC},
        {NULL, 0},
};

/* What each operation looks like: its word, argument count and last-word table. */
struct op_syntax {
	const char *word;
	enum replay_kind kind;
	int nr_args;
	int min_args; /* fewer than nr_args: the last ones are optional */
	const char *usage;
	const struct keyword *keywords; /* for the third argument, or NULL */
};

static const struct op_syntax op_syntax[] = {
        {"mmap", REPLAY_MMAP, 3, 2, "mmap OFF LEN [r|rw|none|rx|rwx]", prot_words},
        {"munmap", REPLAY_MUNMAP, 2, 2, "munmap OFF LEN", NULL},
        {"touch", REPLAY_TOUCH, 3, 3, "touch OFF LEN r|w", access_words},
        {"madvise", REPLAY_MADVISE, 3, 3,
         "madvise OFF LEN dontneed|free|populate_read|populate_write|normal|willneed|cold|"
         "pageout",
         advice_words},
        {"mprotect", REPLAY_MPROTECT, 3, 3, "mprotect OFF LEN r|rw|none|rx|rwx", prot_words},
        {"gup", REPLAY_GUP, 3, 3, "gup OFF LEN r|w", access_words},
        {"check", REPLAY_CHECK, 1, 1, "check LABEL", NULL},
        {"fork_check", REPLAY_FORK_CHECK, 0, 0, "fork_check", NULL},
        {"mmap_any", REPLAY_MMAP_ANY, 2, 2, "mmap_any NAME LEN", NULL},
        {"where", REPLAY_WHERE, 1, 1, "where NAME", NULL},
        {"gap", REPLAY_GAP, 2, 2, "gap LOWER UPPER", NULL},
        {"baseline", REPLAY_BASELINE, 0, 0, "baseline", NULL},
        {"checkpoint", REPLAY_CHECKPOINT, 3, 3, "checkpoint LABEL VMPTE_KB RSS_KB", NULL},
        {"reclaim", REPLAY_RECLAIM, 0, 0, "reclaim", NULL},
        {"fork", REPLAY_FORK, 0, 0, "fork", NULL},
};

#define NR_OPS (sizeof(op_syntax) / sizeof(op_syntax[0]))

const char *replay_kind_name(enum replay_kind kind)
{
	for (size_t i = 0; i < NR_OPS; i++)
		if (op_syntax[i].kind == kind)
			return op_syntax[i].word;
	return "?";
}

struct parser {
	const char *name;
	unsigned long line;
	struct replay_trace *t; /* the names defined so far */
	uint64_t base;          /* what OFF counts from: REPLAY_BASE until a 'base' line */
};

/* Prints "NAME:LINE: <message>: <errno text>" on stderr and returns -1. */
__attribute__((format(printf, 3, 4))) static int parse_error(const struct parser *p, int err,
                                                             const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ptsim-replay: %s:%lu: ", p->name, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return -1;
}

static int digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decimal or 0x hex, digits only: no sign, no spaces, no octal, no suffix.
 * strtoull would accept "-1", " 12" and "0x0x1" in places, so the digits are
 * checked here. Returns 0, -EINVAL or -ERANGE.
 */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		int d = digit_value((unsigned char)*s);

		if (d < 0 || (unsigned int)d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

static int parse_number(const struct parser *p, const char *what, const char *tok, uint64_t *out)
{
	int err = parse_u64(tok, out);

	if (err)
		return parse_error(p, -err, "bad %s '%s'", what, tok);
	return 0;
}

static bool is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int find_name(const struct parser *p, const char *name, size_t len)
{
	for (int i = 0; i < p->t->nr_names; i++)
		if (strlen(p->t->names[i]) == len && strncmp(p->t->names[i], name, len) == 0)
			return i;
	return -1;
}

/* A NAME that an earlier mmap_any defined. */
static int parse_name_ref(const struct parser *p, const char *tok, size_t len, int *sym)
{
	*sym = find_name(p, tok, len);
	if (*sym < 0)
		return parse_error(p, EINVAL, "'%.*s' is not a name an earlier mmap_any gave",
		                   (int)len, tok);
	return 0;
}

/* NAME or NAME+OFF: an offset into what mmap_any NAME mapped, resolved when run. */
static int parse_named_off(const struct parser *p, const char *tok, struct replay_op *op)
{
	const char *plus = strchr(tok, '+');
	size_t len = plus ? (size_t)(plus - tok) : strlen(tok);
	uint64_t off = 0;

	if (parse_name_ref(p, tok, len, &op->sym))
		return -1;
	if (plus && parse_number(p, "OFF", plus + 1, &off))
		return -1;
	op->addr = off;
	return 0;
}

/* OFF and LEN: the range must stay representable once the base is added. */
static int parse_range(const struct parser *p, char **tok, struct replay_op *op)
{
	uint64_t off, len;

	if (is_name_start((unsigned char)tok[0][0])) {
		if (parse_named_off(p, tok[0], op) || parse_number(p, "LEN", tok[1], &len))
			return -1;
		op->len = len;
		return 0;
	}
	if (parse_number(p, "OFF", tok[0], &off) || parse_number(p, "LEN", tok[1], &len))
		return -1;
	if (off > UINT64_MAX - p->base)
		return parse_error(p, ERANGE, "OFF %s overflows the base address", tok[0]);
	if (len > UINT64_MAX - p->base - off)
		return parse_error(p, ERANGE, "OFF %s + LEN %s overflows", tok[0], tok[1]);
	op->addr = p->base + off;
	op->len = len;
	return 0;
}

static int parse_keyword(const struct parser *p, const struct op_syntax *syn, const char *tok,
                         int *out)
{
	for (const struct keyword *k = syn->keywords; k->word; k++) {
		if (strcmp(k->word, tok) == 0) {
			*out = k->value;
			return 0;
		}
	}
	return parse_error(p, EINVAL, "%s: unknown word '%s' (usage: %s)", syn->word, tok,
	                   syn->usage);
}

static const struct op_syntax *find_syntax(const char *word)
{
	for (size_t i = 0; i < NR_OPS; i++)
		if (strcmp(op_syntax[i].word, word) == 0)
			return &op_syntax[i];
	return NULL;
}

/*
 * Cuts the line at '#' and splits it on white space. Stores the first
 * MAX_TOKENS words and returns how many there are in all, so that an
 * arity error can say how many it got.
 */
static int tokenize(char *line, char **tok)
{
	char *hash = strchr(line, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	for (char *s = line;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (n < MAX_TOKENS)
			tok[n] = s;
		n++;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

/* mmap_any NAME LEN: NAME is new, a letter or '_' first, no '+'. */
static int parse_mmap_any(const struct parser *p, char **args, struct replay_op *op)
{
	char *name;

	if (!is_name_start((unsigned char)args[0][0]) || strchr(args[0], '+'))
		return parse_error(p, EINVAL, "mmap_any: bad NAME '%s' (a letter first, no '+')",
		                   args[0]);
	if (find_name(p, args[0], strlen(args[0])) >= 0)
		return parse_error(p, EEXIST, "mmap_any: '%s' is already a name", args[0]);
	if (p->t->nr_names == REPLAY_MAX_NAMES)
		return parse_error(p, ENOSPC, "mmap_any: more than %d names", REPLAY_MAX_NAMES);
	if (parse_number(p, "LEN", args[1], &op->len))
		return -1;
	name = strdup(args[0]);
	if (!name)
		return parse_error(p, ENOMEM, "mmap_any");
	op->sym = p->t->nr_names;
	p->t->names[p->t->nr_names++] = name;
	return 0;
}

static int parse_args(const struct parser *p, const struct op_syntax *syn, char **args,
                      struct replay_op *op)
{
	switch (syn->kind) {
	case REPLAY_MMAP_ANY:
		return parse_mmap_any(p, args, op);
	case REPLAY_WHERE:
		return parse_name_ref(p, args[0], strlen(args[0]), &op->sym);
	case REPLAY_GAP:
		if (parse_name_ref(p, args[0], strlen(args[0]), &op->sym) ||
		    parse_name_ref(p, args[1], strlen(args[1]), &op->sym2))
			return -1;
		return 0;
	default:
		break;
	}
	if (syn->kind == REPLAY_CHECKPOINT &&
	    (parse_number(p, "VMPTE_KB", args[1], &op->expect_vmpte_kb) ||
	     parse_number(p, "RSS_KB", args[2], &op->expect_rss_kb)))
		return -1;
	if (syn->kind == REPLAY_CHECK || syn->kind == REPLAY_CHECKPOINT) {
		op->label = strdup(args[0]);
		if (!op->label)
			return parse_error(p, ENOMEM, "%s", syn->word);
		return 0;
	}
	if (syn->nr_args >= 2 && parse_range(p, args, op))
		return -1;
	/* mmap without PROT: read-write, as every trace before PROT existed meant */
	if (syn->kind == REPLAY_MMAP && !args[2]) {
		op->arg = PTSIM_PROT_READ | PTSIM_PROT_WRITE;
		return 0;
	}
	if (syn->keywords && parse_keyword(p, syn, args[2], &op->arg))
		return -1;
	return 0;
}

/* tN: the recorded thread that runs the operation (multi-threaded replay). */
static int parse_thread_prefix(struct parser *p, const char *tok, int *tid)
{
	uint64_t v;

	if (parse_u64(tok + 1, &v) || v >= REPLAY_MAX_THREADS)
		return parse_error(p, EINVAL, "bad thread '%s' (t0 .. t%d)", tok,
		                   REPLAY_MAX_THREADS - 1);
	*tid = (int)v;
	if (*tid + 1 > p->t->nr_threads)
		p->t->nr_threads = *tid + 1;
	return 0;
}

static bool is_thread_prefix(const char *tok)
{
	return tok[0] == 't' && tok[1] >= '0' && tok[1] <= '9';
}

/* base ADDR: later OFFs count from ADDR ('base 0': absolute addresses, as recorded). */
static int parse_base(struct parser *p, char **tok, int n)
{
	if (n != 2)
		return parse_error(p, EINVAL, "base takes 1 argument, got %d (usage: base ADDR)",
		                   n - 1);
	if (parse_number(p, "ADDR", tok[1], &p->base))
		return -1;
	if (p->base & (PTSIM_PAGE_SIZE - 1))
		return parse_error(p, EINVAL, "base 0x%llx is not page-aligned",
		                   (unsigned long long)p->base);
	return 0;
}

/* Parses one line into *op; returns 1 for an operation, 0 for nothing, -1 on error. */
static int parse_line(struct parser *p, char *line, struct replay_op *op)
{
	char *all[MAX_TOKENS + 1] = {NULL};
	char **tok = all;
	const struct op_syntax *syn;
	int n = tokenize(line, all), tid = 0;

	if (n == 0)
		return 0;
	if (strcmp(tok[0], "base") == 0)
		return parse_base(p, tok, n) ? -1 : 0;
	if (is_thread_prefix(tok[0])) {
		if (parse_thread_prefix(p, tok[0], &tid))
			return -1;
		tok++;
		n--;
		if (n == 0)
			return parse_error(p, EINVAL, "a thread prefix with no operation");
	}
	syn = find_syntax(tok[0]);
	if (!syn)
		return parse_error(p, EINVAL, "unknown operation '%s'", tok[0]);
	if (n - 1 > syn->nr_args || n - 1 < syn->min_args) {
		if (syn->min_args == syn->nr_args)
			return parse_error(p, EINVAL, "%s takes %d argument%s, got %d (usage: %s)",
			                   syn->word, syn->nr_args, syn->nr_args == 1 ? "" : "s",
			                   n - 1, syn->usage);
		return parse_error(p, EINVAL, "%s takes %d to %d arguments, got %d (usage: %s)",
		                   syn->word, syn->min_args, syn->nr_args, n - 1, syn->usage);
	}
	memset(op, 0, sizeof(*op));
	op->sym = op->sym2 = -1;
	op->kind = syn->kind;
	op->line = p->line;
	op->tid = tid;
	if (parse_args(p, syn, tok + 1, op))
		return -1;
	return 1;
}

static int trace_push(struct replay_trace *t, size_t *cap, const struct replay_op *op)
{
	if (t->nr_ops == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct replay_op *ops = realloc(t->ops, ncap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		*cap = ncap;
	}
	t->ops[t->nr_ops++] = *op;
	return 0;
}

static int parse_stream(FILE *in, struct parser *p, struct replay_trace *t)
{
	char *line = NULL;
	size_t linecap = 0, cap = 0;
	struct replay_op op;
	int ret = 0;

	ssize_t n;

	while ((n = getline(&line, &linecap, in)) >= 0) {
		int r;

		p->line++;
		/* a NUL would silently cut the line short */
		if (strlen(line) != (size_t)n)
			r = parse_error(p, EINVAL, "NUL byte in line");
		else
			r = parse_line(p, line, &op);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r > 0 && trace_push(t, &cap, &op)) {
			free(op.label);
			ret = parse_error(p, ENOMEM, "reading the trace");
			break;
		}
	}
	if (ret == 0 && ferror(in))
		ret = parse_error(p, errno, "reading the trace");
	free(line);
	return ret;
}

int replay_parse(FILE *in, const char *name, struct replay_trace *trace)
{
	struct parser p = {.name = name, .line = 0, .t = trace, .base = REPLAY_BASE};

	memset(trace, 0, sizeof(*trace));
	trace->name = name;
	trace->nr_threads = 1;
	if (parse_stream(in, &p, trace)) {
		replay_trace_free(trace);
		return -1;
	}
	return 0;
}

void replay_trace_free(struct replay_trace *trace)
{
	for (size_t i = 0; i < trace->nr_ops; i++)
		free(trace->ops[i].label);
	free(trace->ops);
	trace->ops = NULL;
	trace->nr_ops = 0;
	for (int i = 0; i < trace->nr_names; i++)
		free(trace->names[i]);
	trace->nr_names = 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The layout the trace has built so far (the model), kept in step with the
 * process: the hooks apply each call they see, and rec_resync() compares the
 * model with /proc/self/maps to catch what the process did without them
 * (glibc maps its malloc arenas and thread stacks with internal calls that
 * no LD_PRELOAD can see, the stack grows, brk moves) and writes that as
 * operations too. Only the protection matters to the trace: a file mapping
 * is replayed as an anonymous one, which takes the same page tables.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "record.h"

static int find_first_after(const struct rec_area *a, int n, uint64_t addr)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (a[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Joins neighbours with one protection and no gap, as the kernel merges VMAs. */
static void merge_around(struct rec_state *st, int from, int to)
{
	if (from < 1)
		from = 1;
	for (int i = from; i < to && i < st->nr_model;) {
		struct rec_area *p = &st->model[i - 1], *q = &st->model[i];

		if (p->end == q->start && p->prot == q->prot) {
			p->end = q->end;
			memmove(q, q + 1, (size_t)(st->nr_model - i - 1) * sizeof(*q));
			st->nr_model--;
			to--;
		} else {
			i++;
		}
	}
}

/* [start, end) becomes prot, or unmapped with REC_PROT_UNMAPPED. */
void rec_model_set(struct rec_state *st, uint64_t start, uint64_t end, int prot)
{
	struct rec_area repl[3];
	int i = find_first_after(st->model, st->nr_model, start), j = i, k = 0;

	if (start >= end)
		return;
	while (j < st->nr_model && st->model[j].start < end)
		j++;
	if (i < j && st->model[i].start < start)
		repl[k++] = (struct rec_area){st->model[i].start, start, st->model[i].prot};
	if (prot != REC_PROT_UNMAPPED)
		repl[k++] = (struct rec_area){start, end, prot};
	if (i < j && st->model[j - 1].end > end)
		repl[k++] = (struct rec_area){end, st->model[j - 1].end, st->model[j - 1].prot};
	if (st->nr_model - (j - i) + k > REC_MAX_AREAS)
		return; /* cannot happen below the kernel's own map count limit */
	memmove(&st->model[i + k], &st->model[j], (size_t)(st->nr_model - j) * sizeof(repl[0]));
	memcpy(&st->model[i], repl, (size_t)k * sizeof(repl[0]));
	st->nr_model += k - (j - i);
	merge_around(st, i, i + k + 1);
}

bool rec_model_covers(const struct rec_state *st, uint64_t start, uint64_t end)
{
	int i = find_first_after(st->model, st->nr_model, start);

	for (uint64_t at = start; at < end; i++) {
		if (i >= st->nr_model || st->model[i].start > at)
			return false;
		at = st->model[i].end;
	}
	return true;
}

bool rec_model_overlaps(const struct rec_state *st, uint64_t start, uint64_t end)
{
	int i = find_first_after(st->model, st->nr_model, start);

	return i < st->nr_model && st->model[i].start < end;
}

int rec_model_prot_at(const struct rec_state *st, uint64_t addr)
{
	int i = find_first_after(st->model, st->nr_model, addr);

	if (i < st->nr_model && st->model[i].start <= addr)
		return st->model[i].prot;
	return REC_PROT_UNMAPPED;
}

/* Appends to fresh[], merged like the model; the recorder's region is left out. */
static void fresh_add(struct rec_state *st, uint64_t start, uint64_t end, int prot)
{
	struct rec_area *last = st->nr_fresh ? &st->fresh[st->nr_fresh - 1] : NULL;

	if (end > REC_TASK_SIZE ||
	    (start >= REC_REGION_ADDR && end <= REC_REGION_ADDR + REC_REGION_SIZE))
		return; /* [vsyscall] lies in the kernel half: no user page table of this mm */
	if (last && last->end == start && last->prot == prot) {
		last->end = end;
		return;
	}
	if (st->nr_fresh < REC_MAX_AREAS)
		st->fresh[st->nr_fresh++] = (struct rec_area){start, end, prot};
}

/* "start-end rwxp ..." lines of /proc/self/maps into fresh[]. */
static int read_maps(struct rec_state *st)
{
	int err = rec_read_file("/proc/self/maps", st->maps, sizeof(st->maps), NULL);

	st->nr_fresh = 0;
	if (err)
		return err;
	for (const char *s = st->maps; *s;) {
		uint64_t start = rec_parse_hex(&s), end;
		int prot = 0;

		if (*s++ != '-')
			break;
		end = rec_parse_hex(&s);
		if (*s++ != ' ' || !s[0] || !s[1] || !s[2])
			break;
		prot |= s[0] == 'r' ? PROT_READ : 0;
		prot |= s[1] == 'w' ? PROT_WRITE : 0;
		prot |= s[2] == 'x' ? PROT_EXEC : 0;
		fresh_add(st, start, end, prot);
		s = strchr(s, '\n');
		if (!s)
			break;
		s++;
	}
	return 0;
}

/* A change the diff found, held back so that neighbours of one kind make one line. */
struct pending {
	uint64_t start, end;
	int old_prot, new_prot;
	bool valid;
};

static void write_change(struct rec_state *st, int tid, const struct pending *p)
{
	uint64_t len = p->end - p->start;

	if (p->new_prot == REC_PROT_UNMAPPED) {
		st->zapped = true;
		rec_put_range(st, tid, "munmap", p->start, len);
		rec_put(st, "\n");
		return;
	}
	rec_put_range(st, tid, p->old_prot == REC_PROT_UNMAPPED ? "mmap" : "mprotect", p->start,
	              len);
	rec_put(st, " ");
	rec_put(st, rec_prot_word(p->new_prot));
	rec_put(st, "\n");
}

static void add_change(struct rec_state *st, int tid, struct pending *p, uint64_t start,
                       uint64_t end, int old_prot, int new_prot)
{
	if (p->valid && p->end == start && p->old_prot == old_prot && p->new_prot == new_prot) {
		p->end = end;
		return;
	}
	if (p->valid)
		write_change(st, tid, p);
	*p = (struct pending){start, end, old_prot, new_prot, true};
}

/* Protection at addr in a sorted area array from index *i on, and where it next changes. */
static int state_at(const struct rec_area *a, int n, int *i, uint64_t addr, uint64_t *next)
{
	while (*i < n && a[*i].end <= addr)
		(*i)++;
	if (*i >= n) {
		*next = UINT64_MAX;
		return REC_PROT_UNMAPPED;
	}
	if (a[*i].start > addr) {
		*next = a[*i].start;
		return REC_PROT_UNMAPPED;
	}
	*next = a[*i].end;
	return a[*i].prot;
}

int rec_resync(struct rec_state *st, int tid)
{
	struct pending p = {0, 0, 0, 0, false};
	uint64_t at = 0;
	int io = 0, in = 0;
	int err = read_maps(st);

	if (err)
		return err;
	st->nr_resyncs++;
	while (io < st->nr_model || in < st->nr_fresh) {
		uint64_t next_o, next_n, next;
		int po = state_at(st->model, st->nr_model, &io, at, &next_o);
		int pn = state_at(st->fresh, st->nr_fresh, &in, at, &next_n);

		next = next_o < next_n ? next_o : next_n;
		if (next == UINT64_MAX)
			break;
		if (po != pn)
			add_change(st, tid, &p, at, next, po, pn);
		at = next;
	}
	if (p.valid)
		write_change(st, tid, &p);
	memcpy(st->model, st->fresh, (size_t)st->nr_fresh * sizeof(st->fresh[0]));
	st->nr_model = st->nr_fresh;
	return 0;
}

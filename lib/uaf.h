/* SPDX-License-Identifier: MIT */
/*
 * The use-after-free detector. Freed tables are poisoned and quarantined
 * (pt_alloc.c); walkers call uaf_table_ok() on every table they are about
 * to read or have just read, and back off when it says no.
 */
#ifndef PTSIM_UAF_H
#define PTSIM_UAF_H

#include "ptdesc.h"

/* Entries of a poisoned table: not present, not PROTNONE, not none. */
#define PT_POISON 0x5a5a5a5a5a5a5a5aULL

/* An on/off environment value: 1 for 1/on/true/yes, 0 for 0/off/false/no
 * or empty (any case), -1 for anything else or NULL. */
int ptsim_parse_bool(const char *v);

#ifdef PTSIM_CHECKED
extern bool ptsim_checked_on;

void uaf_report(const struct ptdesc *d, const char *op, uint64_t addr);

static inline bool uaf_checked(void)
{
	return __atomic_load_n(&ptsim_checked_on, __ATOMIC_RELAXED);
}

/* May this table still be read? Reports it when it may not. The _valid
 * forms check unconditionally, for walkers that read the switch once. */
static inline bool uaf_table_valid(const pte_t *table, const char *op, uint64_t addr)
{
	const struct ptdesc *d;
	uint8_t st;

	d = ptdesc_of(table);
	st = __atomic_load_n(&d->state, __ATOMIC_ACQUIRE);
	if (likely(st == PTD_LINKED || st == PTD_UNLINKED))
		return true;
	uaf_report(d, op, addr);
	return false;
}

static inline bool uaf_table_ok(const pte_t *table, const char *op, uint64_t addr)
{
	return !uaf_checked() || uaf_table_valid(table, op, addr);
}

/* An entry just read from `table`: poison, or a table no longer ours, is a
 * use after free (the table is checked after the read, so a free that
 * raced the read is seen too). */
static inline bool uaf_entry_valid(const pte_t *table, pte_t e, const char *op, uint64_t addr)
{
	if (unlikely(e == PT_POISON)) {
		uaf_report(ptdesc_of(table), op, addr);
		return false;
	}
	return uaf_table_valid(table, op, addr);
}

static inline bool uaf_entry_ok(const pte_t *table, pte_t e, const char *op, uint64_t addr)
{
	return !uaf_checked() || uaf_entry_valid(table, e, op, addr);
}
#else
static inline bool uaf_table_valid(const pte_t *table, const char *op, uint64_t addr)
{
	(void)table;
	(void)op;
	(void)addr;
	return true;
}

static inline bool uaf_entry_valid(const pte_t *table, pte_t e, const char *op, uint64_t addr)
{
	(void)e;
	return uaf_table_valid(table, op, addr);
}

static inline bool uaf_table_ok(const pte_t *table, const char *op, uint64_t addr)
{
	(void)table;
	(void)op;
	(void)addr;
	return true;
}

static inline bool uaf_checked(void)
{
	return false;
}

static inline bool uaf_entry_ok(const pte_t *table, pte_t e, const char *op, uint64_t addr)
{
	(void)table;
	(void)e;
	(void)op;
	(void)addr;
	return true;
}
#endif

#endif

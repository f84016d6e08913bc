// SPDX-License-Identifier: MIT
/* Reports of the use-after-free detector, and its switch. */
#include "uaf.h"

#include <stdlib.h>
#include <string.h>

#include "lock.h"

#ifdef PTSIM_CHECKED
bool ptsim_checked_on;

static struct {
	spinlock_t lock;
	uint64_t count;
	struct ptsim_uaf_report kept[PTSIM_UAF_KEEP];
	struct ptsim_lock_stats lock_stats;
} reports;

__attribute__((constructor)) static void uaf_env(void)
{
	const char *v = getenv("PTSIM_CHECKED");

	if (v && *v && strcmp(v, "0") != 0)
		ptsim_checked_on = true;
}

void uaf_report(const struct ptdesc *d, const char *op, uint64_t addr)
{
	spin_lock(&reports.lock, &reports.lock_stats);
	if (reports.count < PTSIM_UAF_KEEP) {
		struct ptsim_uaf_report *r = &reports.kept[reports.count];

		r->table = (uint64_t)(uintptr_t)ptdesc_table(d);
		r->level = __atomic_load_n(&d->level, __ATOMIC_RELAXED);
		r->strategy = (enum ptsim_strategy)__atomic_load_n(&d->strategy, __ATOMIC_RELAXED);
		r->op = op;
		r->addr = addr;
	}
	__atomic_store_n(&reports.count, reports.count + 1, __ATOMIC_RELEASE);
	spin_unlock(&reports.lock);
}

int ptsim_checked_available(void)
{
	return 1;
}

int ptsim_set_checked(int on)
{
	return __atomic_exchange_n(&ptsim_checked_on, on != 0, __ATOMIC_ACQ_REL);
}

uint64_t ptsim_uaf_count(void)
{
	return __atomic_load_n(&reports.count, __ATOMIC_ACQUIRE);
}

int ptsim_uaf_get(uint64_t i, struct ptsim_uaf_report *r)
{
	int ret = -ENOENT;

	if (!r)
		return -EINVAL;
	spin_lock(&reports.lock, &reports.lock_stats);
	if (i < reports.count && i < PTSIM_UAF_KEEP) {
		*r = reports.kept[i];
		ret = 0;
	}
	spin_unlock(&reports.lock);
	return ret;
}

void ptsim_uaf_reset(void)
{
	spin_lock(&reports.lock, &reports.lock_stats);
	__atomic_store_n(&reports.count, 0, __ATOMIC_RELEASE);
	spin_unlock(&reports.lock);
}
#else
int ptsim_checked_available(void)
{
	return 0;
}

int ptsim_set_checked(int on)
{
	(void)on;
	return -EOPNOTSUPP;
}

uint64_t ptsim_uaf_count(void)
{
	return 0;
}

int ptsim_uaf_get(uint64_t i, struct ptsim_uaf_report *r)
{
	(void)i;
	return r ? -ENOENT : -EINVAL;
}

void ptsim_uaf_reset(void)
{
}
#endif

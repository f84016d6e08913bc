// SPDX-License-Identifier: MIT
/* Reports of the use-after-free detector, and its switch. */
#include "uaf.h"

#include <stdlib.h>
#include <string.h>

#include "lock.h"

#include <stdio.h>
#include <strings.h>

int ptsim_parse_bool(const char *v)
{
	static const char *const on[] = {"1", "on", "true", "yes"};
	static const char *const off[] = {"0", "off", "false", "no", ""};

	if (!v)
		return -1;
	for (unsigned i = 0; i < ARRAY_SIZE(on); i++)
		if (!strcasecmp(v, on[i]))
			return 1;
	for (unsigned i = 0; i < ARRAY_SIZE(off); i++)
		if (!strcasecmp(v, off[i]))
			return 0;
	return -1;
}

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
	int on;

	if (!v)
		return;
	on = ptsim_parse_bool(v);
	if (on < 0)
		fprintf(stderr,
		        "libptsim: PTSIM_CHECKED=%s is not one of on/off, 1/0, true/false, "
		        "yes/no: checked mode stays off\n",
		        v);
	ptsim_checked_on = on == 1;
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

// SPDX-License-Identifier: MIT
/*
 * The strategy registry. A new built-in strategy adds one line to
 * `strategies`; strategies registered at run time (<ptsim/strategy.h>) take
 * the ids after the built-in ones, in registration order, and stay for the
 * life of the process.
 */
#include "strategy.h"

#include <pthread.h>
#include <string.h>

#include "strategy_ext.h"

static const char *const names[PTSIM_STRATEGY_COUNT] = {
        [PTSIM_STRATEGY_NONE] = "none",        [PTSIM_STRATEGY_ATOMIC] = "atomic",
        [PTSIM_STRATEGY_PERCPU] = "percpu",    [PTSIM_STRATEGY_BITFIELD] = "bitfield",
        [PTSIM_STRATEGY_RCU] = "rcu",          [PTSIM_STRATEGY_UNSAFE] = "unsafe",
        [PTSIM_STRATEGY_NONE_5X] = "none-5.x", [PTSIM_STRATEGY_RWSEM] = "rwsem",
};

static const struct pt_strategy *const strategies[PTSIM_STRATEGY_COUNT] = {
        [PTSIM_STRATEGY_NONE] = &strategy_none,
        [PTSIM_STRATEGY_RCU] = &strategy_rcu,
        [PTSIM_STRATEGY_ATOMIC] = &strategy_atomic,
        [PTSIM_STRATEGY_BITFIELD] = &strategy_bitfield,
        [PTSIM_STRATEGY_PERCPU] = &strategy_percpu,
        [PTSIM_STRATEGY_UNSAFE] = &strategy_unsafe,
        [PTSIM_STRATEGY_NONE_5X] = &strategy_none_5x,
        [PTSIM_STRATEGY_RWSEM] = &strategy_rwsem,
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct pt_strategy *registered[PTSIM_STRATEGY_MAX];
/* Stored with release after the slot is filled: a reader that sees n sees slots < n. */
static unsigned nr_registered;

const struct pt_strategy *strategy_get(enum ptsim_strategy s)
{
	unsigned i = (unsigned)s;

	if (i < PTSIM_STRATEGY_COUNT)
		return strategies[i];
	i -= PTSIM_STRATEGY_COUNT;
	return i < smp_load_acquire(&nr_registered) ? registered[i] : NULL;
}

unsigned ptsim_strategy_count(void)
{
	return PTSIM_STRATEGY_COUNT + smp_load_acquire(&nr_registered);
}

int ptsim_strategy_parse(const char *name, enum ptsim_strategy *out)
{
	unsigned n = ptsim_strategy_count();

	if (!name || !out)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(name, ptsim_strategy_name((enum ptsim_strategy)i)) == 0) {
			*out = (enum ptsim_strategy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ptsim_strategy_name(enum ptsim_strategy s)
{
	const struct pt_strategy *st;

	if ((unsigned)s < PTSIM_STRATEGY_COUNT)
		return names[s];
	st = strategy_get(s);
	return st ? st->name : NULL;
}

int ptsim_strategy_register(const struct ptsim_strategy_ops *ops, enum ptsim_strategy *id)
{
	enum ptsim_strategy dummy, new_id;
	const struct pt_strategy *st;
	int err;

	pthread_mutex_lock(&registry_lock);
	new_id = (enum ptsim_strategy)(PTSIM_STRATEGY_COUNT + nr_registered);
	st = strategy_ext_new(ops, new_id, &err);
	if (st && ptsim_strategy_parse(st->name, &dummy) == 0)
		err = -EEXIST;
	else if (st && nr_registered == PTSIM_STRATEGY_MAX)
		err = -ENOSPC;
	if (err) {
		strategy_ext_release(st);
		pthread_mutex_unlock(&registry_lock);
		return err;
	}
	registered[nr_registered] = st;
	smp_store_release(&nr_registered, nr_registered + 1);
	pthread_mutex_unlock(&registry_lock);
	if (id)
		*id = new_id;
	return 0;
}

const char *ptsim_strategy_era(enum ptsim_strategy s)
{
	const struct pt_strategy *st = strategy_get(s);

	return st ? st->era->name : NULL;
}

int ptsim_strategy_available(enum ptsim_strategy s)
{
	return strategy_get(s) != NULL;
}

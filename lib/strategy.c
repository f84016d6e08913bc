// SPDX-License-Identifier: MIT
/* The strategy registry. A new strategy adds one line to `strategies`. */
#include "strategy.h"

#include <string.h>

static const char *const names[PTSIM_STRATEGY_COUNT] = {
        [PTSIM_STRATEGY_NONE] = "none",        [PTSIM_STRATEGY_ATOMIC] = "atomic",
        [PTSIM_STRATEGY_PERCPU] = "percpu",    [PTSIM_STRATEGY_BITFIELD] = "bitfield",
        [PTSIM_STRATEGY_RCU] = "rcu",          [PTSIM_STRATEGY_UNSAFE] = "unsafe",
        [PTSIM_STRATEGY_NONE_5X] = "none-5.x",
};

static const struct pt_strategy *const strategies[PTSIM_STRATEGY_COUNT] = {
        [PTSIM_STRATEGY_NONE] = &strategy_none,
        [PTSIM_STRATEGY_RCU] = &strategy_rcu,
        [PTSIM_STRATEGY_ATOMIC] = &strategy_atomic,
        [PTSIM_STRATEGY_BITFIELD] = &strategy_bitfield,
        [PTSIM_STRATEGY_PERCPU] = &strategy_percpu,
        [PTSIM_STRATEGY_UNSAFE] = &strategy_unsafe,
        [PTSIM_STRATEGY_NONE_5X] = &strategy_none_5x,
};

const struct pt_strategy *strategy_get(enum ptsim_strategy s)
{
	return (unsigned)s < PTSIM_STRATEGY_COUNT ? strategies[s] : NULL;
}

int ptsim_strategy_parse(const char *name, enum ptsim_strategy *out)
{
	if (!name || !out)
		return -EINVAL;
	for (unsigned i = 0; i < PTSIM_STRATEGY_COUNT; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum ptsim_strategy)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ptsim_strategy_name(enum ptsim_strategy s)
{
	return (unsigned)s < PTSIM_STRATEGY_COUNT ? names[s] : NULL;
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

// SPDX-License-Identifier: MIT
/*
 * The plugin's entry point: a loader (madvise_churn --plugin, the tests)
 * dlopen()s this shared object, finds PTSIM_STRATEGY_PLUGIN_INIT and calls
 * it once; from then on its strategies are known by name to every
 * ptsim_strategy_parse() and usable by ptsim_mm_create().
 */
#include <ptsim/strategy.h>

#include "plugin.h"

int ptsim_strategy_plugin_init(void);

int ptsim_strategy_plugin_init(void)
{
	static const struct ptsim_strategy_ops *const all[] = {&rcu_ext_ops, &atomic_ext_ops,
	                                                       &rwsem_ext_ops};
	int n = 0;

	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int err = ptsim_strategy_register(all[i], NULL);

		if (err)
			return err;
		n++;
	}
	return n;
}

/* SPDX-License-Identifier: MIT */
/* The strategies this plugin registers. */
#ifndef STRATEGY_PLUGIN_H
#define STRATEGY_PLUGIN_H

#include <ptsim/strategy.h>

extern const struct ptsim_strategy_ops rcu_ext_ops;
extern const struct ptsim_strategy_ops atomic_ext_ops;
extern const struct ptsim_strategy_ops rwsem_ext_ops;

#endif

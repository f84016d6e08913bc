/* SPDX-License-Identifier: MIT */
/*
 * The adapter between the public strategy API (<ptsim/strategy.h>) and the
 * internal table of operations (strategy.h): a registered strategy becomes
 * a struct pt_strategy whose hooks call the public ones, so the fault, zap
 * and walk paths never know a strategy came from outside.
 */
#ifndef PTSIM_STRATEGY_EXT_H
#define PTSIM_STRATEGY_EXT_H

#include "strategy.h"

/*
 * Checks ops (version, size, name, era) and builds the internal table for
 * id. Returns NULL with *err set (-EINVAL, -ENOMEM); the name is not
 * checked against other strategies (the registry does that).
 */
const struct pt_strategy *strategy_ext_new(const struct ptsim_strategy_ops *ops,
                                           enum ptsim_strategy id, int *err);
/* Frees a table strategy_ext_new() built that was never registered (NULL is ignored). */
void strategy_ext_release(const struct pt_strategy *st);

#endif

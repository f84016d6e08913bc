// SPDX-License-Identifier: MIT
/*
 * A test plugin with one broken strategy, "unsafe-ext": like the built-in
 * `unsafe`, after a whole-table DONTNEED it clears the PMD entry with no
 * lock and frees the table at once (PTSIM_PT_FREE_NOW), breaking the
 * contract of docs/strategy-api.md twice. `test_stress --detect --plugin`
 * must see the use-after-free detector report it: a plugin's mistakes are
 * caught like a built-in's.
 */
#include <ptsim/strategy.h>

int ptsim_strategy_plugin_init(void);

static void unsafe_ext_zap_done(struct ptsim_zap *z)
{
	struct ptsim_mm *mm = ptsim_zap_mm(z);
	struct ptsim_pt *pt = ptsim_zap_pt(z);
	unsigned f = ptsim_zap_flags(z), nonnone;

	if (!(f & PTSIM_ZAP_RECLAIM) || !(f & PTSIM_ZAP_WHOLE) || !ptsim_pmd_maps(mm, pt))
		return;
	ptsim_pt_count(pt, &nonnone, NULL);
	if (nonnone || ptsim_pmd_clear(mm, pt)) /* no PMD lock, no PTL: the bug */
		return;
	ptsim_pt_free(mm, pt, PTSIM_PT_FREED_ZAP | PTSIM_PT_FREE_NOW); /* no grace period */
}

static const struct ptsim_strategy_ops unsafe_ext_ops = {
        .api_version = PTSIM_STRATEGY_API_VERSION,
        .size = sizeof(struct ptsim_strategy_ops),
        .name = "unsafe-ext",
        .zap_done = unsafe_ext_zap_done,
};

int ptsim_strategy_plugin_init(void)
{
	int err = ptsim_strategy_register(&unsafe_ext_ops, NULL);

	return err ? err : 1;
}

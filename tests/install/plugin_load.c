/* SPDX-License-Identifier: MIT */
/*
 * Install test: loads a strategy plugin built against the installed
 * headers, and runs its rcu-ext strategy through a whole-table DONTNEED.
 *   plugin_load PLUGIN.so   -> exit 0 when rcu-ext freed the table
 */
#include <dlfcn.h>
#include <stdio.h>

#include <ptsim/ptsim.h>
#include <ptsim/strategy.h>

#define BASE 0x500000000000ULL

int main(int argc, char **argv)
{
	ptsim_strategy_plugin_init_fn init;
	struct ptsim_mm_stats st;
	enum ptsim_strategy id;
	struct ptsim_mm *mm;
	char msg[128];
	void *h;
	int n;

	if (argc != 2)
		return 2;
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	*(void **)&init = dlsym(h, PTSIM_STRATEGY_PLUGIN_INIT);
	if (!init || (n = init()) < 1 || ptsim_strategy_parse("rcu-ext", &id)) {
		fprintf(stderr, "plugin did not register rcu-ext\n");
		return 1;
	}
	if (ptsim_mm_create(id, &mm) ||
	    ptsim_mmap(mm, BASE, PTSIM_PMD_SIZE, PTSIM_PROT_READ | PTSIM_PROT_WRITE,
	               PTSIM_MAP_FIXED, NULL) ||
	    ptsim_touch(mm, BASE, PTSIM_PMD_SIZE, PTSIM_ACCESS_WRITE) ||
	    ptsim_madvise(mm, BASE, PTSIM_PMD_SIZE, PTSIM_MADV_DONTNEED) ||
	    ptsim_mm_get_stats(mm, &st) || ptsim_mm_check(mm, msg, sizeof(msg))) {
		fprintf(stderr, "rcu-ext: a call failed\n");
		return 1;
	}
	printf("plugin: %d strategies; %s (era %s): pte_tables_freed_zap %llu, VmPTE %llu kB\n", n,
	       ptsim_strategy_name(id), ptsim_strategy_era(id),
	       (unsigned long long)st.pte_tables_freed_zap,
	       (unsigned long long)st.pgtables_bytes / 1024);
	ptsim_mm_destroy(mm);
	return st.pte_tables_freed_zap == 1 && st.nr_pte_tables == 0 ? 0 : 1;
}

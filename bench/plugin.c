// SPDX-License-Identifier: MIT
/* Strategy plugins for the benchmarks (plugin.h). */
#include "plugin.h"

#include <dlfcn.h>
#include <string.h>

#include "bench_util.h"

int bench_load_plugin(const char *prog, const char *path)
{
	ptsim_strategy_plugin_init_fn init;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	int n;

	if (!h)
		bench_die(prog, 2, "--plugin %s: %s", path, dlerror());
	*(void **)&init = dlsym(h, PTSIM_STRATEGY_PLUGIN_INIT);
	if (!init)
		bench_die(prog, 2, "--plugin %s: no %s()", path, PTSIM_STRATEGY_PLUGIN_INIT);
	n = init(); /* the handle stays open: registered strategies cannot go */
	if (n < 0)
		bench_die(prog, 2, "--plugin %s: %s() = %s", path, PTSIM_STRATEGY_PLUGIN_INIT,
		          strerror(-n));
	return n;
}

void bench_load_plugins(const char *prog, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		if (!strcmp(argv[i], "--plugin") && i + 1 < argc)
			bench_load_plugin(prog, argv[++i]);
		else if (!strncmp(argv[i], "--plugin=", 9))
			bench_load_plugin(prog, argv[i] + 9);
	}
}

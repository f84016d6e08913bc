// SPDX-License-Identifier: MIT
/*
 * dlopen() of a shared library that embeds libptsim.a (static_plugin.c),
 * by a program that links neither libptsim nor liburcu.
 *
 *   test_dlopen_static PLUGIN            must load and run: the main thread
 *       and 4 more, then dlclose() while a thread that used it still runs
 *       (the plugin is linked with -z nodelete, as the README asks).
 *   test_dlopen_static --tls-error PLUGIN   the archive's default jemalloc
 *       arena uses initial-exec TLS (Debian's libjemalloc_pic.a), which a
 *       library loaded late cannot get: dlopen() must fail with glibc's
 *       "cannot allocate memory in static TLS block". 77 (skip) if it
 *       loads after all (enough surplus static TLS on this system).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int (*plugin_run)(char *msg, size_t msglen);
static pthread_mutex_t closed_lock = PTHREAD_MUTEX_INITIALIZER;

#define FAIL(...)                                                    \
	do {                                                         \
		fprintf(stderr, "test_dlopen_static: " __VA_ARGS__); \
		fputc('\n', stderr);                                 \
		exit(1);                                             \
	} while (0)

static void *run(void *arg)
{
	char msg[256] = "";
	int err = plugin_run(msg, sizeof(msg));

	if (err)
		FAIL("link_plugin_run: %d %s", err, msg);
	if (arg) { /* exit only once main has dlclose()d the plugin */
		pthread_mutex_lock(&closed_lock);
		pthread_mutex_unlock(&closed_lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int expect_tls_error = argc == 3 && !strcmp(argv[1], "--tls-error");
	const char *lib = argv[argc - 1];
	pthread_t t[5];
	void *h;

	if (argc != 2 && !expect_tls_error) {
		fprintf(stderr, "usage: %s [--tls-error] PLUGIN.so\n", argv[0]);
		return 2;
	}
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (expect_tls_error) {
		const char *e = h ? NULL : dlerror();

		if (h) {
			printf("test_dlopen_static: %s loaded: enough static TLS here\n", lib);
			return 77;
		}
		if (!strstr(e, "static TLS"))
			FAIL("dlopen(%s) failed, but not for static TLS: %s", lib, e);
		printf("test_dlopen_static: as documented: %s\n", e);
		return 0;
	}
	if (!h)
		FAIL("dlopen(%s): %s", lib, dlerror());
	*(void **)&plugin_run = dlsym(h, "link_plugin_run");
	if (!plugin_run)
		FAIL("dlsym(link_plugin_run): %s", dlerror());
	run(NULL);
	pthread_mutex_lock(&closed_lock);
	for (int i = 0; i < 5; i++)
		if (pthread_create(&t[i], NULL, run, i ? NULL : &closed_lock))
			FAIL("pthread_create");
	for (int i = 1; i < 5; i++)
		pthread_join(t[i], NULL);
	if (dlclose(h))
		FAIL("dlclose: %s", dlerror());
	pthread_mutex_unlock(&closed_lock);
	pthread_join(t[0], NULL);
	printf("test_dlopen_static: %s loaded, used by 5 threads, closed\n", lib);
	return 0;
}

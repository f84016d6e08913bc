// SPDX-License-Identifier: MIT
/*
 * Loads libptsim.so.0 with dlopen(), as plugins and language bindings do
 * (Python's ctypes among them): the program neither links libptsim nor
 * liburcu, so both come in late, after the static TLS block was sized.
 * Then uses it from several threads, dlclose()s it and lets those threads'
 * exit handlers run. argv[1]: the library to open (default libptsim.so.0).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ptsim/ptsim.h> /* types and constants only: every call goes through dlsym */

#define BASE 0x600000000000ULL
#define LEN  (8ULL << 20)

static struct api {
	const char *(*version)(void);
	int (*mm_create)(enum ptsim_strategy, struct ptsim_mm **);
	void (*mm_destroy)(struct ptsim_mm *);
	int (*mmap)(struct ptsim_mm *, uint64_t, uint64_t, int, int, uint64_t *);
	int (*touch)(struct ptsim_mm *, uint64_t, uint64_t, int);
	int (*madvise)(struct ptsim_mm *, uint64_t, uint64_t, int);
	int (*mm_check)(struct ptsim_mm *, char *, size_t);
	void (*synchronize)(void);
} api;

#define FAIL(...)                                             \
	do {                                                  \
		fprintf(stderr, "test_dlopen: " __VA_ARGS__); \
		fputc('\n', stderr);                          \
		exit(1);                                      \
	} while (0)

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p)
		FAIL("dlsym(%s): %s", name, dlerror());
	return p;
}

/* One checked life of an rcu mm: DONTNEED frees tables through call_rcu. */
static void *workload(void *arg)
{
	struct ptsim_mm *mm;
	uint64_t addr;
	char msg[256] = "";
	int err;

	(void)arg;
	if ((err = api.mm_create(PTSIM_STRATEGY_RCU, &mm)))
		FAIL("ptsim_mm_create: %d", err);
	err = api.mmap(mm, BASE, LEN, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED, &addr);
	if (!err)
		err = api.touch(mm, BASE, LEN, PTSIM_ACCESS_WRITE);
	if (!err)
		err = api.madvise(mm, BASE, LEN, PTSIM_MADV_DONTNEED);
	if (!err)
		err = api.touch(mm, BASE, LEN, PTSIM_ACCESS_WRITE);
	if (err)
		FAIL("mmap/touch/madvise: %d", err);
	if ((err = api.mm_check(mm, msg, sizeof(msg))))
		FAIL("ptsim_mm_check: %d %s", err, msg);
	api.mm_destroy(mm);
	return NULL;
}

static pthread_mutex_t closed_lock = PTHREAD_MUTEX_INITIALIZER;

/* Uses the library, then exits only once main has dlclose()d it. */
static void *late_exit(void *arg)
{
	workload(arg);
	pthread_mutex_lock(&closed_lock);
	pthread_mutex_unlock(&closed_lock);
	return NULL;
}

static void run_threads(int n)
{
	pthread_t t[8];

	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, workload, NULL))
			FAIL("pthread_create");
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	const char *lib = argc > 1 ? argv[1] : "libptsim.so.0";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		FAIL("dlopen(%s): %s", lib, dlerror());
	api.version = sym(h, "ptsim_version");
	api.mm_create = sym(h, "ptsim_mm_create");
	api.mm_destroy = sym(h, "ptsim_mm_destroy");
	api.mmap = sym(h, "ptsim_mmap");
	api.touch = sym(h, "ptsim_touch");
	api.madvise = sym(h, "ptsim_madvise");
	api.mm_check = sym(h, "ptsim_mm_check");
	api.synchronize = sym(h, "ptsim_synchronize");
	if (strcmp(api.version(), PTSIM_VERSION) != 0)
		FAIL("loaded version %s, header %s", api.version(), PTSIM_VERSION);

	workload(NULL); /* the main thread */
	run_threads(8);
	api.synchronize();

	/* A thread that used the library exits after dlclose(): its exit handler must remain. */
	pthread_t late;
	pthread_mutex_lock(&closed_lock);
	if (pthread_create(&late, NULL, late_exit, NULL))
		FAIL("pthread_create");
	const char *version = api.version();
	printf("test_dlopen: %s %s loaded, used by 9 threads\n", lib, version);
	fflush(stdout);
	if (dlclose(h))
		FAIL("dlclose: %s", dlerror());
	pthread_mutex_unlock(&closed_lock);
	pthread_join(late, NULL);
	printf("test_dlopen: closed; a thread that used it exited afterwards\n");
	return 0;
}

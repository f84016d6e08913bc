/* SPDX-License-Identifier: MIT */
/*
 * Simulator backend: the same operations on a libptsim mm, through the
 * public API only. VmPTE is pgtables_bytes, RSS the anonymous frames, both
 * in kB as /proc prints them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ptsim/ptsim.h>

#include "replay.h"

static struct ptsim_mm *sim_mm(struct replay_env *env)
{
	return env->priv;
}

/*
 * A replay is also a cheap consistency test of the library: every reported
 * figure is taken only after ptsim_mm_check() agrees the mm is consistent.
 */
static int sim_verify(struct replay_env *env, struct ptsim_mm *mm, const char *whose)
{
	char msg[REPLAY_DETAIL_LEN - 64];
	int err;

	msg[0] = '\0';
	err = ptsim_mm_check(mm, msg, sizeof(msg));
	if (err)
		snprintf(env->detail, sizeof(env->detail), "ptsim_mm_check on the %s: %s", whose,
		         msg);
	return err;
}

static int sim_mmap(struct replay_env *env, uint64_t addr, uint64_t len, int prot)
{
	uint64_t out = 0;
	int err = ptsim_mmap(sim_mm(env), addr, len, prot, PTSIM_MAP_FIXED, &out);

	if (!err && out != addr) {
		snprintf(env->detail, sizeof(env->detail),
		         "ptsim_mmap placed a MAP_FIXED mapping at 0x%llx",
		         (unsigned long long)out);
		return -EADDRNOTAVAIL;
	}
	return err;
}

static int sim_mmap_any(struct replay_env *env, uint64_t len, uint64_t *addr)
{
	return ptsim_mmap(sim_mm(env), 0, len, PTSIM_PROT_READ | PTSIM_PROT_WRITE, 0, addr);
}

static int sim_munmap(struct replay_env *env, uint64_t addr, uint64_t len)
{
	return ptsim_munmap(sim_mm(env), addr, len);
}

static int sim_touch(struct replay_env *env, uint64_t addr, uint64_t len, int access)
{
	return ptsim_touch(sim_mm(env), addr, len, access);
}

static int sim_madvise(struct replay_env *env, uint64_t addr, uint64_t len, int advice)
{
	return ptsim_madvise(sim_mm(env), addr, len, advice);
}

static int sim_mprotect(struct replay_env *env, uint64_t addr, uint64_t len, int prot)
{
	return ptsim_mprotect(sim_mm(env), addr, len, prot);
}

static int sim_usage(struct replay_env *env, struct replay_usage *u)
{
	struct ptsim_mm_stats st;
	int err = sim_verify(env, sim_mm(env), "mm");

	if (!err)
		err = ptsim_mm_get_stats(sim_mm(env), &st);
	if (err)
		return err;
	u->vmpte_kb = (int64_t)(st.pgtables_bytes / 1024);
	u->rss_kb = (int64_t)(st.rss_anon_pages * (PTSIM_PAGE_SIZE / 1024));
	return 0;
}

/* fork_check: copy the mm, read the child's VmPTE, drop the child (its exit). */
static int sim_fork_vmpte(struct replay_env *env, int64_t *child_vmpte_kb)
{
	struct ptsim_mm *child = NULL;
	struct ptsim_mm_stats st;
	int err = ptsim_fork(sim_mm(env), &child);

	if (err)
		return err;
	err = sim_verify(env, child, "forked child");
	if (!err)
		err = ptsim_mm_get_stats(child, &st);
	if (!err)
		*child_vmpte_kb = (int64_t)(st.pgtables_bytes / 1024);
	ptsim_mm_destroy(child);
	/* the parent's entries were write-protected: it must still be consistent */
	if (!err)
		err = sim_verify(env, sim_mm(env), "parent after fork");
	return err;
}

/*
 * bitfield's pass takes the mmap lock with a trylock and gives up (-EBUSY)
 * when it is held; only the baton holder runs, so a failure here is real.
 */
static int sim_reclaim(struct replay_env *env, int64_t *freed_bytes)
{
	int64_t r = ptsim_reclaim(sim_mm(env));

	if (r < 0)
		return (int)r;
	*freed_bytes = r;
	return 0;
}

#define GUP_BATCH 64

/* GUP-fast over the range, a batch at a time; every pin is dropped at once. */
static int sim_gup(struct replay_env *env, uint64_t addr, uint64_t len, int write, int *pinned)
{
	uint64_t pfns[GUP_BATCH];
	uint64_t start = addr & ~(PTSIM_PAGE_SIZE - 1);
	uint64_t end = addr + len;

	*pinned = 0;
	while (start < end) {
		uint64_t left = (end - start + PTSIM_PAGE_SIZE - 1) / PTSIM_PAGE_SIZE;
		int want = left < GUP_BATCH ? (int)left : GUP_BATCH;
		int got = ptsim_gup_fast(sim_mm(env), start, want, write, pfns);

		if (got < 0)
			return got;
		ptsim_unpin(pfns, got);
		*pinned += got;
		/* GUP-fast stops at a page it cannot take: skip it, as a caller's slow path would
		 */
		start += (uint64_t)(got < want ? got + 1 : got) * PTSIM_PAGE_SIZE;
	}
	return 0;
}

/* fork: the child's mm replaces the parent's, which exits. */
static int sim_fork_child(struct replay_env *env)
{
	struct ptsim_mm *child = NULL;
	int err = ptsim_fork(sim_mm(env), &child);

	if (err)
		return err;
	err = sim_verify(env, child, "forked child");
	ptsim_mm_destroy(sim_mm(env));
	env->priv = child;
	return err;
}

static void sim_destroy(struct replay_env *env)
{
	ptsim_mm_destroy(sim_mm(env));
	env->priv = NULL;
}

static const struct replay_backend sim_backend = {
        .name = "sim",
        .mmap = sim_mmap,
        .mmap_any = sim_mmap_any,
        .munmap = sim_munmap,
        .touch = sim_touch,
        .madvise = sim_madvise,
        .mprotect = sim_mprotect,
        .usage = sim_usage,
        .fork_vmpte = sim_fork_vmpte,
        .reclaim = sim_reclaim,
        .gup = sim_gup,
        .fork_child = sim_fork_child,
        .destroy = sim_destroy,
};

/* A known strategy that this build cannot create is an operational error. */
int replay_sim_init(struct replay_env *env, enum ptsim_strategy strategy, bool no_zero_page)
{
	struct ptsim_mm *mm = NULL;
	int err;

	memset(env, 0, sizeof(*env));
	env->backend = &sim_backend;
	err = ptsim_mm_create(strategy, &mm);
	if (err) {
		fprintf(stderr, "ptsim-replay: cannot create an mm with strategy '%s'%s: %s\n",
		        ptsim_strategy_name(strategy),
		        err == -EOPNOTSUPP ? " (not available in this build)" : "", strerror(-err));
		return -1;
	}
	if (no_zero_page) {
		err = ptsim_mm_set_option(mm, PTSIM_OPT_NO_ZERO_PAGE, 1);
		if (err) {
			fprintf(stderr, "ptsim-replay: --no-zero-page: %s\n", strerror(-err));
			ptsim_mm_destroy(mm);
			return -1;
		}
	}
	env->priv = mm;
	return 0;
}

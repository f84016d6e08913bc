/* SPDX-License-Identifier: MIT */
/* madvise_churn --fork: plain fork against COW PTE tables (fork_cow.c). */
#ifndef PTSIM_BENCH_FORK_COW_H
#define PTSIM_BENCH_FORK_COW_H

/* argv[0] is "--fork"; the options after it are the fork mode's own. */
int fork_bench_main(int argc, char **argv);

#endif

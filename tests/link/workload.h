/* SPDX-License-Identifier: MIT */
/* The link tests' common work: a short, checked life of one mm. */
#ifndef PTSIM_LINK_WORKLOAD_H
#define PTSIM_LINK_WORKLOAD_H

#include <stddef.h>

#include <ptsim/ptsim.h>

/*
 * Maps 8 MiB at a fixed address, writes every page, MADV_DONTNEEDs it,
 * writes it again, checks every invariant, unmaps and destroys the mm; with
 * the rcu strategy the DONTNEED frees page tables through call_rcu. Returns
 * 0, or a negative errno with a message in msg.
 */
int link_workload(enum ptsim_strategy s, char *msg, size_t msglen);

#endif

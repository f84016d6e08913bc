// SPDX-License-Identifier: MIT
#include "workload.h"

#include <stdint.h>
#include <stdio.h>

#define WL_BASE 0x600000000000ULL
#define WL_LEN  (8ULL << 20)

int link_workload(enum ptsim_strategy s, char *msg, size_t msglen)
{
	struct ptsim_mm *mm;
	struct ptsim_mm_stats st;
	uint64_t addr;
	int err = ptsim_mm_create(s, &mm);

	if (err) {
		snprintf(msg, msglen, "ptsim_mm_create: %d", err);
		return err;
	}
	err = ptsim_mmap(mm, WL_BASE, WL_LEN, PTSIM_PROT_READ | PTSIM_PROT_WRITE, PTSIM_MAP_FIXED,
	                 &addr);
	if (!err)
		err = ptsim_touch(mm, WL_BASE, WL_LEN, PTSIM_ACCESS_WRITE);
	if (!err)
		err = ptsim_madvise(mm, WL_BASE, WL_LEN, PTSIM_MADV_DONTNEED);
	if (!err)
		err = ptsim_touch(mm, WL_BASE, WL_LEN, PTSIM_ACCESS_WRITE);
	if (!err)
		err = ptsim_mm_get_stats(mm, &st);
	if (!err && st.rss_anon_pages != WL_LEN >> 12) {
		snprintf(msg, msglen, "rss %llu pages, expected %llu",
		         (unsigned long long)st.rss_anon_pages, WL_LEN >> 12);
		err = -1;
	} else if (err) {
		snprintf(msg, msglen, "mmap/touch/madvise/stats: %d", err);
	}
	if (!err)
		err = ptsim_mm_check(mm, msg, msglen);
	if (!err)
		err = ptsim_munmap(mm, WL_BASE, WL_LEN);
	ptsim_mm_destroy(mm);
	return err;
}

/* SPDX-License-Identifier: MIT */
/* Address-space operations shared between the public calls. */
#ifndef PTSIM_MMAP_H
#define PTSIM_MMAP_H

#include "mm.h"

/* do_vmi_munmap(): mmap lock held for write. -ENOMEM changes nothing. */
int do_munmap(struct ptsim_mm *mm, uint64_t start, uint64_t end);
/*
 * populate_vma_page_range() / faultin_page_range(): fault in every page of
 * [start, end) that the access would fault on; mmap lock held for read.
 * Stops at the first hole (-ENOMEM) or forbidden access (-EINVAL).
 */
int populate_range(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool write);

#endif

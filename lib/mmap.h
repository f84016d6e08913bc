/* SPDX-License-Identifier: MIT */
/* Address-space operations shared between the public calls. */
#ifndef PTSIM_MMAP_H
#define PTSIM_MMAP_H

#include "mm.h"

/*
 * do_vmi_munmap(): mmap lock held for write. -ENOMEM changes nothing. With
 * unlock the lock is released before returning, and where the era
 * downgrades it, it is held only for read while the range is zapped.
 */
int do_munmap(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool unlock);
/*
 * populate_vma_page_range() / faultin_page_range(): fault in every page of
 * [start, end) that the access would fault on; mmap lock held for read.
 * Stops at the first hole (-ENOMEM) or forbidden access (-EINVAL).
 */
int populate_range(struct ptsim_mm *mm, uint64_t start, uint64_t end, bool write);

#endif

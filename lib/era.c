// SPDX-License-Identifier: MIT
/* The two eras (era.h). */
#include "era.h"

const struct pt_era era_6_18 = {
        .name = "6.18",
        .id = PT_ERA_6_18,
        .per_vma_locks = true,
        .pte_map_rcu = true,
        .thp_align = true,
        .munmap_downgrade = true,
        .irqs_off_rcu = true,
};

const struct pt_era era_5_x = {
        .name = "5.x",
        .id = PT_ERA_5_X,
        .per_vma_locks = false,
        .pte_map_rcu = false,
        .thp_align = false,
        .munmap_downgrade = true,
        .irqs_off_rcu = false,
};

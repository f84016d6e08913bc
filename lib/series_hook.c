// SPDX-License-Identifier: MIT
/* Test-only pause points of the 2021/2022 series (series_hook.h). */
#include "series_hook.h"

void (*series_test_hook)(int point, struct ptsim_mm *mm, uintptr_t arg);

// SPDX-License-Identifier: MIT
/* The library's own version, for programs to compare with the header they saw. */
#include "internal.h"

const char *ptsim_version(void)
{
	return PTSIM_VERSION;
}

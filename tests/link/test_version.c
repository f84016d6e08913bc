// SPDX-License-Identifier: MIT
/* <ptsim/version.h> and the loaded library's ptsim_version() agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <ptsim/ptsim.h>

static void test_header_matches_library(void **state)
{
	unsigned major, minor, patch;
	char rest;

	(void)state;
	assert_string_equal(ptsim_version(), PTSIM_VERSION);
	assert_int_equal(sscanf(ptsim_version(), "%u.%u.%u%c", &major, &minor, &patch, &rest), 3);
	assert_int_equal(major, PTSIM_VERSION_MAJOR);
	assert_int_equal(minor, PTSIM_VERSION_MINOR);
	assert_int_equal(patch, PTSIM_VERSION_PATCH);
	assert_int_equal(PTSIM_VERSION_NUMBER, major * 10000 + minor * 100 + patch);
#if PTSIM_VERSION_NUMBER < 100
#error "PTSIM_VERSION_NUMBER must be usable in #if"
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_header_matches_library),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

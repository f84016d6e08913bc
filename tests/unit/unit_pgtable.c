// SPDX-License-Identifier: MIT
/* Entry encoding and level geometry (lib/pgtable.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pgtable.h"

static void test_index_per_level(void **state)
{
	/* 0x500000000000 = PGD slot 160; 1 GiB + 2 MiB + 4 KiB further in. */
	uint64_t a = 0x500000000000ULL + (1ULL << 30) + (2ULL << 20) + 4096;

	(void)state;
	assert_int_equal(pt_index(a, PT_LEVEL_PGD), 160);
	assert_int_equal(pt_index(a, PT_LEVEL_PUD), 1);
	assert_int_equal(pt_index(a, PT_LEVEL_PMD), 1);
	assert_int_equal(pt_index(a, PT_LEVEL_PTE), 1);
	assert_int_equal(level_shift(PT_LEVEL_PTE), 12);
	assert_int_equal(level_shift(PT_LEVEL_PMD), 21);
	assert_int_equal(level_shift(PT_LEVEL_PGD), 39);
}

static void test_addr_end_clamps(void **state)
{
	(void)state;
	assert_int_equal(pt_addr_end(0x1000, 0x10000000, PT_LEVEL_PMD), 0x200000);
	assert_int_equal(pt_addr_end(0x1000, 0x3000, PT_LEVEL_PMD), 0x3000);
	/* The top of the address space: the boundary wraps to 0 and must not win. */
	assert_int_equal(pt_addr_end(0xffffffffffe00000ULL, 0xfffffffffffff000ULL, PT_LEVEL_PMD),
	                 0xfffffffffffff000ULL);
}

static void test_none_ignores_stray_ad_bits(void **state)
{
	(void)state;
	assert_true(pte_none(0));
	assert_true(pte_none(_PAGE_ACCESSED | _PAGE_DIRTY));
	assert_false(pte_none(_PAGE_PROTNONE));
	assert_false(pte_none(1ULL << 12)); /* a swap-style entry still counts */
	assert_true(pte_present(_PAGE_PROTNONE));
	assert_false(pte_present(1ULL << 12));
}

static void test_table_entry_roundtrip(void **state)
{
	static pte_t table[512] __attribute__((aligned(4096)));
	pte_t e = mk_table_entry(table);

	(void)state;
	assert_int_equal(e & ~_PAGE_PFN_MASK, _PAGE_TABLE);
	assert_ptr_equal(entry_table(e), table);
	assert_int_equal(pte_pfn(e), (uintptr_t)table >> 12);
}

static void test_prot_bits(void **state)
{
	(void)state;
	assert_int_equal(prot_pte_bits(PTSIM_PROT_READ), _PAGE_PRESENT | _PAGE_USER | _PAGE_NX);
	assert_int_equal(prot_pte_bits(PTSIM_PROT_READ | PTSIM_PROT_EXEC),
	                 _PAGE_PRESENT | _PAGE_USER);
	assert_int_equal(prot_pte_bits(PTSIM_PROT_NONE), _PAGE_PROTNONE | _PAGE_USER | _PAGE_NX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_index_per_level),
	        cmocka_unit_test(test_addr_end_clamps),
	        cmocka_unit_test(test_none_ignores_stray_ad_bits),
	        cmocka_unit_test(test_table_entry_roundtrip),
	        cmocka_unit_test(test_prot_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

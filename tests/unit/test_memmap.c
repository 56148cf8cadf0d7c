/* The guest memory map (arch/arm64/memmap.c). */
#include "arch/arm64/memmap.h"

#include <errno.h>

#include "tests/unit/unit.h"

#define R(b, s)	{ "r", (b), (s) }

static size_t a, b;

/* memmap_check() of a crafted table, pair indices poisoned beforehand. */
static int check(const struct memmap_region *map, size_t n)
{
	a = b = (size_t)-1;
	return memmap_check(map, n, &a, &b);
}

static void assert_clash(const struct memmap_region *map, size_t n, size_t ea, size_t eb)
{
	ck_assert_int_eq(check(map, n), -EINVAL);
	ck_assert_uint_eq(a, ea);
	ck_assert_uint_eq(b, eb);
}

START_TEST(real_table_is_consistent)
{
	struct memmap_region map[MM_COUNT];

	for (int i = 0; i < MM_COUNT; i++) {
		map[i] = *memmap_get(i);
		ck_assert_ptr_nonnull(map[i].name);
	}
	ck_assert_int_eq(check(map, MM_COUNT), 0);
	ck_assert_uint_eq(memmap_get(MM_RAM)->base, 0x40000000);
	ck_assert_uint_ge(memmap_get(MM_GICR)->size, MEMMAP_MAX_CPUS * MEMMAP_GICR_STRIDE);
}
END_TEST

START_TEST(adjacent_regions_do_not_clash)
{
	const struct memmap_region map[] = { R(0x2000, 0x1000), R(0x1000, 0x1000), R(0x3000, 1) };

	ck_assert_int_eq(check(map, 3), 0);
}
END_TEST

START_TEST(one_byte_overlap)
{
	const struct memmap_region map[] = { R(0x1000, 0x1000), R(0x1fff, 0x1000) };

	assert_clash(map, 2, 0, 1);
}
END_TEST

START_TEST(overlap_pair_indices)
{
	const struct memmap_region first[] = { R(0x1000, 0x1000), R(0x3000, 0x1000), R(0x1800, 0x100) };
	const struct memmap_region later[] = { R(0x1000, 0x1000), R(0x3000, 0x1000), R(0x2000, 0x1001) };

	assert_clash(first, 3, 0, 2);
	assert_clash(later, 3, 1, 2);
}
END_TEST

START_TEST(containment)
{
	const struct memmap_region map[] = { R(0x5000, 0x10), R(0x0, 0x100000) };

	assert_clash(map, 2, 0, 1);
}
END_TEST

START_TEST(zero_size_region)
{
	const struct memmap_region map[] = { R(0x1000, 0x1000), R(0x8000, 0), R(0x9000, 0x10) };

	assert_clash(map, 3, 1, 1);
}
END_TEST

START_TEST(wrapping_region)
{
	const struct memmap_region map[] = {
		R(0x1000, 0x1000), R(0x3000, 0x1000), R(UINT64_MAX - 0xfff, 0x2000),
	};

	assert_clash(map, 3, 2, 2);
}
END_TEST

START_TEST(ipa_bits_cover_the_map)
{
	uint64_t top = 0;
	unsigned bits = memmap_ipa_bits();

	for (int i = 0; i < MM_COUNT; i++) {
		const struct memmap_region *r = memmap_get(i);

		if (r->base + r->size > top)
			top = r->base + r->size;
	}
	ck_assert_uint_ge(bits, 32);
	ck_assert_uint_lt(bits, 64);
	ck_assert_uint_ge(1ull << bits, top);
	/* ... and is the smallest such width. */
	if (bits > 32)
		ck_assert_uint_lt(1ull << (bits - 1), top);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memmap");

	UNIT_TCASE(s, "table", real_table_is_consistent, ipa_bits_cover_the_map);
	UNIT_TCASE(s, "check", adjacent_regions_do_not_clash, one_byte_overlap,
		   overlap_pair_indices, containment, zero_size_region, wrapping_region);
	return unit_run(s);
}

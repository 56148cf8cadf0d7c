/* Keyed saved-state sets (vmm/regset.c). */
#include "vmm/regset.h"

#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"

static struct regset s;

static void setup(void) { regset_init(&s); }
static void teardown(void) { regset_free(&s); }

START_TEST(integers_round_trip_little_endian)
{
	uint64_t v = 0;
	uint32_t len;
	const uint8_t *p;

	ck_assert_int_eq(regset_put_uint(&s, 0x6030000000100000ull, 0x1122334455667788ull, 8), 0);
	ck_assert_int_eq(regset_put_uint(&s, 7, 0xabcd, 2), 0);
	ck_assert_int_eq(regset_get_uint(&s, 0x6030000000100000ull, &v), 0);
	ck_assert_uint_eq(v, 0x1122334455667788ull);
	p = regset_get(&s, 0x6030000000100000ull, &len);
	ck_assert_uint_eq(len, 8);
	ck_assert_uint_eq(p[0], 0x88);	/* little-endian bytes, whatever the host */
	ck_assert_int_eq(regset_get_uint(&s, 7, &v), 0);
	ck_assert_uint_eq(v, 0xabcd);
	ck_assert_uint_eq(s.count, 2);
}
END_TEST

START_TEST(missing_and_odd_sizes)
{
	uint8_t z[16] = { 1 };
	uint64_t v;

	ck_assert_int_eq(regset_get_uint(&s, 1, &v), -ENOENT);
	ck_assert_ptr_null(regset_get(&s, 1, &(uint32_t){ 0 }));
	ck_assert_int_eq(regset_put(&s, 2, z, sizeof(z)), 0);
	ck_assert_int_eq(regset_get_uint(&s, 2, &v), -EINVAL);	/* 16 bytes: not an integer */
	ck_assert_int_eq(regset_put_uint(&s, 3, 1, 3), -EINVAL);
	ck_assert_int_eq(regset_put(&s, 4, z, REGSET_MAX_VALUE + 1), -E2BIG);
}
END_TEST

START_TEST(put_replaces)
{
	uint64_t v;

	ck_assert_int_eq(regset_put_uint(&s, 5, 1, 4), 0);
	ck_assert_int_eq(regset_put_uint(&s, 6, 2, 4), 0);
	ck_assert_int_eq(regset_put_uint(&s, 5, 3, 8), 0);
	ck_assert_uint_eq(s.count, 2);
	ck_assert_int_eq(regset_get_uint(&s, 5, &v), 0);
	ck_assert_uint_eq(v, 3);
	ck_assert_int_eq(regset_get_uint(&s, 6, &v), 0);
	ck_assert_uint_eq(v, 2);
}
END_TEST

START_TEST(walk_in_order_with_big_values)
{
	uint8_t big[256];
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t len;

	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	for (uint64_t k = 100; k < 200; k++)
		ck_assert_int_eq(regset_put(&s, k, big, (uint32_t)(k - 100) + 1), 0);
	for (uint64_t k = 100; k < 200; k++) {
		ck_assert_int_eq(regset_next(&s, &pos, &key, &val, &len), 1);
		ck_assert_uint_eq(key, k);
		ck_assert_uint_eq(len, k - 99);
		ck_assert_mem_eq(val, big, len);
	}
	ck_assert_int_eq(regset_next(&s, &pos, &key, &val, &len), 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("regset");
	TCase *tc = UNIT_TCASE(su, "regset", integers_round_trip_little_endian,
			       missing_and_odd_sizes, put_replaces, walk_in_order_with_big_values);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(su);
}

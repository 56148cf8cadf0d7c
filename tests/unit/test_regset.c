/* Keyed saved-state sets (vmm/regset.c). */
#include "vmm/regset.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

START_TEST(replaced_key_walks_last)
{
	const uint64_t want[] = { 1, 3, 2 };
	size_t pos = 0;
	uint64_t key, v;
	const uint8_t *val;
	uint32_t len;

	for (uint64_t k = 1; k <= 3; k++)
		ck_assert_int_eq(regset_put_uint(&s, k, k, 8), 0);
	ck_assert_int_eq(regset_put_uint(&s, 2, 0x22, 1), 0);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(regset_next(&s, &pos, &key, &val, &len), 1);
		ck_assert_uint_eq(key, want[i]);
	}
	ck_assert_int_eq(regset_next(&s, &pos, &key, &val, &len), 0);
	ck_assert_uint_eq(s.count, 3);
	ck_assert_int_eq(regset_get_uint(&s, 2, &v), 0);
	ck_assert_uint_eq(v, 0x22);
}
END_TEST

START_TEST(add_refuses_a_key_twice)
{
	uint64_t v;

	ck_assert_int_eq(regset_add(&s, 9, "ab", 2), 0);
	ck_assert_int_eq(regset_add(&s, 9, "xyz", 3), -EEXIST);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_mem_eq(regset_get(&s, 9, &(uint32_t){ 0 }), "ab", 2);
	ck_assert_int_eq(regset_add(&s, 10, NULL, 0), 0);	/* an empty value is a value */
	ck_assert(regset_has(&s, 10));
	ck_assert_int_eq(regset_add(&s, 11, "x", REGSET_MAX_VALUE + 1), -E2BIG);
	ck_assert_int_eq(regset_put_uint(&s, 9, 5, 4), 0);	/* put still replaces */
	ck_assert_int_eq(regset_get_uint(&s, 9, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_uint_eq(s.count, 2);
}
END_TEST

START_TEST(empty_sets_answer)
{
	struct regset none = { 0 };
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t len;

	ck_assert_ptr_null(regset_get(&none, 0, &len));
	ck_assert(!regset_has(&none, 0));
	ck_assert(!regset_has(NULL, 0));
	ck_assert_int_eq(regset_next(&none, &pos, &key, &val, &len), 0);
	ck_assert_int_eq(regset_copy(&s, &none), 0);
	ck_assert_int_eq(regset_copy(&s, NULL), 0);
	ck_assert_uint_eq(s.count, 0);
}
END_TEST

/* A model of the set: each key's value and when it was last put. */
#define MODEL_KEYS	40

struct model {
	uint32_t len[MODEL_KEYS];
	uint8_t val[MODEL_KEYS][64];
	unsigned when[MODEL_KEYS];	/* 0: absent */
};

static void model_check(const struct model *m)
{
	unsigned last = 0, n = 0;
	size_t pos = 0;
	uint64_t key;
	const uint8_t *val;
	uint32_t len;

	while (regset_next(&s, &pos, &key, &val, &len)) {
		ck_assert_uint_lt(key, MODEL_KEYS);
		ck_assert_uint_gt(m->when[key], last);	/* in the order of the last puts */
		last = m->when[key];
		ck_assert_uint_eq(len, m->len[key]);
		ck_assert_mem_eq(val, m->val[key], len);
		n++;
	}
	ck_assert_uint_eq(n, s.count);
	for (unsigned k = 0; k < MODEL_KEYS; k++)
		ck_assert_int_eq(regset_has(&s, k), !!m->when[k]);
}

START_TEST(replacing_many_times_matches_a_model)
{
	static struct model m;
	uint32_t x = 12345;

	memset(&m, 0, sizeof(m));
	for (unsigned op = 1; op <= 20000; op++) {
		unsigned k, len;

		x = x * 1103515245u + 12345u;
		k = (x >> 16) % MODEL_KEYS;
		len = (x >> 8) % 65;
		for (unsigned i = 0; i < len; i++)
			m.val[k][i] = (uint8_t)(op + i);
		m.len[k] = len;
		m.when[k] = op;
		ck_assert_int_eq(regset_put(&s, k, m.val[k], len), 0);
		if (op % 997 == 0)
			model_check(&m);
	}
	model_check(&m);
	ck_assert_uint_le(s.len, 2 * (s.count * (12 + 64)) + 12 + 64);	/* replaced ones go */
}
END_TEST

START_TEST(copy_keeps_order_and_values)
{
	struct regset d;
	size_t pa = 0, pb = 0;
	uint64_t ka, kb;
	const uint8_t *va, *vb;
	uint32_t la, lb;

	regset_init(&d);
	for (uint64_t k = 0; k < 300; k++)
		ck_assert_int_eq(regset_put_uint(&s, k * 7919, k, 8), 0);
	for (uint64_t k = 0; k < 300; k += 3)
		ck_assert_int_eq(regset_put_uint(&s, k * 7919, ~k, 8), 0);
	ck_assert_int_eq(regset_copy(&d, &s), 0);
	ck_assert_uint_eq(d.count, s.count);
	while (regset_next(&s, &pa, &ka, &va, &la)) {
		ck_assert_int_eq(regset_next(&d, &pb, &kb, &vb, &lb), 1);
		ck_assert_uint_eq(ka, kb);
		ck_assert_uint_eq(la, lb);
		ck_assert_mem_eq(va, vb, la);
	}
	ck_assert_int_eq(regset_next(&d, &pb, &kb, &vb, &lb), 0);
	regset_free(&d);
}
END_TEST

START_TEST(a_set_holds_at_most_max_keys)
{
	unsigned bad = 0;
	uint64_t v;

	for (uint64_t k = 0; k < REGSET_MAX_KEYS; k++)
		bad += regset_put_uint(&s, k, k, 1) != 0;	/* no ck_assert per key: fast */
	ck_assert_uint_eq(bad, 0);
	ck_assert_int_eq(regset_put_uint(&s, REGSET_MAX_KEYS, 1, 1), -ENOSPC);
	ck_assert_int_eq(regset_add(&s, REGSET_MAX_KEYS, "x", 1), -ENOSPC);
	ck_assert(!regset_has(&s, REGSET_MAX_KEYS));
	ck_assert_int_eq(regset_put_uint(&s, 17, 99, 1), 0);	/* replacing still works */
	ck_assert_int_eq(regset_get_uint(&s, 17, &v), 0);
	ck_assert_uint_eq(v, 99);
	ck_assert_uint_eq(s.count, REGSET_MAX_KEYS);
}
END_TEST

START_TEST(a_list_holds_at_most_max_sets)
{
	struct regset_list l = { 0 };
	char name[REGSET_NAME_MAX + 1];

	for (unsigned i = 0; i < REGSET_LIST_MAX; i++) {
		snprintf(name, sizeof(name), "dev.%u", i);
		ck_assert_ptr_nonnull(regset_list_add(&l, name, 1));
	}
	ck_assert_ptr_null(regset_list_add(&l, "one.more", 1));
	ck_assert_uint_eq(l.n, REGSET_LIST_MAX);
	ck_assert_ptr_nonnull(regset_list_findf(&l, "dev.%u", REGSET_LIST_MAX - 1));
	ck_assert_ptr_null(regset_list_add(&l, "a-name-longer-than-thirty-one-bytes", 1));
	regset_list_free(&l);
}
END_TEST

/* The complexity guard: a full set of keys that differ only in their high
 * bytes (the worst case of a naive hash), each replaced twice, every one
 * looked up, and a walk: about 260000 operations. The old linear search
 * took about a minute for this; it must take well under a second (the
 * limit is CPU time and generous, for slow or instrumented builds). */
START_TEST(puts_and_gets_are_linear)
{
	clock_t start = clock();
	size_t pos = 0;
	uint64_t key, v, n = 0, bad = 0;
	const uint8_t *val;
	uint32_t len;
	double secs;

	for (uint64_t i = 0; i < REGSET_MAX_KEYS; i++)
		bad += regset_put_uint(&s, i << 40, i, 8) != 0;
	for (uint64_t i = 0; i < REGSET_MAX_KEYS; i++)
		bad += regset_put_uint(&s, i << 40, i + 1, 4) != 0;
	for (uint64_t i = REGSET_MAX_KEYS; i-- > 0;)
		bad += regset_put_uint(&s, i << 40, i + 2, 8) != 0;
	for (uint64_t i = 0; i < REGSET_MAX_KEYS; i++)
		bad += regset_get_uint(&s, i << 40, &v) || v != i + 2;
	while (regset_next(&s, &pos, &key, &val, &len))
		bad += key != (REGSET_MAX_KEYS - 1 - n++) << 40;	/* in the order of the last puts */
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(n, REGSET_MAX_KEYS);
	ck_assert_uint_eq(s.count, REGSET_MAX_KEYS);
	ck_assert_msg(secs < 3.0, "%u keys took %.1f s of CPU", REGSET_MAX_KEYS, secs);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("regset");
	TCase *tc = UNIT_TCASE(su, "regset", integers_round_trip_little_endian,
			       missing_and_odd_sizes, put_replaces, walk_in_order_with_big_values,
			       replaced_key_walks_last, add_refuses_a_key_twice, empty_sets_answer,
			       replacing_many_times_matches_a_model, copy_keeps_order_and_values,
			       a_set_holds_at_most_max_keys, a_list_holds_at_most_max_sets,
			       puts_and_gets_are_linear);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);	/* the guard has its own limit */
	return unit_run(su);
}

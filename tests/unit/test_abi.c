/* The ABI values' table (arch/arm64/abi.c): its keys and names are in
 * snapshot files, migration streams and profile files already written,
 * so they are pinned here; and how values are printed and read back. */
#include "arch/arm64/abi.h"
#include "vmm/regset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"

/* Written out again on purpose: a change to the code's table must be made
 * here too, and a renumbered or renamed value breaks old files. */
static const struct {
	uint64_t key;
	const char *name;
} pinned[] = {
	{ 1, "page_size" }, { 2, "ipa_bits" }, { 3, "gits_iidr" }, { 4, "gicd_iidr" },
	{ 5, "gicd_typer2" }, { 6, "pvtime_rev" }, { 7, "cntfrq" }, { 8, "ncpus" },
	{ 9, "kernel" }, { 10, "gits_typer" }, { 11, "gicd_iidr_revs" },
	{ 12, "typer2_writable" }, { 13, "dirty_caps" },
};

#define NPINNED	(sizeof(pinned) / sizeof(pinned[0]))

static struct regset s, back;
static char err[256];

static void setup(void)
{
	regset_init(&s);
	regset_init(&back);
	err[0] = 0;
}

static void teardown(void)
{
	regset_free(&s);
	regset_free(&back);
}

START_TEST(keys_and_names_are_pinned)
{
	size_t n;

	abi_table(&n);
	ck_assert_uint_eq(n, NPINNED);
	for (size_t i = 0; i < NPINNED; i++) {
		const struct abi_entry *e = abi_find(pinned[i].key);

		ck_assert_msg(e, "no entry for key %llu", (unsigned long long)pinned[i].key);
		ck_assert_str_eq(e->name, pinned[i].name);
		ck_assert_ptr_eq(abi_named(pinned[i].name), e);
	}
	ck_assert_uint_eq(ABI_PAGE_SIZE, 1);
	ck_assert_uint_eq(ABI_KERNEL, 9);
	ck_assert_uint_eq(ABI_DIRTY_CAPS, 13);
	ck_assert_ptr_null(abi_find(0));
	ck_assert_ptr_null(abi_named("cntfrq_hz"));
}
END_TEST

/* Each pair names the other, and a pair's register is read before its
 * companion (the probes need it). */
START_TEST(pairs_point_both_ways)
{
	size_t n;
	const struct abi_entry *t = abi_table(&n);

	for (size_t i = 0; i < n; i++) {
		const struct abi_entry *p = t[i].pair ? abi_find(t[i].pair) : NULL;

		ck_assert_msg(!t[i].pair || (p && p->pair == t[i].key), "%s", t[i].name);
		if (t[i].pool == ABI_POOL_PAIRED)
			ck_assert_msg(p && p < &t[i] && (t[i].flags & ABI_HOST_ONLY), "%s", t[i].name);
		ck_assert_msg(t[i].label && t[i].label[0], "%s", t[i].name);
		ck_assert_msg(t[i].decode != ABI_DECODE_REVISION || t[i].field, "%s", t[i].name);
	}
}
END_TEST

START_TEST(values_are_formatted_for_a_person)
{
	char buf[160];

	regset_put_uint(&s, ABI_GICD_IIDR, 0x343b, 4);
	regset_put_uint(&s, ABI_GICD_IIDR_REVS, 0xc, 4);
	regset_put_uint(&s, ABI_DIRTY_CAPS, 5, 4);
	regset_put_uint(&s, ABI_CNTFRQ, 62500000, 8);
	regset_put(&s, ABI_KERNEL, "6.1\n", 4);
	ck_assert_str_eq(abi_format(abi_find(ABI_GICD_IIDR), &s, buf, sizeof(buf)),
			 "0x0000343b (implementation revision 3)");
	ck_assert_str_eq(abi_format(abi_find(ABI_GICD_IIDR_REVS), &s, buf, sizeof(buf)),
			 "0x000c (2, 3)");
	ck_assert_str_eq(abi_format(abi_find(ABI_DIRTY_CAPS), &s, buf, sizeof(buf)),
			 "0x5 (manual-protect, ring+bitmap)");
	ck_assert_str_eq(abi_format(abi_find(ABI_CNTFRQ), &s, buf, sizeof(buf)), "62500000");
	ck_assert_str_eq(abi_format(abi_find(ABI_KERNEL), &s, buf, sizeof(buf)), "6.1?");
	ck_assert_str_eq(abi_format(abi_find(ABI_PAGE_SIZE), &s, buf, sizeof(buf)), "none");
	regset_put_uint(&s, ABI_DIRTY_CAPS, 0, 4);
	ck_assert_str_eq(abi_format(abi_find(ABI_DIRTY_CAPS), &s, buf, sizeof(buf)), "0x0 (none)");
}
END_TEST

START_TEST(text_lines_start_with_the_label)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	regset_put_uint(&s, ABI_GICD_IIDR, 0x343b, 4);
	regset_put_uint(&s, 99, 1, 4);	/* no name: not printed */
	abi_print(&s, f, "");
	fclose(f);
	ck_assert_msg(!strncmp(text, "GICD_IIDR ", 10), "%s", text);
	ck_assert_msg(strstr(text, "0x0000343b (implementation revision 3)\n"), "%s", text);
	ck_assert_msg(!strchr(text, '\n')[1], "one line only: %s", text);
	free(text);
}
END_TEST

START_TEST(json_prints_counts_and_registers)
{
	json_t *j;

	regset_put_uint(&s, ABI_PAGE_SIZE, 4096, 8);
	regset_put_uint(&s, ABI_GITS_TYPER, 0x8000000000000001ull, 8);
	regset_put_uint(&s, ABI_GICD_IIDR, 0x343b, 4);
	regset_put_uint(&s, ABI_CNTFRQ, 0x8000000000000000ull, 8);	/* no JSON integer */
	regset_put(&s, ABI_KERNEL, "6.12.0", 6);
	j = abi_to_json(&s, ABI_JSON_STRICT, err, sizeof(err));
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "page_size")), 4096);
	ck_assert_str_eq(json_string_value(json_object_get(j, "gits_typer")), "0x8000000000000001");
	ck_assert_str_eq(json_string_value(json_object_get(j, "gicd_iidr")), "0x0000343b");
	ck_assert_str_eq(json_string_value(json_object_get(j, "cntfrq")), "0x8000000000000000");
	ck_assert_str_eq(json_string_value(json_object_get(j, "kernel")), "6.12.0");
	ck_assert_int_eq(abi_from_json(j, &back, ABI_JSON_STRICT, err, sizeof(err)), 0);
	ck_assert_uint_eq(regset_uint_or0(&back, ABI_CNTFRQ), 0x8000000000000000ull);
	ck_assert_uint_eq(regset_uint_or0(&back, ABI_GICD_IIDR), 0x343b);
	ck_assert_uint_eq(back.count, s.count);
	json_decref(j);
}
END_TEST

START_TEST(strict_refuses_what_lenient_leaves_out)
{
	json_t *j;

	regset_put_uint(&s, ABI_PAGE_SIZE, 4096, 8);
	regset_put_uint(&s, 99, 1, 4);
	regset_put(&s, ABI_IPA_BITS, "abc", 3);	/* not an integer */
	regset_put(&s, ABI_KERNEL, "a\0b", 3);
	ck_assert_ptr_null(abi_to_json(&s, ABI_JSON_STRICT, err, sizeof(err)));
	ck_assert_msg(strstr(err, "99"), "%s", err);
	j = abi_to_json(&s, ABI_JSON_LENIENT, err, sizeof(err));
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_object_size(j), 2);
	ck_assert_str_eq(json_string_value(json_object_get(j, "kernel")), "(not valid text)");
	json_object_set_new(j, "its_table_abi_rev", json_integer(0));
	ck_assert_int_eq(abi_from_json(j, &back, ABI_JSON_STRICT, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "unknown name 'its_table_abi_rev'"), "%s", err);
	regset_free(&back);
	ck_assert_int_eq(abi_from_json(j, &back, ABI_JSON_LENIENT, err, sizeof(err)), 0);
	ck_assert_uint_eq(regset_uint_or0(&back, ABI_PAGE_SIZE), 4096);
	json_decref(j);
}
END_TEST

static int from_text(const char *text, enum abi_json mode)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	ck_assert_ptr_nonnull(j);
	regset_free(&back);
	rc = abi_from_json(j, &back, mode, err, sizeof(err));
	json_decref(j);
	return rc;
}

START_TEST(numbers_are_read_as_integers_or_hex)
{
	ck_assert_int_eq(from_text("{\"gicd_iidr\": 13371, \"gits_iidr\": \"0x43b\"}", ABI_JSON_STRICT), 0);
	ck_assert_uint_eq(regset_uint_or0(&back, ABI_GICD_IIDR), 0x343b);
	ck_assert_uint_eq(regset_uint_or0(&back, ABI_GITS_IIDR), 0x43b);
	ck_assert_int_eq(from_text("{\"ipa_bits\": \"0x100000000\"}", ABI_JSON_STRICT), -EINVAL);
	ck_assert_msg(strstr(err, "ipa_bits") && strstr(err, "fit"), "%s", err);
	ck_assert_int_eq(from_text("{\"ipa_bits\": \"0x\"}", ABI_JSON_STRICT), -EINVAL);
	ck_assert_int_eq(from_text("{\"ipa_bits\": \"0x12345678901234567\"}", ABI_JSON_STRICT), -EINVAL);
	ck_assert_int_eq(from_text("{\"ipa_bits\": \"40\"}", ABI_JSON_STRICT), -EINVAL);
	ck_assert_int_eq(from_text("{\"kernel\": 6}", ABI_JSON_STRICT), -EINVAL);
	ck_assert_msg(strstr(err, "not a string"), "%s", err);
	ck_assert_int_eq(from_text("{\"kernel\": 6, \"ipa_bits\": 40}", ABI_JSON_LENIENT), 0);
	ck_assert_uint_eq(back.count, 1);
}
END_TEST

START_TEST(iidr_revision_field)
{
	ck_assert_uint_eq(abi_revision(0x4b00343b), 3);
	ck_assert_uint_eq(abi_with_revision(0x4b00343b, 1), 0x4b00143b);
	ck_assert_uint_eq(abi_with_revision(0x343b, 0x1f), 0xf43b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = UNIT_TCASE(s, "abi", keys_and_names_are_pinned, pairs_point_both_ways,
			       values_are_formatted_for_a_person, text_lines_start_with_the_label,
			       json_prints_counts_and_registers, strict_refuses_what_lenient_leaves_out,
			       numbers_are_read_as_integers_or_hex, iidr_revision_field);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(s);
}

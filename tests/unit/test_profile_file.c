/* Profile files (migration/profile_file.c): JSON <-> profile, exact round
 * trips, files of older itsy versions, and what a bad file is refused with. */
#include "migration/profile_file.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/vcpu_state.h"
#include "arch/arm64/compat.h"
#include "vmm/regset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"

#define ID_AA64PFR0	0x603000000013c020ull	/* ARM64_SYS_REG(3, 0, 0, 4, 0) */
#define SCTLR_EL1	0x603000000013c080ull
#define FP_VREG0	0x6040000000100054ull	/* a 128-bit core register */
#define SVE_Z0		0x6080000000150000ull	/* a 2048-bit SVE register */
#define STD_HYP_BMAP	0x6030000000160001ull
#define KERNEL		"6.12.0-27-arm64"

static struct regset_list prof, back;
static char err[1024];
static char path[64];

static void fill(struct regset_list *l, int writable)
{
	struct regset *abi = regset_list_add(l, "abi", 1);
	struct regset *v0 = regset_list_add(l, "vcpu.0", 1);
	uint8_t v16[16], z[256];

	for (unsigned i = 0; i < sizeof(v16); i++)
		v16[i] = (uint8_t)(0xf0 - i);
	for (unsigned i = 0; i < sizeof(z); i++)
		z[i] = (uint8_t)i;
	regset_put_uint(abi, ABI_PAGE_SIZE, 4096, 8);
	regset_put_uint(abi, ABI_IPA_BITS, 40, 4);
	regset_put_uint(abi, ABI_CNTFRQ, 62500000, 8);
	regset_put_uint(abi, ABI_NCPUS, 2, 4);
	regset_put_uint(abi, ABI_PVTIME_REV, 0, 4);
	regset_put_uint(abi, ABI_GITS_IIDR, 0x0000043b, 8);
	regset_put_uint(abi, ABI_GITS_TYPER, 0x8000000000000001ull, 8);	/* above INT64_MAX */
	regset_put_uint(abi, ABI_GICD_IIDR, 0x0000343b, 4);
	regset_put_uint(abi, ABI_GICD_IIDR_REVS, 0xc, 4);
	regset_put_uint(abi, ABI_GICD_TYPER2, 0x100, 4);
	regset_put_uint(abi, ABI_TYPER2_WRITABLE, 0x100, 4);
	regset_put_uint(abi, ABI_DIRTY_CAPS, 7, 4);
	regset_put(abi, ABI_KERNEL, KERNEL, strlen(KERNEL));
	regset_put_uint(v0, ID_AA64PFR0, 0x1101000010111111ull, 8);
	regset_put_uint(v0, SCTLR_EL1, 0x30d00980, 8);
	regset_put(v0, FP_VREG0, v16, sizeof(v16));
	regset_put(v0, SVE_Z0, z, sizeof(z));
	regset_put_uint(v0, VCPU_KEY_MP_STATE, 0, 4);
	regset_put_uint(v0, STD_HYP_BMAP, 1, 8);
	if (writable) {
		struct regset *w = regset_list_add(l, COMPAT_WRITABLE, 1);

		regset_put_uint(w, ID_AA64PFR0, 0x0000000f00000000ull, 8);
		regset_put_uint(w, STD_HYP_BMAP, 1, 8);
	}
}

static void setup(void)
{
	int fd;

	memset(&prof, 0, sizeof(prof));
	memset(&back, 0, sizeof(back));
	err[0] = 0;
	snprintf(path, sizeof(path), "/tmp/itsy-profile-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	regset_list_free(&prof);
	regset_list_free(&back);
	unlink(path);
}

static void write_text(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void write_profile(const struct regset_list *l)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(profile_file_write(l, f, err, sizeof(err)), 0);
	fclose(f);
}

static char *read_text(void)
{
	FILE *f = fopen(path, "r");
	char *buf = unit_alloc(65536);
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Same sets, same entries in the same order, the same bytes. */
static void assert_same_set(const struct regset *a, const struct regset *b)
{
	size_t pa = 0, pb = 0;
	uint64_t ka, kb;
	const uint8_t *va, *vb;
	uint32_t la, lb;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(a->count, b->count);
	while (regset_next(a, &pa, &ka, &va, &la)) {
		ck_assert(regset_next(b, &pb, &kb, &vb, &lb));
		ck_assert_uint_eq(ka, kb);
		ck_assert_uint_eq(la, lb);
		ck_assert(!memcmp(va, vb, la));
	}
}

static const struct regset *set(const struct regset_list *l, const char *name)
{
	const struct named_regset *n = regset_list_find(l, name);

	return n ? &n->set : NULL;
}

/* @text, read from a file, is refused with a message holding @a and @b. */
static void refused(const char *text, const char *a, const char *b)
{
	write_text(text);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, path) && strstr(err, a) && (!b || strstr(err, b)),
		      "message: %s", err);
	ck_assert_uint_eq(back.n, 0);
}

#define HEAD	"{\"format\": \"itsy-profile\", \"version\": 1, \"arch\": \"arm64\", "
#define ABI	"\"abi\": {\"page_size\": 4096}"

START_TEST(round_trip_is_exact)
{
	fill(&prof, 1);
	write_profile(&prof);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 3);
	assert_same_set(set(&prof, "abi"), set(&back, "abi"));
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
	assert_same_set(set(&prof, COMPAT_WRITABLE), set(&back, COMPAT_WRITABLE));
}
END_TEST

START_TEST(file_reads_as_documented)
{
	char *text;

	fill(&prof, 1);
	write_profile(&prof);
	text = read_text();
	ck_assert_msg(strstr(text, "\"format\": \"itsy-profile\""), "%s", text);
	ck_assert_msg(strstr(text, "\"page_size\": 4096"), "%s", text);
	ck_assert_msg(strstr(text, "\"kernel\": \"" KERNEL "\""), "%s", text);
	ck_assert_msg(strstr(text, "\"gits_typer\": \"0x8000000000000001\""), "%s", text);
	ck_assert_msg(strstr(text, "\"gicd_iidr\": \"0x0000343b\""), "%s", text);
	ck_assert_msg(strstr(text, "\"0x603000000013c020\": \"0x1101000010111111\""), "%s", text);
	ck_assert_msg(strstr(text, "\"0x6040000000100054\": \"bytes:f0efeeedecebeae9e8e7e6e5e4e3e2e1\""),
		      "%s", text);
	ck_assert_msg(strstr(text, "\"writable\""), "%s", text);
	free(text);
}
END_TEST

START_TEST(no_writable_set_stays_absent)
{
	fill(&prof, 0);
	write_profile(&prof);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_ptr_null(set(&back, COMPAT_WRITABLE));
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
}
END_TEST

START_TEST(short_hex_is_read)
{
	uint64_t v = 0;

	write_text(HEAD ABI ", \"vcpu\": {\"0x603000000013c020\": \"0x11\"}, \"writable\": {}}");
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(regset_get_uint(set(&back, "vcpu.0"), ID_AA64PFR0, &v), 0);
	ck_assert_uint_eq(v, 0x11);
	ck_assert_uint_eq(set(&back, COMPAT_WRITABLE)->count, 0);
}
END_TEST

START_TEST(bad_header_is_refused)
{
	refused("{\"format\": \"other\", \"version\": 1, \"arch\": \"arm64\", " ABI ", \"vcpu\": {}}",
		"format", "'other'");
	refused("{\"version\": 1, \"arch\": \"arm64\", " ABI ", \"vcpu\": {}}", "format", NULL);
	refused("{\"format\": \"itsy-profile\", \"version\": 2, \"arch\": \"arm64\", " ABI
		", \"vcpu\": {}}", "version 2", NULL);
	refused("{\"format\": \"itsy-profile\", \"version\": \"1\", \"arch\": \"arm64\", " ABI
		", \"vcpu\": {}}", "version", NULL);
	refused("{\"format\": \"itsy-profile\", \"version\": 1, \"arch\": \"x86_64\", " ABI
		", \"vcpu\": {}}", "arch", "x86_64");
	refused("[1, 2]", "not a JSON object", NULL);
	refused(HEAD ABI ", \"vcpu\": {}, \"writeable\": {}}", "unknown key", "writeable");
}
END_TEST

START_TEST(missing_sections_are_refused)
{
	refused(HEAD "\"vcpu\": {}}", "no 'abi'", NULL);
	refused(HEAD ABI "}", "no 'vcpu'", NULL);
	refused(HEAD ABI ", \"vcpu\": []}", "vcpu", "not an object");
}
END_TEST

START_TEST(bad_hex_is_refused)
{
	refused(HEAD ABI ", \"vcpu\": {\"0x603000000013c020\": \"0x11zz\"}}",
		"0x603000000013c020", "0x11zz");
	refused(HEAD ABI ", \"vcpu\": {\"0x603000000013c020\": \"0x00000000000000001\"}}",
		"0x603000000013c020", "bad value");
	refused(HEAD ABI ", \"vcpu\": {\"0x603000000013c020\": \"bytes:abc\"}}",
		"0x603000000013c020", "bytes:abc");
	refused(HEAD ABI ", \"vcpu\": {\"0x603000000013c020\": 17}}",
		"0x603000000013c020", "not a string");
	refused(HEAD ABI ", \"vcpu\": {\"sctlr\": \"0x1\"}}", "bad register id", "sctlr");
	refused(HEAD ABI ", \"vcpu\": {\"0x1\": \"0x1\", \"0x01\": \"0x2\"}}", "twice", NULL);
	refused(HEAD ABI ", \"vcpu\": {}, \"writable\": {\"0x1\": \"1\"}}", "writable", "bad value");
}
END_TEST

START_TEST(bad_abi_is_refused)
{
	refused(HEAD "\"abi\": {\"page_sise\": 4096}, \"vcpu\": {}}", "unknown name", "page_sise");
	refused(HEAD "\"abi\": {\"ipa_bits\": 4294967296}, \"vcpu\": {}}", "ipa_bits", "fit");
	refused(HEAD "\"abi\": {\"ipa_bits\": -1}, \"vcpu\": {}}", "ipa_bits", NULL);
	refused(HEAD "\"abi\": {\"cntfrq\": 1.5}, \"vcpu\": {}}", "cntfrq", NULL);
	refused(HEAD "\"abi\": {\"kernel\": 6}, \"vcpu\": {}}", "kernel", "not a string");
}
END_TEST

START_TEST(not_json_is_refused)
{
	refused("{\"format\": ", "line 1", NULL);
	refused(HEAD ABI ", \"vcpu\": {}, \"vcpu\": {}}", "duplicate", NULL);
}
END_TEST

START_TEST(missing_file_is_refused)
{
	unlink(path);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, path) && strstr(err, "No such file"), "message: %s", err);
}
END_TEST

START_TEST(profile_without_sets_is_not_written)
{
	struct regset_list l = { 0 };

	regset_list_add(&l, "abi", 1);
	ck_assert_ptr_null(profile_to_json(&l, err, sizeof(err)));
	ck_assert_msg(strstr(err, "vcpu.0"), "%s", err);
	regset_list_free(&l);
}
END_TEST

START_TEST(unnamed_abi_key_is_not_written)
{
	fill(&prof, 0);
	regset_put_uint(&prof.v[0].set, 99, 1, 4);
	ck_assert_ptr_null(profile_to_json(&prof, err, sizeof(err)));
	ck_assert_msg(strstr(err, "99"), "%s", err);
}
END_TEST

START_TEST(json_round_trip_in_memory)
{
	json_t *j;

	fill(&prof, 1);
	j = profile_to_json(&prof, err, sizeof(err));
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(profile_from_json(j, &back, err, sizeof(err)), 0);
	json_decref(j);
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
	/* A list that already holds sets is not filled. */
	j = profile_to_json(&prof, err, sizeof(err));
	ck_assert_int_eq(profile_from_json(j, &back, err, sizeof(err)), -EINVAL);
	json_decref(j);
}
END_TEST

/* A host profile as itsy wrote it before the ABI table (arch/arm64/abi.h):
 * every abi value a JSON integer, in the order the probe read them. */
static const char old_profile[] =
	"{\n"
	"  \"format\": \"itsy-profile\",\n"
	"  \"version\": 1,\n"
	"  \"arch\": \"arm64\",\n"
	"  \"abi\": {\n"
	"    \"page_size\": 4096,\n"
	"    \"ipa_bits\": 40,\n"
	"    \"pvtime_rev\": 0,\n"
	"    \"cntfrq\": 62500000,\n"
	"    \"ncpus\": 1,\n"
	"    \"dirty_caps\": 7,\n"
	"    \"kernel\": \"6.1.0-13-arm64\",\n"
	"    \"gits_iidr\": 1083,\n"
	"    \"gits_typer\": 1030792937840,\n"
	"    \"gicd_iidr\": 13371,\n"
	"    \"gicd_iidr_revs\": 12,\n"
	"    \"gicd_typer2\": 0,\n"
	"    \"typer2_writable\": 0\n"
	"  },\n"
	"  \"vcpu\": {\n"
	"    \"0x603000000013c020\": \"0x1101000010111111\",\n"
	"    \"0x603000000013c080\": \"0x0000000030d00980\",\n"
	"    \"0x6040000000100054\": \"bytes:f0efeeedecebeae9e8e7e6e5e4e3e2e1\",\n"
	"    \"0x6030000000160001\": \"0x0000000000000001\"\n"
	"  },\n"
	"  \"writable\": {\n"
	"    \"0x6030000000160001\": \"0x0000000000000001\"\n"
	"  }\n"
	"}\n";

/* What old_profile holds: its abi values (stored with the sizes the table
 * gives) and registers. */
static const struct {
	uint64_t key, value;
	uint32_t len;
} old_abi[] = {
	{ ABI_PAGE_SIZE, 4096, 8 }, { ABI_IPA_BITS, 40, 4 }, { ABI_PVTIME_REV, 0, 4 },
	{ ABI_CNTFRQ, 62500000, 8 }, { ABI_NCPUS, 1, 4 }, { ABI_DIRTY_CAPS, 7, 4 },
	{ ABI_KERNEL, 0, 0 }, { ABI_GITS_IIDR, 0x43b, 8 }, { ABI_GITS_TYPER, 0xf0000c0170ull, 8 },
	{ ABI_GICD_IIDR, 0x343b, 4 }, { ABI_GICD_IIDR_REVS, 0xc, 4 }, { ABI_GICD_TYPER2, 0, 4 },
	{ ABI_TYPER2_WRITABLE, 0, 4 },
};

static void fill_old(struct regset_list *l)
{
	struct regset *abi = regset_list_add(l, "abi", 1);
	struct regset *v0 = regset_list_add(l, "vcpu.0", 1);
	uint8_t v16[16];

	for (unsigned i = 0; i < sizeof(old_abi) / sizeof(old_abi[0]); i++)
		if (old_abi[i].key == ABI_KERNEL)
			regset_put(abi, ABI_KERNEL, "6.1.0-13-arm64", 14);
		else
			regset_put_uint(abi, old_abi[i].key, old_abi[i].value, old_abi[i].len);
	for (unsigned i = 0; i < sizeof(v16); i++)
		v16[i] = (uint8_t)(0xf0 - i);
	regset_put_uint(v0, ID_AA64PFR0, 0x1101000010111111ull, 8);
	regset_put_uint(v0, SCTLR_EL1, 0x30d00980, 8);
	regset_put(v0, FP_VREG0, v16, sizeof(v16));
	regset_put_uint(v0, STD_HYP_BMAP, 1, 8);
	regset_put_uint(regset_list_add(l, COMPAT_WRITABLE, 1), STD_HYP_BMAP, 1, 8);
}

START_TEST(old_profile_file_still_loads)
{
	char *text;

	fill_old(&prof);
	write_text(old_profile);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 3);
	assert_same_set(set(&prof, "abi"), set(&back, "abi"));
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
	assert_same_set(set(&prof, COMPAT_WRITABLE), set(&back, COMPAT_WRITABLE));
	/* Written again, registers are hex now; it reads back the same. */
	write_profile(&back);
	text = read_text();
	ck_assert_msg(strstr(text, "\"gicd_iidr\": \"0x0000343b\""), "%s", text);
	ck_assert_msg(strstr(text, "\"cntfrq\": 62500000"), "%s", text);
	free(text);
	regset_list_free(&back);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	assert_same_set(set(&prof, "abi"), set(&back, "abi"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("profile_file");
	TCase *tc = UNIT_TCASE(s, "file", round_trip_is_exact, file_reads_as_documented,
			       no_writable_set_stays_absent, short_hex_is_read, bad_header_is_refused,
			       missing_sections_are_refused, bad_hex_is_refused, bad_abi_is_refused,
			       not_json_is_refused, missing_file_is_refused,
			       profile_without_sets_is_not_written, unnamed_abi_key_is_not_written,
			       json_round_trip_in_memory, old_profile_file_still_loads);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(s);
}

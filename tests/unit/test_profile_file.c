/* Profile files (migration/profile_file.c): JSON <-> profile, exact round
 * trips, files of older itsy versions, and what a bad file is refused with. */
#include "migration/profile_file.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/vcpu_state.h"
#include "arch/arm64/compat.h"
#include "arch/arm64/idreg.h"
#include "vmm/le.h"
#include "vmm/regset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"

/* KVM's ARM64_SYS_REG(), FW and FW_FEAT_BMAP ids: this test is built
 * without the arm64 uapi. */
#define SYSREG(op0, op1, crn, crm, op2) \
	(0x6030000000130000ull | (op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2))
#define FWREG(n)	(0x6030000000140000ull | (n))
#define FW_BMAP(n)	(0x6030000000160000ull | (n))

#define ID_AA64PFR0	0x603000000013c020ull	/* SYSREG(3, 0, 0, 4, 0) */
#define SCTLR_EL1	0x603000000013c080ull
#define FP_VREG0	0x6040000000100054ull	/* a 128-bit core register */
#define SVE_Z0		0x6080000000150000ull	/* a 2048-bit SVE register */
#define STD_BMAP	FW_BMAP(0)
#define STD_HYP_BMAP	FW_BMAP(1)
#define VENDOR_HYP_BMAP_2	FW_BMAP(3)
#define SVE_FIELD	(0xfull << 32)	/* ID_AA64PFR0_EL1 bits 35..32 */
#define PFR0_VALUE	0x1101000110111111ull	/* SVE 1 */
#define KERNEL		"6.12.0-27-arm64"

static struct regset_list prof, back;
static char err[1024];
static char path[64];

static void fill_abi(struct regset *abi)
{
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
}

static void fill(struct regset_list *l, int writable)
{
	struct regset *abi = regset_list_add(l, "abi", 1);
	struct regset *v0 = regset_list_add(l, "vcpu.0", 1);
	uint8_t v16[16], z[256];

	for (unsigned i = 0; i < sizeof(v16); i++)
		v16[i] = (uint8_t)(0xf0 - i);
	for (unsigned i = 0; i < sizeof(z); i++)
		z[i] = (uint8_t)i;
	fill_abi(abi);
	regset_put_uint(v0, ID_AA64PFR0, PFR0_VALUE, 8);
	regset_put_uint(v0, SCTLR_EL1, 0x30d00980, 8);
	regset_put(v0, FP_VREG0, v16, sizeof(v16));
	regset_put(v0, SVE_Z0, z, sizeof(z));
	regset_put_uint(v0, VCPU_KEY_MP_STATE, 0, 4);
	regset_put_uint(v0, STD_HYP_BMAP, 1, 8);
	if (writable) {
		struct regset *w = regset_list_add(l, COMPAT_WRITABLE, 1);

		regset_put_uint(w, ID_AA64PFR0, SVE_FIELD, 8);
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
#define HEAD2	"{\"format\": \"itsy-profile\", \"version\": 2, \"arch\": \"arm64\", "
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
	ck_assert_msg(strstr(text, "\"version\": 2,"), "%s", text);
	ck_assert_msg(strstr(text, "\"page_size\": 4096"), "%s", text);
	ck_assert_msg(strstr(text, "\"kernel\": \"" KERNEL "\""), "%s", text);
	ck_assert_msg(strstr(text, "\"gits_typer\": \"0x8000000000000001\""), "%s", text);
	ck_assert_msg(strstr(text, "\"gicd_iidr\": \"0x0000343b\""), "%s", text);
	/* Named registers by name, their id and value beside the fields
	 * (tests/integration/profile.sh edits this layout with sed). */
	ck_assert_msg(strstr(text, "    \"ID_AA64PFR0_EL1\": {\n"
				   "      \"id\": \"0x603000000013c020\",\n"
				   "      \"value\": \"0x1101000110111111\",\n"
				   "      \"fields\": {\n"
				   "        \"EL0\": 1,\n"), "%s", text);
	ck_assert_msg(strstr(text, "        \"RAS\": 1,\n        \"SVE\": 1,\n        \"SEL2\": 0,"),
		      "%s", text);
	ck_assert_msg(strstr(text, "\"KVM_REG_ARM_STD_HYP_BMAP\": {\n"
				   "      \"id\": \"0x6030000000160001\",\n"
				   "      \"value\": \"0x0000000000000001\",\n"
				   "      \"bits\": {\n"
				   "        \"PV_TIME\": true\n"), "%s", text);
	/* Others by id, as in version 1. */
	ck_assert_msg(strstr(text, "\"0x603000000013c080\": \"0x0000000030d00980\""), "%s", text);
	ck_assert_msg(strstr(text, "\"0x6040000000100054\": \"bytes:f0efeeedecebeae9e8e7e6e5e4e3e2e1\""),
		      "%s", text);
	ck_assert_msg(strstr(text, "\"writable\""), "%s", text);
	ck_assert_msg(!strstr(text, "\"0x603000000013c020\":"), "%s", text);
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
	refused("{\"format\": \"itsy-profile\", \"version\": 3, \"arch\": \"arm64\", " ABI
		", \"vcpu\": {}}", "version 3", "versions 1 to 2");
	refused("{\"format\": \"itsy-profile\", \"version\": 0, \"arch\": \"arm64\", " ABI
		", \"vcpu\": {}}", "version 0", NULL);
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
	refused(HEAD ABI ", \"vcpu\": {\"0xsctlr\": \"0x1\"}}", "bad register id", "0xsctlr");
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
	/* Written again, as version 2: abi registers are hex now, vCPU
	 * registers by name where they have one; it reads back the same. */
	write_profile(&back);
	text = read_text();
	ck_assert_msg(strstr(text, "\"version\": 2,"), "%s", text);
	ck_assert_msg(strstr(text, "\"ID_AA64PFR0_EL1\": {"), "%s", text);
	ck_assert_msg(strstr(text, "\"gicd_iidr\": \"0x0000343b\""), "%s", text);
	ck_assert_msg(strstr(text, "\"cntfrq\": 62500000"), "%s", text);
	free(text);
	regset_list_free(&back);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	assert_same_set(set(&prof, "abi"), set(&back, "abi"));
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
	assert_same_set(set(&prof, COMPAT_WRITABLE), set(&back, COMPAT_WRITABLE));
}
END_TEST

/* ---- version 2: registers by name ---- */

/* A host profile as a 6.12 host's probe finds it: named ID registers
 * (one with a reserved nibble set, one without named fields), firmware
 * pseudo-registers and bitmaps, registers without a name, of several
 * sizes, in KVM's list order, and the writable masks. */
static const struct {
	uint64_t id, value;
} host_regs[] = {
	{ SYSREG(3, 0, 0, 0, 0), 0x414fd0c1 },			/* MIDR_EL1 */
	{ SYSREG(3, 0, 0, 1, 0), 0x10010131 },			/* ID_PFR0_EL1 */
	{ SYSREG(3, 0, 0, 3, 0), 0x10110222 },			/* MVFR0_EL1 */
	{ ID_AA64PFR0, PFR0_VALUE },
	{ SYSREG(3, 0, 0, 4, 1), 0x20 },			/* ID_AA64PFR1_EL1 */
	{ SYSREG(3, 0, 0, 4, 5), 0x81f1f00d00000000ull },	/* ID_AA64SMFR0_EL1 */
	{ SYSREG(3, 0, 0, 5, 0), 0x10305408 },			/* ID_AA64DFR0_EL1 */
	{ SYSREG(3, 0, 0, 6, 0), 0x0221100010211120ull },	/* ID_AA64ISAR0_EL1 */
	{ SYSREG(3, 0, 0, 7, 0), 0x101122 },			/* ID_AA64MMFR0_EL1 */
	{ SYSREG(3, 0, 0, 7, 3), 0 },				/* ID_AA64MMFR3_EL1 */
	{ SCTLR_EL1, 0x30d00980 },
	{ FWREG(0), 0x10001 },					/* PSCI 1.1 */
	{ FWREG(1), 1 }, { FWREG(2), 1 }, { FWREG(3), 1 },	/* SMCCC workarounds */
	{ STD_BMAP, 1 }, { STD_HYP_BMAP, 1 }, { FW_BMAP(2), 3 }, { VENDOR_HYP_BMAP_2, 3 },
}, host_writable[] = {
	{ ID_AA64PFR0, 0x0ff0000ff0ff0000ull },
	{ SYSREG(3, 0, 0, 6, 0), 0x00fffffffffffff0ull },
	{ SYSREG(3, 0, 0, 7, 0), 0xff000000ff00ffffull },
	{ STD_BMAP, 1 }, { STD_HYP_BMAP, 1 }, { FW_BMAP(2), 3 }, { VENDOR_HYP_BMAP_2, 3 },
};

static void fill_host(struct regset_list *l)
{
	struct regset *abi = regset_list_add(l, "abi", 1);
	struct regset *v0 = regset_list_add(l, "vcpu.0", 1);
	struct regset *w = regset_list_add(l, COMPAT_WRITABLE, 1);
	uint8_t v16[16] = { 0x10, 0x32 }, z[256] = { 0xab };

	fill_abi(abi);
	regset_put(v0, FP_VREG0, v16, sizeof(v16));
	for (unsigned i = 0; i < sizeof(host_regs) / sizeof(host_regs[0]); i++)
		regset_put_uint(v0, host_regs[i].id, host_regs[i].value, 8);
	regset_put(v0, SVE_Z0, z, sizeof(z));
	regset_put_uint(v0, VCPU_KEY_MP_STATE, 0, 4);
	for (unsigned i = 0; i < sizeof(host_writable) / sizeof(host_writable[0]); i++)
		regset_put_uint(w, host_writable[i].id, host_writable[i].value, 8);
}

/* @text holds @want; else the text goes to stderr (too long for Check). */
static void assert_has(const char *text, const char *want)
{
	if (!strstr(text, want))
		fprintf(stderr, "%s", text);
	ck_assert_msg(strstr(text, want), "the file lacks: %s", want);
}

START_TEST(host_profile_round_trips_by_name)
{
	char *text;

	fill_host(&prof);
	write_profile(&prof);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 3);
	assert_same_set(set(&prof, "abi"), set(&back, "abi"));
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
	assert_same_set(set(&prof, COMPAT_WRITABLE), set(&back, COMPAT_WRITABLE));
	text = read_text();
	assert_has(text, "\"ID_AA64SMFR0_EL1\": {\n      \"id\": \"0x603000000013c025\",\n"
				   "      \"value\": \"0x81f1f00d00000000\",");
	assert_has(text, "\"ID_PFR0_EL1\": {\n      \"id\": \"0x603000000013c008\",\n"
				   "      \"value\": \"0x0000000010010131\"\n    },");
	assert_has(text, "\"KVM_REG_ARM_PSCI_VERSION\": {");
	assert_has(text, "\"KVM_REG_ARM_VENDOR_HYP_BMAP_2\": {\n"
				   "      \"id\": \"0x6030000000160003\",\n"
				   "      \"value\": \"0x0000000000000003\",\n"
				   "      \"bits\": {\n"
				   "        \"DISCOVER_IMPL_VER\": true,\n"
				   "        \"DISCOVER_IMPL_CPUS\": true\n");
	assert_has(text, "\"MIDR_EL1\": {\n      \"id\": \"0x603000000013c000\",\n"
				   "      \"value\": \"0x00000000414fd0c1\"\n    },");
	assert_has(text, "\"0x603000000013c080\": \"0x0000000030d00980\"");
	free(text);
}
END_TEST

/* @s into @out (empty), @key's value replaced by the 8-byte @v where it stands. */
static void copy_with(struct regset *out, const struct regset *s, uint64_t key, uint64_t v)
{
	size_t pos = 0;
	uint64_t k;
	const uint8_t *val;
	uint32_t len;

	while (regset_next(s, &pos, &k, &val, &len))
		if (k == key)
			regset_put_uint(out, k, v, 8);
		else
			regset_put(out, k, val, len);
}

/* The set @name of back is that of prof, but @key, which has @v. */
static void assert_same_but(const char *name, uint64_t key, uint64_t v)
{
	struct regset want = { 0 };

	copy_with(&want, set(&prof, name), key, v);
	assert_same_set(&want, set(&back, name));
	regset_free(&want);
}

/* @from, the first time it occurs after @after in the file, becomes @to. */
static void edit_file(const char *after, const char *from, const char *to)
{
	char *text = read_text(), *out = unit_alloc(strlen(text) + strlen(to) + 1);
	char *a = strstr(text, after), *f = a ? strstr(a, from) : NULL;

	ck_assert_msg(f, "no '%s' after '%s' in %s", from, after, text);
	memcpy(out, text, (size_t)(f - text));
	strcpy(out + (f - text), to);
	strcat(out, f + strlen(from));
	write_text(out);
	free(out);
	free(text);
}

START_TEST(field_edited_by_name_changes_its_nibble)
{
	fill_host(&prof);
	write_profile(&prof);
	/* The value beside still says SVE 1: the field counts. */
	edit_file("\"ID_AA64PFR0_EL1\"", "\"SVE\": 1,", "\"SVE\": 0,");
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(regset_uint_or0(set(&back, "vcpu.0"), ID_AA64PFR0), PFR0_VALUE & ~SVE_FIELD);
	assert_same_but("vcpu.0", ID_AA64PFR0, PFR0_VALUE & ~SVE_FIELD);
	assert_same_set(set(&prof, COMPAT_WRITABLE), set(&back, COMPAT_WRITABLE));
}
END_TEST

START_TEST(bit_edited_by_name_changes_its_bit)
{
	fill_host(&prof);
	write_profile(&prof);
	edit_file("\"writable\"", "\"PTP\": true", "\"PTP\": false");
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(regset_uint_or0(set(&back, COMPAT_WRITABLE), FW_BMAP(2)), 1);
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
	assert_same_but(COMPAT_WRITABLE, FW_BMAP(2), 1);
}
END_TEST

/* @text (a "vcpu" object) read: the register @id has @want. */
static void reads_as(const char *text, uint64_t id, uint64_t want)
{
	char *full = unit_alloc(strlen(text) + 128);

	sprintf(full, HEAD2 ABI ", \"vcpu\": %s}", text);
	write_text(full);
	free(full);
	ck_assert_msg(!profile_file_read(path, &back, err, sizeof(err)), "%s: %s", text, err);
	ck_assert_uint_eq(regset_uint_or0(set(&back, "vcpu.0"), id), want);
	regset_list_free(&back);
}

START_TEST(hand_written_entries_are_read)
{
	reads_as("{\"ID_AA64PFR0_EL1\": {\"fields\": {\"EL0\": 2, \"SVE\": 1}}}", ID_AA64PFR0,
		 0x0000000100000002ull);
	reads_as("{\"ID_AA64PFR0_EL1\": {\"id\": \"0x603000000013c020\", \"value\": \"0x11\"}}",
		 ID_AA64PFR0, 0x11);
	reads_as("{\"ID_AA64PFR0_EL1\": {\"value\": \"0xf0000001f\", \"fields\": {\"SVE\": 3}}}",
		 ID_AA64PFR0, 0x30000001f);
	reads_as("{\"ID_AA64PFR0_EL1\": {\"value\": \"0x1\", \"fields\": {}}}", ID_AA64PFR0, 1);
	reads_as("{\"KVM_REG_ARM_STD_BMAP\": {\"bits\": {\"TRNG_V1_0\": true}}}", STD_BMAP, 1);
	reads_as("{\"KVM_REG_ARM_VENDOR_HYP_BMAP\": {\"value\": \"0x5\", \"bits\": {\"FUNC_FEAT\": "
		 "false, \"PTP\": true}}}", FW_BMAP(2), 6);
	reads_as("{\"KVM_REG_ARM_PSCI_VERSION\": {\"value\": \"0x10000\"}}", FWREG(0), 0x10000);
	/* Either form, side by side, in a version 2 file. */
	reads_as("{\"0x603000000013c080\": \"0x5\", \"ID_AA64PFR0_EL1\": {\"value\": \"0x1\"}}",
		 SCTLR_EL1, 5);
}
END_TEST

/* The version 2 file @fmt (its one %s: @part) is refused naming @a and @b. */
static void refused_v2(const char *fmt, const char *part, const char *a, const char *b)
{
	char *full = unit_alloc(strlen(part) + 128);

	sprintf(full, fmt, part);
	refused(full, a, b);
	free(full);
}

/* A version 2 file whose "vcpu" is @vcpu is refused naming @a and @b. */
static void refused_vcpu(const char *vcpu, const char *a, const char *b)
{
	refused_v2(HEAD2 ABI ", \"vcpu\": %s}", vcpu, a, b);
}

START_TEST(bad_names_are_refused)
{
	refused_vcpu("{\"ID_AA64PFR9_EL1\": {\"value\": \"0x1\"}}", "unknown register name",
		     "ID_AA64PFR9_EL1");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"fields\": {\"SVF\": 1}}}", "ID_AA64PFR0_EL1",
		     "no field named 'SVF'");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"bits\": {\"SVE\": true}}}", "ID_AA64PFR0_EL1",
		     "no bit named 'SVE'");
	refused_vcpu("{\"ID_PFR0_EL1\": {\"fields\": {\"State0\": 1}}}", "ID_PFR0_EL1", "State0");
	refused_vcpu("{\"KVM_REG_ARM_STD_BMAP\": {\"bits\": {\"TRNG_V2_0\": true}}}",
		     "KVM_REG_ARM_STD_BMAP", "no bit named 'TRNG_V2_0'");
	refused_vcpu("{\"KVM_REG_ARM_STD_BMAP\": {\"fields\": {\"TRNG_V1_0\": 1}}}",
		     "KVM_REG_ARM_STD_BMAP", "no field named 'TRNG_V1_0'");
}
END_TEST

START_TEST(bad_field_values_are_refused)
{
	static const char *const bad[] = { "16", "-1", "\"1\"", "true", "1.0", "null" };
	char vcpu[128];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(vcpu, sizeof(vcpu), "{\"ID_AA64PFR0_EL1\": {\"fields\": {\"SVE\": %s}}}", bad[i]);
		refused_vcpu(vcpu, "ID_AA64PFR0_EL1\"] field SVE", "not an integer 0 to 15");
	}
	refused_vcpu("{\"KVM_REG_ARM_STD_BMAP\": {\"bits\": {\"TRNG_V1_0\": 1}}}",
		     "KVM_REG_ARM_STD_BMAP\"] bit TRNG_V1_0", "not true or false");
	refused_vcpu("{\"KVM_REG_ARM_STD_BMAP\": {\"bits\": {\"TRNG_V1_0\": \"true\"}}}",
		     "bit TRNG_V1_0", "not true or false");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"fields\": [1]}}", "ID_AA64PFR0_EL1",
		     "fields is not an object");
}
END_TEST

START_TEST(bad_named_entries_are_refused)
{
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"id\": \"0x603000000013c028\", \"value\": \"0x1\"}}",
		     "ID_AA64PFR0_EL1", "id 0x603000000013c028 is not");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"id\": \"pfr0\", \"value\": \"0x1\"}}",
		     "ID_AA64PFR0_EL1", "bad id 'pfr0'");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"id\": \"0x603000000013c020\"}}", "ID_AA64PFR0_EL1",
		     "no value, fields or bits");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"value\": \"bytes:0100000000000000\"}}",
		     "ID_AA64PFR0_EL1", "bad value");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"value\": 17}}", "ID_AA64PFR0_EL1", "not a string");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": \"0x1\"}", "ID_AA64PFR0_EL1", "not an object");
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"value\": \"0x1\", \"feilds\": {}}}",
		     "ID_AA64PFR0_EL1", "unknown key 'feilds'");
}
END_TEST

START_TEST(register_by_name_and_id_is_refused)
{
	refused_vcpu("{\"ID_AA64PFR0_EL1\": {\"value\": \"0x1\"}, \"0x603000000013c020\": \"0x1\"}",
		     "ID_AA64PFR0_EL1 (0x603000000013c020) appears twice", NULL);
	refused_vcpu("{\"0x603000000013c020\": \"0x1\", \"ID_AA64PFR0_EL1\": {\"value\": \"0x1\"}}",
		     "ID_AA64PFR0_EL1 (0x603000000013c020) appears twice", NULL);
	refused(HEAD2 ABI ", \"vcpu\": {}, \"writable\": {\"KVM_REG_ARM_STD_BMAP\": {\"value\": "
		"\"0x1\"}, \"0x6030000000160000\": \"0x1\"}}", "writable: register KVM_REG_ARM_STD_BMAP",
		"twice");
}
END_TEST

/* Every name a file may hold reads back to its register and field: no
 * two registers, nor two fields of one, share a name. The ID register
 * space (op0 3, op1 0, CRn 0) and the firmware registers and bitmaps. */
static void names_read_back(uint64_t id)
{
	uint64_t back_id = 0;
	const char *name = idreg_name(id);

	if (!name)
		return;
	ck_assert_int_eq(idreg_lookup(name, &back_id), 0);
	ck_assert_uint_eq(back_id, id);
	for (unsigned f = 0; f < 16; f++)
		if (idreg_field_name(id, f))
			ck_assert_int_eq(idreg_field_lookup(id, idreg_field_name(id, f)), (int)f);
	for (unsigned b = 0; b < 64; b++)
		if (idreg_bit_name(id, b))
			ck_assert_int_eq(idreg_bit_lookup(id, idreg_bit_name(id, b)), (int)b);
}

START_TEST(every_name_reads_back)
{
	for (unsigned crm = 0; crm < 8; crm++)
		for (unsigned op2 = 0; op2 < 8; op2++)
			names_read_back(SYSREG(3ull, 0ull, 0ull, crm, op2));
	for (unsigned n = 0; n < 8; n++) {
		names_read_back(FWREG(n));
		names_read_back(FW_BMAP(n));
	}
	ck_assert_str_eq(idreg_name(VENDOR_HYP_BMAP_2), "KVM_REG_ARM_VENDOR_HYP_BMAP_2");
	ck_assert_str_eq(idreg_field_name(ID_AA64PFR0, 8), "SVE");
	ck_assert_int_eq(idreg_lookup("ID_AA64PFR0_EL2", &(uint64_t){ 0 }), -ENOENT);
	ck_assert_int_eq(idreg_field_lookup(ID_AA64PFR0, "sve"), -ENOENT);
}
END_TEST

/* ---- "implementations": the pool's CPU implementations (COMPAT_IMPL) ---- */

/* MIDR_EL1, REVIDR_EL1, AIDR_EL1 of two implementations (Neoverse N1
 * r4p1 and r3p0, the second's AIDR above INT64_MAX). */
static const uint64_t two_impls[][3] = {
	{ 0x414fd0c1, 0, 0 },
	{ 0x413fd0c0, 0x1, 0x8000000000000002ull },
};

/* Key @i of @s: the three registers, @m, @r and @a, little-endian. */
static void put_impl(struct regset *s, uint64_t i, uint64_t m, uint64_t r, uint64_t a)
{
	uint8_t val[24];

	le_put(val, m, 8);
	le_put(val + 8, r, 8);
	le_put(val + 16, a, 8);
	ck_assert_int_eq(regset_put(s, i, val, sizeof(val)), 0);
}

/* Register @r (0 MIDR_EL1, 1 REVIDR_EL1, 2 AIDR_EL1) of implementation @i in @s. */
static uint64_t impl_reg(const struct regset *s, uint64_t i, unsigned r)
{
	uint32_t len = 0;
	const uint8_t *val = regset_get(s, i, &len);

	ck_assert_ptr_nonnull(val);
	ck_assert_uint_eq(len, 24);
	return le_get(val + 8 * r, 8);
}

START_TEST(implementations_round_trip)
{
	struct regset *impl;
	char *text;

	fill(&prof, 1);
	impl = regset_list_add(&prof, COMPAT_IMPL, 1);
	for (unsigned i = 0; i < 2; i++)
		put_impl(impl, i, two_impls[i][0], two_impls[i][1], two_impls[i][2]);
	write_profile(&prof);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 4);
	assert_same_set(set(&prof, COMPAT_IMPL), set(&back, COMPAT_IMPL));
	assert_same_set(set(&prof, "vcpu.0"), set(&back, "vcpu.0"));
	assert_same_set(set(&prof, COMPAT_WRITABLE), set(&back, COMPAT_WRITABLE));
	text = read_text();
	assert_has(text, "  \"implementations\": [\n"
			 "    {\n"
			 "      \"MIDR_EL1\": \"0x00000000414fd0c1\",\n"
			 "      \"REVIDR_EL1\": \"0x0000000000000000\",\n"
			 "      \"AIDR_EL1\": \"0x0000000000000000\"\n"
			 "    },\n"
			 "    {\n"
			 "      \"MIDR_EL1\": \"0x00000000413fd0c0\",\n"
			 "      \"REVIDR_EL1\": \"0x0000000000000001\",\n"
			 "      \"AIDR_EL1\": \"0x8000000000000002\"\n"
			 "    }\n"
			 "  ]\n}\n");	/* the last member, after "writable" */
	free(text);
}
END_TEST

START_TEST(no_implementations_read_as_no_set)
{
	char *text;

	fill(&prof, 1);
	regset_list_add(&prof, COMPAT_IMPL, 1);	/* empty: not written */
	write_profile(&prof);
	text = read_text();
	ck_assert_msg(!strstr(text, "implementations"), "%s", text);
	free(text);
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 3);
	ck_assert_ptr_null(set(&back, COMPAT_IMPL));
	regset_list_free(&back);
	write_text(HEAD2 ABI ", \"vcpu\": {}, \"implementations\": []}");
	ck_assert_int_eq(profile_file_read(path, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_ptr_null(set(&back, COMPAT_IMPL));
}
END_TEST

/* "[...]" of @n implementations, implementation i with MIDR_EL1 @midr + i. */
static char *impls_text(unsigned n, unsigned midr)
{
	char *text = unit_alloc(128 * (size_t)n + 3), *end = text;

	*end++ = '[';
	for (unsigned i = 0; i < n; i++)
		end += sprintf(end, "%s{\"MIDR_EL1\": \"0x%x\", \"REVIDR_EL1\": \"0x0\", "
			       "\"AIDR_EL1\": \"0x0\"}", i ? ", " : "", midr + i);
	strcpy(end, "]");
	return text;
}

/* A version 2 file whose "implementations" is @impls: the set it reads to. */
static const struct regset *read_impls(const char *impls)
{
	char *full = unit_alloc(strlen(impls) + 128);

	regset_list_free(&back);
	sprintf(full, HEAD2 ABI ", \"vcpu\": {}, \"implementations\": %s}", impls);
	write_text(full);
	free(full);
	ck_assert_msg(!profile_file_read(path, &back, err, sizeof(err)), "%s: %s", impls, err);
	ck_assert_ptr_nonnull(set(&back, COMPAT_IMPL));
	return set(&back, COMPAT_IMPL);
}

START_TEST(hand_written_implementations_are_read)
{
	const struct regset *s;
	char *sixteen = impls_text(16, 0x410fd0c0);

	s = read_impls(sixteen);
	free(sixteen);
	ck_assert_uint_eq(s->count, 16);
	ck_assert_uint_eq(impl_reg(s, 15, 0), 0x410fd0cf);
	/* Short and upper-case hex, the highest MIDR_EL1, and two that differ in one register. */
	s = read_impls("[{\"AIDR_EL1\": \"0x2\", \"MIDR_EL1\": \"0xFFFFFFFF\", \"REVIDR_EL1\": \"0x1\"}, "
		       "{\"MIDR_EL1\": \"0xffffffff\", \"REVIDR_EL1\": \"0x1\", \"AIDR_EL1\": \"0x3\"}]");
	ck_assert_uint_eq(s->count, 2);
	ck_assert_uint_eq(impl_reg(s, 0, 0), 0xffffffff);
	ck_assert_uint_eq(impl_reg(s, 0, 1), 1);
	ck_assert_uint_eq(impl_reg(s, 0, 2), 2);
	ck_assert_uint_eq(impl_reg(s, 1, 2), 3);
}
END_TEST

/* A version 2 file whose "implementations" is @impls is refused naming @a and @b. */
static void refused_impls(const char *impls, const char *a, const char *b)
{
	refused_v2(HEAD2 ABI ", \"vcpu\": {}, \"implementations\": %s}", impls, a, b);
}

#define IMPL0	"{\"MIDR_EL1\": \"0x414fd0c1\", \"REVIDR_EL1\": \"0x0\", \"AIDR_EL1\": \"0x0\"}"

START_TEST(bad_implementations_are_refused)
{
	static const char *const bad[] = { "\"0x1g\"", "\"1\"", "\"0x\"", "\"0x00000000000000000\"",
					   "17", "null", "\"0x-1\"" };
	char *seventeen = impls_text(17, 0x410fd0c0), impl[160];

	refused_impls("{}", "implementations: not an array", NULL);
	refused_impls(IMPL0, "implementations: not an array", NULL);
	refused_impls(seventeen, "implementations: 17 entries", "more than 16");
	free(seventeen);
	refused_impls("[" IMPL0 ", 7]", "implementations[1]: not an object", NULL);
	refused_impls("[{\"MIDR_EL1\": \"0x1\", \"REVIDR_EL1\": \"0x0\"}]", "implementations[0]: no "
		      "AIDR_EL1", NULL);
	refused_impls("[{}]", "implementations[0]: no MIDR_EL1", NULL);
	refused_impls("[{\"MIDR_EL1\": \"0x1\", \"REVIDR_EL1\": \"0x0\", \"AIDR_EL1\": \"0x0\", "
		      "\"MPIDR_EL1\": \"0x0\"}]", "implementations[0]: unknown key 'MPIDR_EL1'", NULL);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(impl, sizeof(impl), "[" IMPL0 ", {\"MIDR_EL1\": \"0x1\", \"REVIDR_EL1\": %s, "
			 "\"AIDR_EL1\": \"0x0\"}]", bad[i]);
		refused_impls(impl, "implementations[1][\"REVIDR_EL1\"]: bad value", NULL);
	}
	refused_impls("[{\"MIDR_EL1\": \"0x100000000\", \"REVIDR_EL1\": \"0x0\", \"AIDR_EL1\": "
		      "\"0x0\"}]", "implementations[0][\"MIDR_EL1\"]: 0x100000000 is above 0xffffffff",
		      "32 bits");
	refused_impls("[" IMPL0 ", {\"MIDR_EL1\": \"0x414fd0c1\", \"REVIDR_EL1\": \"0x0\", "
		      "\"AIDR_EL1\": \"0x1\"}, {\"AIDR_EL1\": \"0x0000\", \"REVIDR_EL1\": \"0x0\", "
		      "\"MIDR_EL1\": \"0x00414fd0c1\"}]", "implementations[2]: the same as "
		      "implementations[0]", NULL);
}
END_TEST

/* prof is not written, with @what in the message. */
static void impl_set_not_written(const char *what)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(profile_file_write(&prof, f, err, sizeof(err)), -EINVAL);
	fclose(f);
	ck_assert_msg(strstr(err, "'" COMPAT_IMPL "' set") && strstr(err, what), "message: %s", err);
}

START_TEST(bad_implementation_set_is_not_written)
{
	struct regset *s;

	fill(&prof, 0);
	s = regset_list_add(&prof, COMPAT_IMPL, 1);
	put_impl(s, 1, 0x414fd0c1, 0, 0);
	impl_set_not_written("not a list of implementations");	/* no key 0 */
	ck_assert_int_eq(regset_put_uint(s, 0, 0x414fd0c1, 8), 0);
	impl_set_not_written("not a list of implementations");	/* 8 bytes */
	put_impl(s, 0, 0x414fd0c1, 0, 0);
	impl_set_not_written("implementation 1 twice");
	for (unsigned i = 0; i < 17; i++)
		put_impl(s, i, 0x410fd0c0 + i, 0, 0);
	impl_set_not_written("not a list of implementations");	/* 17 */
	regset_free(s);
	for (unsigned i = 0; i < 16; i++)
		put_impl(s, i, 0x410fd0c0 + i, 0, 0);
	write_profile(&prof);
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
			       json_round_trip_in_memory, old_profile_file_still_loads,
			       host_profile_round_trips_by_name, field_edited_by_name_changes_its_nibble,
			       bit_edited_by_name_changes_its_bit, hand_written_entries_are_read,
			       bad_names_are_refused, bad_field_values_are_refused,
			       bad_named_entries_are_refused, register_by_name_and_id_is_refused,
			       every_name_reads_back, implementations_round_trip,
			       no_implementations_read_as_no_set, hand_written_implementations_are_read,
			       bad_implementations_are_refused, bad_implementation_set_is_not_written);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(s);
}

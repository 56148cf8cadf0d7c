/* The compatibility check (arch/arm64/compat.c): which hosts may take a
 * guest, and what the refusal says. */
#include "arch/arm64/compat.h"
#include "arch/arm64/abi.h"
#include "arch/arm64/impl.h"
#include "arch/arm64/vcpu_state.h"
#include "vmm/regset.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

#include "tests/unit/unit.h"

#define ID_AA64PFR0	ARM64_SYS_REG(3, 0, 0, 4, 0)
#define ID_AA64MMFR1	ARM64_SYS_REG(3, 0, 0, 7, 1)
#define SCTLR_EL1	ARM64_SYS_REG(3, 0, 1, 0, 0)

static struct regset_list guest, host;
static char err[1024];

/* Both sides alike: a 6.1-like host and a guest that booted on it. */
static void fill(struct regset_list *l, int is_guest)
{
	struct regset *abi = regset_list_add(l, "abi", 1), *v0 = regset_list_add(l, "vcpu.0", 1);

	regset_put_uint(abi, ABI_PAGE_SIZE, 4096, 8);
	regset_put_uint(abi, ABI_IPA_BITS, 40, 4);
	regset_put_uint(abi, ABI_CNTFRQ, 62500000, 8);
	regset_put_uint(abi, ABI_NCPUS, 2, 4);
	regset_put_uint(abi, ABI_PVTIME_REV, 0, 4);
	regset_put_uint(abi, ABI_GITS_IIDR, 0x0000043b, 8);	/* revision 0 */
	regset_put_uint(abi, ABI_GICD_IIDR, 0x0000343b, 4);	/* revision 3 */
	regset_put_uint(abi, ABI_GICD_TYPER2, 0, 4);
	if (!is_guest) {
		regset_put_uint(abi, ABI_GICD_IIDR_REVS, 0xc, 4);	/* 2 and 3 */
		regset_put_uint(abi, ABI_TYPER2_WRITABLE, 0, 4);
	}
	regset_put_uint(v0, ID_AA64PFR0, 0x1101000010111111ull, 8);
	regset_put_uint(v0, ID_AA64MMFR1, 0x0000000010212122ull, 8);
	regset_put_uint(v0, SCTLR_EL1, 0x30d00980, 8);
	regset_put_uint(v0, KVM_REG_ARM_PSCI_VERSION, 0x10001, 8);
	regset_put_uint(v0, KVM_REG_ARM_STD_HYP_BMAP, 1, 8);
}

static struct regset *set(struct regset_list *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i].set;
	return regset_list_add(l, name, 1);
}

static void setup(void)
{
	memset(&guest, 0, sizeof(guest));
	memset(&host, 0, sizeof(host));
	fill(&guest, 1);
	fill(&host, 0);
	err[0] = 0;
}

static void teardown(void)
{
	regset_list_free(&guest);
	regset_list_free(&host);
}

static void refused_with(const char *a, const char *b)
{
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, a) && (!b || strstr(err, b)), "message: %s", err);
}

/* @s without @key. */
static void drop_key(struct regset *s, uint64_t key)
{
	struct regset keep;
	size_t pos = 0;
	uint64_t k;
	const uint8_t *v;
	uint32_t n;

	regset_init(&keep);
	regset_copy(&keep, s);
	regset_free(s);
	while (regset_next(&keep, &pos, &k, &v, &n))
		if (k != key)
			regset_put(s, k, v, n);
	regset_free(&keep);
}

START_TEST(same_host_is_accepted)
{
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

START_TEST(page_size_must_match)
{
	regset_put_uint(set(&host, "abi"), ABI_PAGE_SIZE, 65536, 8);
	refused_with("host page size", "65536");
}
END_TEST

START_TEST(counter_frequency_must_match)
{
	regset_put_uint(set(&host, "abi"), ABI_CNTFRQ, 1000000000, 8);
	refused_with("CNTFRQ", "62500000");
}
END_TEST

START_TEST(vcpu_count_must_match)
{
	regset_put_uint(set(&host, "abi"), ABI_NCPUS, 4, 4);
	refused_with("vCPUs: the guest has 2, this host has 4", NULL);
}
END_TEST

/* KVM_REG_ARM64_SVE_VLS with the lengths of @vqs (a bit per quadword:
 * bit 0 = 128 bits) in @l's vcpu.0. */
static void put_vls(struct regset_list *l, uint8_t vqs)
{
	uint8_t v[64] = { vqs };

	regset_put(set(l, "vcpu.0"), KVM_REG_ARM64_SVE_VLS, v, sizeof(v));
}

/* A guest's SVE lengths must be the host's up to the guest's longest:
 * KVM gives a vCPU no other set. */
START_TEST(sve_lengths_are_the_hosts_up_to_the_longest)
{
	put_vls(&guest, 0x3);		/* 128 256 */
	put_vls(&host, 0xb);		/* 128 256 512 */
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	put_vls(&host, 0x1);		/* 128 */
	refused_with("SVE vector lengths (KVM_REG_ARM64_SVE_VLS): the guest has 128 256 bits, "
		     "this host gives 128 bits", NULL);
	put_vls(&host, 0x9);		/* 128 512: no 256 */
	refused_with("this host gives 128 512 bits", NULL);
}
END_TEST

/* The guest's stolen-time structure is written by KVM in its revision:
 * a host writing another, or none (no KVM_CAP_STEAL_TIME), cannot take
 * it; a guest without stolen time goes anywhere. */
START_TEST(pvtime_revision_must_match)
{
	regset_put_uint(set(&host, "abi"), ABI_PVTIME_REV, 1, 4);
	refused_with("PV stolen-time structure revision: the guest has 0, this host has 1", NULL);
	drop_key(set(&host, "abi"), ABI_PVTIME_REV);
	refused_with("PV stolen-time structure revision: the guest has 0, this host has none", NULL);
	drop_key(set(&guest, "abi"), ABI_PVTIME_REV);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

START_TEST(newer_its_table_layout_is_refused)
{
	regset_put_uint(set(&guest, "abi"), ABI_GITS_IIDR, 0x0000143b, 8);	/* revision 1 */
	refused_with("GITS_IIDR", "revision is 1");
}
END_TEST

START_TEST(gicd_revision_must_be_settable)
{
	regset_put_uint(set(&guest, "abi"), ABI_GICD_IIDR, 0x0000143b, 4);	/* revision 1 */
	refused_with("GICD_IIDR", "revision is 1");
	regset_put_uint(set(&guest, "abi"), ABI_GICD_IIDR, 0x0000243b, 4);	/* 2: accepted */
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

START_TEST(typer2_only_in_writable_bits)
{
	regset_put_uint(set(&guest, "abi"), ABI_GICD_TYPER2, 0x100, 4);
	refused_with("GICD_TYPER2", "0x100");
	regset_put_uint(set(&host, "abi"), ABI_TYPER2_WRITABLE, 0x100, 4);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

/* GICD_TYPER2 as KVM shows it: 0 on a GICv3 or v4.0 host, nASSGIcap
 * (0x100) alone on a GICv4.1 host with vSGIs, which since 6.17 lets
 * userspace clear it before the vGIC is initialised. No such host can be
 * emulated here (QEMU's TCG has GICv4.0 at most). The rule: a guest may
 * go from a v3 host to a v4.1 host (the bit hidden), never back once it
 * saw vSGIs. */
START_TEST(typer2_vsgi_goes_one_way)
{
	/* v3 guest -> v4.1 host (6.17+): the bit is cleared for it. */
	regset_put_uint(set(&host, "abi"), ABI_GICD_TYPER2, 0x100, 4);
	regset_put_uint(set(&host, "abi"), ABI_TYPER2_WRITABLE, 0x100, 4);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	/* ... but not to a v4.1 host before 6.17, which cannot hide it. */
	regset_put_uint(set(&host, "abi"), ABI_TYPER2_WRITABLE, 0, 4);
	refused_with("GICD_TYPER2", "0x100");
	/* A guest that saw vSGIs cannot go to a v3 host (nothing to set). */
	regset_put_uint(set(&guest, "abi"), ABI_GICD_TYPER2, 0x100, 4);
	regset_put_uint(set(&host, "abi"), ABI_GICD_TYPER2, 0, 4);
	refused_with("GICD_TYPER2", "0x100");
}
END_TEST

START_TEST(id_register_lacking_a_feature_is_refused)
{
	/* The host has SVE (bits 35..32) 0 where the guest saw 1. */
	regset_put_uint(set(&host, "vcpu.0"), ID_AA64PFR0, 0x1101000000111111ull, 8);
	refused_with("ID register ID_AA64PFR0_EL1 (0x603000000013c020)", "0x1101000010111111");
	ck_assert_msg(strstr(err, "0x1101000000111111"), "host value missing: %s", err);
}
END_TEST

START_TEST(id_register_with_more_features_is_accepted)
{
	regset_put_uint(set(&host, "vcpu.0"), ID_AA64MMFR1, 0x0001000010212122ull, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

START_TEST(boot_time_id_registers_decide)
{
	/* The guest now sits on a host that shows HCX (bits 43..40), but it
	 * booted without; a host without HCX may take it back. */
	regset_put_uint(set(&guest, "vcpu.0"), ID_AA64MMFR1, 0x0000010010212122ull, 8);
	refused_with("ID register", NULL);
	regset_put_uint(set(&guest, COMPAT_IDREGS), ID_AA64MMFR1, 0x0000000010212122ull, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

START_TEST(missing_register_is_refused)
{
	regset_put_uint(set(&guest, "vcpu.0"), ARM64_SYS_REG(3, 0, 1, 0, 1), 0, 8);
	refused_with("S3_0_C1_C0_1", "does not");
}
END_TEST

START_TEST(disabled_physical_timer_may_be_dropped)
{
	regset_put_uint(set(&guest, "vcpu.0"), KVM_REG_ARM_PTIMER_CTL, 0, 8);
	regset_put_uint(set(&guest, "vcpu.0"), KVM_REG_ARM_PTIMER_CVAL, 12345, 8);
	regset_put_uint(set(&guest, "vcpu.0"), KVM_REG_ARM_PTIMER_CNT, 999, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	regset_put_uint(set(&guest, "vcpu.0"), KVM_REG_ARM_PTIMER_CTL, 1, 8);	/* enabled */
	refused_with("S3_3_C14_C2_1", NULL);
}
END_TEST

START_TEST(register_of_an_unseen_feature_may_be_dropped)
{
	/* TCR2_EL1 (6.12 lists it): FEAT_TCR2 is ID_AA64MMFR3_EL1 bits 3..0. */
	regset_put_uint(set(&guest, "vcpu.0"), ARM64_SYS_REG(3, 0, 2, 0, 3), 0, 8);
	regset_put_uint(set(&guest, COMPAT_IDREGS), ARM64_SYS_REG(3, 0, 0, 7, 3), 0, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	regset_put_uint(set(&guest, COMPAT_IDREGS), ARM64_SYS_REG(3, 0, 0, 7, 3), 1, 8);
	refused_with("S3_0_C2_C0_3", "does not");
}
END_TEST

START_TEST(geometry_of_an_undescribed_cache_may_be_dropped)
{
	uint64_t ccsidr = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX |
			  KVM_REG_ARM_DEMUX_ID_CCSIDR;
	uint32_t v = 2;

	/* CLIDR_EL1 0x23: L1 separate I+D (3), L2 unified (4). */
	regset_put_uint(set(&guest, "vcpu.0"), ARM64_SYS_REG(3, 1, 0, 0, 1), 0x23, 8);
	regset_put_uint(set(&host, "vcpu.0"), ARM64_SYS_REG(3, 1, 0, 0, 1), 0x23, 8);
	regset_put(set(&guest, "vcpu.0"), ccsidr | 5, &v, 4);	/* L3 instruction */
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	regset_put(set(&guest, "vcpu.0"), ccsidr | 2, &v, 4);	/* L2 unified: described */
	refused_with("0x6020000000110002", "does not");
}
END_TEST

START_TEST(firmware_registers)
{
	regset_put_uint(set(&host, "vcpu.0"), KVM_REG_ARM_PSCI_VERSION, 0x10000, 8);
	refused_with("firmware pseudo-register", "0x10001");
	regset_put_uint(set(&host, "vcpu.0"), KVM_REG_ARM_PSCI_VERSION, 0x10001, 8);
	regset_put_uint(set(&host, "vcpu.0"), KVM_REG_ARM_STD_HYP_BMAP, 3, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	regset_put_uint(set(&host, "vcpu.0"), KVM_REG_ARM_STD_HYP_BMAP, 0, 8);
	refused_with("firmware pseudo-register", NULL);
}
END_TEST

/* Values read off 7.3 hosts under QEMU 10: -cpu neoverse-n1 and -cpu max. */
#define MIDR_EL1	ARM64_SYS_REG(3, 0, 0, 0, 0)
#define CTR_EL0		ARM64_SYS_REG(3, 3, 0, 0, 1)
#define MIDR_N1		0x414fd0c1ull
#define MIDR_MAX	0x000f0510ull
#define CTR_N1		0x9444c004ull	/* DIC 0 */
#define CTR_MAX		0xb444c004ull	/* DIC 1 */

START_TEST(implementation_must_match_unless_the_host_can_show_it)
{
	regset_put_uint(set(&guest, "vcpu.0"), MIDR_EL1, MIDR_N1, 8);
	regset_put_uint(set(&host, "vcpu.0"), MIDR_EL1, MIDR_MAX, 8);
	refused_with("MIDR_EL1 (0x603000000013c000): the guest has 0x414fd0c1, this host has "
		     "0xf0510", "KVM_CAP_ARM_WRITABLE_IMP_ID_REGS");
	/* A 6.15+ host whose VMs may show another implementation. */
	regset_put_uint(set(&host, COMPAT_WRITABLE), MIDR_EL1, 0xffffffffull, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

START_TEST(cache_type_is_a_feature_register)
{
	/* A guest that saw DIC on a host without it is refused; the other
	 * way round it keeps to what it saw. */
	regset_put_uint(set(&guest, "vcpu.0"), CTR_EL0, CTR_MAX, 8);
	regset_put_uint(set(&host, "vcpu.0"), CTR_EL0, CTR_N1, 8);
	refused_with("ID register CTR_EL0 (0x603000000013d801): the guest saw 0xb444c004, "
		     "this host offers 0x9444c004", NULL);
	regset_put_uint(set(&guest, "vcpu.0"), CTR_EL0, CTR_N1, 8);
	regset_put_uint(set(&host, "vcpu.0"), CTR_EL0, CTR_MAX, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	/* The writeback granule (CWG, bits 27..24) only ever takes the
	 * host's value: a larger one on the host does not do. */
	regset_put_uint(set(&host, "vcpu.0"), CTR_EL0, CTR_MAX | 1ull << 24, 8);
	refused_with("CTR_EL0", "0xb544c004");
}
END_TEST

START_TEST(bitmap_bits_a_host_can_set_count)
{
	/* A 7.3 guest told of its implementations (VENDOR_HYP_BMAP_2 = 3)
	 * on a 7.3 host whose register is reset to 0 but takes both bits. */
	regset_put_uint(set(&guest, "vcpu.0"), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 3, 8);
	regset_put_uint(set(&host, "vcpu.0"), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 0, 8);
	refused_with("KVM_REG_ARM_VENDOR_HYP_BMAP_2", "the guest has 0x3, this host has 0x0");
	regset_put_uint(set(&host, COMPAT_WRITABLE), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 3, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
	/* A 6.12 host has no such register: fine for a guest told nothing. */
	drop_key(set(&host, "vcpu.0"), KVM_REG_ARM_VENDOR_HYP_BMAP_2);
	refused_with("KVM_REG_ARM_VENDOR_HYP_BMAP_2", "this host's KVM does not");
	regset_put_uint(set(&guest, "vcpu.0"), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 0, 8);
	ck_assert_int_eq(compat_check(&guest, &host, err, sizeof(err)), 0);
}
END_TEST

START_TEST(missing_sections_are_named)
{
	struct regset_list empty = { 0 };

	ck_assert_int_eq(compat_check(&guest, &empty, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "host profile"), "%s", err);
	ck_assert_int_eq(compat_check(&empty, &host, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "guest"), "%s", err);
}
END_TEST

/* ---- pools: compat_intersect() and compat_honours() ---- */

#define ID_AA64ISAR0	ARM64_SYS_REG(3, 0, 0, 6, 0)
#define V0		(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | 0x54)

#define PFR0_SVE	0x1101000110111111ull	/* SVE (bits 35..32) 1 */
#define PFR0_NO_SVE	0x1101000010111111ull
#define ISAR0_AES2	0x0221100110212120ull	/* AES (bits 7..4) 2 */
#define ISAR0_AES1	0x0221100110212110ull
#define SVE_MASK	0x0000000f00000000ull
#define AES_MASK	0x00000000000000f0ull

/* rich: 6.12, every feature, fields writable; lean: 6.12, AES 1; old:
 * 6.1, no SVE, AES 1, nothing writable, no physical timer registers. */
static struct regset_list rich, lean, old, pool;
static char notes[8192];

static void on_note(void *ctx, const char *line)
{
	(void)ctx;
	strncat(notes, line, sizeof(notes) - strlen(notes) - 2);
	strcat(notes, "\n");
}

static void host_fill(struct regset_list *l, const char *kernel, uint64_t pfr0, uint64_t isar0,
		      int is_612)
{
	struct regset *abi, *v0, *w;
	uint8_t v16[16];

	memset(l, 0, sizeof(*l));
	fill(l, 0);
	abi = set(l, "abi");
	v0 = set(l, "vcpu.0");
	regset_put(abi, ABI_KERNEL, kernel, strlen(kernel));
	regset_put_uint(abi, ABI_DIRTY_CAPS, is_612 ? 7 : 1, 4);
	regset_put_uint(abi, ABI_GITS_TYPER, 0x000f0000c0170ull, 8);
	regset_put_uint(v0, ID_AA64PFR0, pfr0, 8);
	regset_put_uint(v0, ID_AA64ISAR0, isar0, 8);
	memset(v16, (int)strlen(kernel), sizeof(v16));
	regset_put(v0, V0, v16, sizeof(v16));
	if (!is_612)
		return;
	regset_put_uint(v0, KVM_REG_ARM_PTIMER_CTL, 0, 8);
	regset_put_uint(abi, ABI_GICD_IIDR_REVS, 0xe, 4);	/* 1, 2 and 3 */
	w = set(l, COMPAT_WRITABLE);
	regset_put_uint(w, ID_AA64PFR0, SVE_MASK | 0xf, 8);
	regset_put_uint(w, ID_AA64ISAR0, AES_MASK, 8);
	regset_put_uint(w, KVM_REG_ARM_STD_HYP_BMAP, 1, 8);
}

static void pool_setup(void)
{
	host_fill(&rich, "6.12.0-27-arm64", PFR0_SVE, ISAR0_AES2, 1);
	host_fill(&lean, "6.12.0-27-arm64", PFR0_SVE, ISAR0_AES1, 1);
	host_fill(&old, "6.1.0-13-arm64", PFR0_NO_SVE, ISAR0_AES1, 0);
	regset_put_uint(set(&lean, COMPAT_WRITABLE), ID_AA64PFR0, SVE_MASK | 0xf0, 8);
	memset(&pool, 0, sizeof(pool));
	notes[0] = 0;
	err[0] = 0;
}

static void pool_teardown(void)
{
	regset_list_free(&rich);
	regset_list_free(&lean);
	regset_list_free(&old);
	regset_list_free(&pool);
}

static int intersect(const struct regset_list *a, const struct regset_list *b,
		     const struct regset_list *c)
{
	const struct regset_list *hosts[] = { a, b, c };

	regset_list_free(&pool);
	notes[0] = 0;
	return compat_intersect(hosts, c ? 3 : 2, &pool, on_note, NULL, err, sizeof(err));
}

static uint64_t pool_uint(const char *section, uint64_t key)
{
	uint64_t v = 0xdead;

	ck_assert_msg(!regset_get_uint(set(&pool, section), key, &v), "no key 0x%llx in %s",
		      (unsigned long long)key, section);
	return v;
}

static void noted(const char *line)
{
	ck_assert_msg(strstr(notes, line), "no note '%s' in:\n%s", line, notes);
}

static void intersect_refused(const struct regset_list *a, const struct regset_list *b,
			      const char *x, const char *y)
{
	ck_assert_int_eq(intersect(a, b, NULL), -EINVAL);
	ck_assert_msg(strstr(err, x) && (!y || strstr(err, y)), "message: %s", err);
	ck_assert_uint_eq(pool.n, 0);
}

START_TEST(pool_takes_each_field_at_its_lowest)
{
	uint32_t len;
	const uint8_t *k;

	ck_assert_int_eq(intersect(&rich, &lean, &old), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", ID_AA64PFR0), PFR0_NO_SVE);
	ck_assert_uint_eq(pool_uint("vcpu.0", ID_AA64ISAR0), ISAR0_AES1);
	noted("ID_AA64ISAR0_EL1 bits 7..4 (AES): 2 -> 1, host 2 (6.12.0-27-arm64) has 1");
	noted("ID_AA64PFR0_EL1 bits 35..32 (SVE): 1 -> 0, host 3 (6.1.0-13-arm64) has 0");
	/* Only what was lowered is noted. */
	ck_assert_ptr_null(strstr(notes, "bits 3..0"));
	k = regset_get(set(&pool, "abi"), ABI_KERNEL, &len);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(len, strlen("pool of 3 hosts"));
	ck_assert(!memcmp(k, "pool of 3 hosts", len));
	ck_assert(!regset_has(set(&pool, "abi"), ABI_NCPUS));
	ck_assert_uint_eq(pool_uint("abi", ABI_PAGE_SIZE), 4096);
	ck_assert_uint_eq(pool_uint("abi", ABI_DIRTY_CAPS), 1);
	noted("dirty-log capabilities: 0x7 -> 0x1, host 3 (6.1.0-13-arm64)");
	/* State, not capability: the first host's. */
	k = regset_get(set(&pool, "vcpu.0"), V0, &len);
	ck_assert_int_eq(len, 16);
	ck_assert_int_eq(k[0], strlen("6.12.0-27-arm64"));
	ck_assert_uint_eq(pool_uint("vcpu.0", SCTLR_EL1), 0x30d00980);
}
END_TEST

START_TEST(pool_of_one_host_is_that_host)
{
	const struct regset_list *hosts[] = { &rich };

	ck_assert_int_eq(compat_intersect(hosts, 1, &pool, NULL, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", ID_AA64PFR0), PFR0_SVE);
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_IIDR_REVS), 0xe);
	ck_assert_int_eq(compat_intersect(hosts, 0, &pool, NULL, NULL, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(pool_drops_registers_some_host_lacks)
{
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert(!regset_has(set(&pool, "vcpu.0"), KVM_REG_ARM_PTIMER_CTL));
	noted("vCPU register 0x603000000013df11 (S3_3_C14_C2_1) dropped: host 2 (6.1.0-13-arm64) "
	      "does not have it");
	ck_assert_int_eq(intersect(&old, &rich, NULL), 0);
	ck_assert(!regset_has(set(&pool, "vcpu.0"), KVM_REG_ARM_PTIMER_CTL));
	noted("(S3_3_C14_C2_1) dropped: host 1 (6.1.0-13-arm64) does not have it");
}
END_TEST

START_TEST(pool_ands_writable_masks)
{
	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	ck_assert_uint_eq(pool_uint(COMPAT_WRITABLE, ID_AA64PFR0), SVE_MASK);
	ck_assert_uint_eq(pool_uint(COMPAT_WRITABLE, ID_AA64ISAR0), AES_MASK);
	/* A host that lets nothing be written: nothing is writable in the pool. */
	ck_assert_int_eq(intersect(&rich, &lean, &old), 0);
	ck_assert_ptr_nonnull(set(&pool, COMPAT_WRITABLE));
	ck_assert_uint_eq(set(&pool, COMPAT_WRITABLE)->count, 0);
}
END_TEST

START_TEST(pool_needs_hosts_that_can_lower)
{
	/* The 6.1 host has a feature the lean one lacks and cannot hide it. */
	regset_put_uint(set(&old, "vcpu.0"), ID_AA64ISAR0, ISAR0_AES2, 8);
	intersect_refused(&lean, &old, "host 2 (6.1.0-13-arm64) cannot take guests of this pool",
			  "ID_AA64ISAR0_EL1 bits 7..4 (AES): the profile has 1, this host has 2");
	ck_assert_msg(strstr(err, "not writable on this host's KVM"), "%s", err);
}
END_TEST

START_TEST(pool_needs_equal_page_size)
{
	regset_put_uint(set(&old, "abi"), ABI_PAGE_SIZE, 65536, 8);
	intersect_refused(&rich, &old, "host page size", "host 1 (6.12.0-27-arm64) has 4096");
	ck_assert_msg(strstr(err, "host 2 (6.1.0-13-arm64) has 65536"), "%s", err);
	regset_put_uint(set(&old, "abi"), ABI_PAGE_SIZE, 4096, 8);
	regset_put_uint(set(&old, "abi"), ABI_CNTFRQ, 1000000000, 8);
	intersect_refused(&rich, &old, "CNTFRQ", "1000000000");
	regset_put_uint(set(&old, "abi"), ABI_CNTFRQ, 62500000, 8);
	/* Hosts that write other stolen-time revisions make a pool whose
	 * guests get none (board.c), so that any of them can take them. */
	regset_put_uint(set(&old, "abi"), ABI_PVTIME_REV, 1, 4);
	ck_assert_msg(intersect(&rich, &old, NULL) == 0, "%s", err);
	ck_assert(!regset_has(set(&pool, "abi"), ABI_PVTIME_REV));
	noted("PV stolen-time structure revision dropped");
}
END_TEST

/* A pool's SVE lengths: every host's up to the first that some host
 * lacks; none when one host has no SVE (the register is dropped). */
static uint8_t pool_vls0(void)
{
	uint32_t n;
	const uint8_t *v = regset_get(set(&pool, "vcpu.0"), KVM_REG_ARM64_SVE_VLS, &n);

	ck_assert_ptr_nonnull(v);
	return v[0];
}

START_TEST(pool_sve_lengths)
{
	put_vls(&rich, 0xb);		/* 128 256 512 */
	put_vls(&old, 0x3);		/* 128 256 */
	ck_assert_msg(intersect(&rich, &old, NULL) == 0, "%s", err);
	ck_assert_uint_eq(pool_vls0(), 0x3);
	noted("SVE vector lengths: up to 256 bits");
	put_vls(&old, 0x9);		/* 128 512 */
	ck_assert_msg(intersect(&rich, &old, NULL) == 0, "%s", err);
	ck_assert_uint_eq(pool_vls0(), 0x1);
	drop_key(set(&old, "vcpu.0"), KVM_REG_ARM64_SVE_VLS);
	ck_assert_msg(intersect(&rich, &old, NULL) == 0, "%s", err);
	ck_assert(!regset_has(set(&pool, "vcpu.0"), KVM_REG_ARM64_SVE_VLS));
}
END_TEST

START_TEST(pool_picks_gicd_revision_all_accept)
{
	/* rich accepts 1..3 (0xe), old 2..3 (0xc): 3, both accept. */
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_IIDR) >> 12 & 0xf, 3);
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_IIDR_REVS), 0xc);
	/* old accepts only 2 now: the pool is at 2. */
	regset_put_uint(set(&old, "abi"), ABI_GICD_IIDR_REVS, 0x4, 4);
	regset_put_uint(set(&old, "abi"), ABI_GICD_IIDR, 0x0000243b, 4);
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_IIDR), 0x0000243b);
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_IIDR_REVS), 0x4);
	noted("GICD_IIDR (implementation revision): 3 -> 2, the highest every host accepts (0x4)");
	/* No mask: only the host's own revision. */
	drop_key(set(&old, "abi"), ABI_GICD_IIDR_REVS);
	regset_put_uint(set(&old, "abi"), ABI_GICD_IIDR, 0x0000143b, 4);
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_IIDR_REVS), 0x2);
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_IIDR) >> 12 & 0xf, 1);
	/* No revision in common. */
	regset_put_uint(set(&rich, "abi"), ABI_GICD_IIDR_REVS, 0x8, 4);
	intersect_refused(&rich, &old, "GICD_IIDR", "no revision every host accepts");
}
END_TEST

START_TEST(pool_gits_and_typer2)
{
	regset_put_uint(set(&rich, "abi"), ABI_GITS_IIDR, 0x0000143b, 8);	/* revision 1 */
	regset_put_uint(set(&rich, "abi"), ABI_GICD_TYPER2, 0x100, 4);
	regset_put_uint(set(&rich, "abi"), ABI_TYPER2_WRITABLE, 0x100, 4);
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert_uint_eq(pool_uint("abi", ABI_GITS_IIDR), 0x0000043b);
	noted("GITS_IIDR (ITS table ABI revision): 1 -> 0, host 2 (6.1.0-13-arm64) has 0");
	ck_assert_uint_eq(pool_uint("abi", ABI_GICD_TYPER2), 0);
	noted("GICD_TYPER2: 0x100 -> 0x0");
	/* Different values are kept out of the pool. */
	ck_assert(regset_has(set(&pool, "abi"), ABI_GITS_TYPER));
	regset_put_uint(set(&old, "abi"), ABI_GITS_TYPER, 0x1, 8);
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert(!regset_has(set(&pool, "abi"), ABI_GITS_TYPER));
	noted("GITS_TYPER dropped: host 2 (6.1.0-13-arm64)");
	/* A bit the richer host cannot clear. */
	regset_put_uint(set(&rich, "abi"), ABI_TYPER2_WRITABLE, 0, 4);
	intersect_refused(&rich, &old, "GICD_TYPER2", "host 1 (6.12.0-27-arm64) has 0x100");
}
END_TEST

/* A key the ABI table does not know (a newer itsy's) is kept when every
 * host has the same value. */
START_TEST(pool_keeps_unknown_abi_values_all_share)
{
	regset_put_uint(set(&rich, "abi"), 99, 5, 4);
	regset_put_uint(set(&old, "abi"), 99, 5, 4);
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert_uint_eq(pool_uint("abi", 99), 5);
	regset_put_uint(set(&old, "abi"), 99, 6, 4);
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert(!regset_has(set(&pool, "abi"), 99));
	noted("ABI value 99 dropped: host 2 (6.1.0-13-arm64) has another value or none");
}
END_TEST

START_TEST(pool_firmware_registers)
{
	regset_put_uint(set(&rich, "vcpu.0"), KVM_REG_ARM_STD_HYP_BMAP, 3, 8);
	regset_put_uint(set(&rich, COMPAT_WRITABLE), KVM_REG_ARM_STD_HYP_BMAP, 3, 8);
	regset_put_uint(set(&rich, "vcpu.0"), KVM_REG_ARM_PSCI_VERSION, 0x10001, 8);
	regset_put_uint(set(&lean, "vcpu.0"), KVM_REG_ARM_PSCI_VERSION, 0x10000, 8);
	regset_put_uint(set(&rich, "vcpu.0"), KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, 2, 8);
	regset_put_uint(set(&lean, "vcpu.0"), KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, 1, 8);
	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", KVM_REG_ARM_STD_HYP_BMAP), 1);
	ck_assert_uint_eq(pool_uint("vcpu.0", KVM_REG_ARM_PSCI_VERSION), 0x10000);
	ck_assert_uint_eq(pool_uint("vcpu.0", KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1), 1);
	noted("KVM_REG_ARM_STD_HYP_BMAP: 0x3 -> 0x1, host 2 (6.12.0-27-arm64) has 0x1");
	noted("KVM_REG_ARM_PSCI_VERSION: 0x10001 -> 0x10000");
	noted("KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1: 0x2 -> 0x1");
	/* A bitmap bit the richer host cannot clear. */
	regset_put_uint(set(&rich, COMPAT_WRITABLE), KVM_REG_ARM_STD_HYP_BMAP, 1, 8);
	intersect_refused(&rich, &lean, "host 1 (6.12.0-27-arm64) cannot take",
			  "KVM_REG_ARM_STD_HYP_BMAP");
	/* A firmware register without an order must be equal. */
	regset_put_uint(set(&rich, COMPAT_WRITABLE), KVM_REG_ARM_STD_HYP_BMAP, 3, 8);
	regset_put_uint(set(&rich, "vcpu.0"), KVM_REG_ARM_FW_REG(9), 1, 8);
	regset_put_uint(set(&lean, "vcpu.0"), KVM_REG_ARM_FW_REG(9), 2, 8);
	intersect_refused(&rich, &lean, "firmware pseudo-register", "same on every host");
}
END_TEST

START_TEST(pool_signed_fields_count_0xf_lowest)
{
	/* FP (bits 19..16) 0xf: no floating point, below 0 and 1. */
	regset_put_uint(set(&lean, "vcpu.0"), ID_AA64PFR0, (PFR0_SVE & ~0xf0000ull) | 0xf0000, 8);
	regset_put_uint(set(&rich, COMPAT_WRITABLE), ID_AA64PFR0, SVE_MASK | 0xf0000, 8);
	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", ID_AA64PFR0) >> 16 & 0xf, 0xf);
	noted("ID_AA64PFR0_EL1 bits 19..16 (FP): 1 -> 15");
}
END_TEST

START_TEST(pool_of_pools)
{
	struct regset_list first;
	const struct regset_list *hosts[] = { &first, &old };

	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	first = pool;
	memset(&pool, 0, sizeof(pool));
	ck_assert_int_eq(compat_intersect(hosts, 2, &pool, on_note, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", ID_AA64PFR0), PFR0_NO_SVE);
	noted("ID_AA64PFR0_EL1 bits 35..32 (SVE): 1 -> 0, host 2 (6.1.0-13-arm64) has 0");
	ck_assert_int_eq(compat_honours(&pool, &rich, err, sizeof(err)), 0);
	ck_assert_int_eq(compat_honours(&pool, &lean, err, sizeof(err)), 0);
	/* The first pool names itself in messages. */
	regset_put_uint(set(&old, "abi"), ABI_PAGE_SIZE, 65536, 8);
	regset_list_free(&pool);
	ck_assert_int_eq(compat_intersect(hosts, 2, &pool, on_note, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "host 1 (pool of 2 hosts)"), "%s", err);
	regset_list_free(&first);
}
END_TEST

/* compat_honours */

START_TEST(honours_lowering_a_writable_field)
{
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert_int_eq(compat_honours(&pool, &rich, err, sizeof(err)), 0);
	ck_assert_int_eq(compat_honours(&pool, &old, err, sizeof(err)), 0);
	/* Its own profile, whatever its vCPU count. */
	regset_put_uint(set(&rich, "abi"), ABI_NCPUS, 8, 4);
	ck_assert_int_eq(compat_honours(&pool, &rich, err, sizeof(err)), 0);
	ck_assert_int_eq(compat_honours(&lean, &rich, err, sizeof(err)), 0);
}
END_TEST

START_TEST(honours_refuses_a_field_not_writable)
{
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	regset_put_uint(set(&rich, COMPAT_WRITABLE), ID_AA64PFR0, 0xf, 8);
	ck_assert_int_eq(compat_honours(&pool, &rich, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "ID_AA64PFR0_EL1 bits 35..32 (SVE): the profile has 0, this host "
			      "has 1") && strstr(err, "not writable on this host's KVM"), "%s", err);
}
END_TEST

START_TEST(honours_refuses_raising)
{
	ck_assert_int_eq(compat_honours(&rich, &old, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "ID_AA64PFR0_EL1 bits 35..32 (SVE): the profile has 1, this host "
			      "has 0") && strstr(err, "this host lacks it"), "%s", err);
}
END_TEST

START_TEST(honours_firmware_bitmaps)
{
	regset_put_uint(set(&lean, "vcpu.0"), KVM_REG_ARM_STD_HYP_BMAP, 3, 8);
	ck_assert_int_eq(compat_honours(&lean, &rich, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "KVM_REG_ARM_STD_HYP_BMAP") && strstr(err, "lacks bits 0x2"), "%s",
		      err);
	regset_put_uint(set(&lean, "vcpu.0"), KVM_REG_ARM_STD_HYP_BMAP, 0, 8);
	ck_assert_int_eq(compat_honours(&lean, &rich, err, sizeof(err)), 0);
	regset_put_uint(set(&rich, COMPAT_WRITABLE), KVM_REG_ARM_STD_HYP_BMAP, 0, 8);
	ck_assert_int_eq(compat_honours(&lean, &rich, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "not writable"), "%s", err);
}
END_TEST

START_TEST(pool_shows_one_implementation)
{
	/* rich cannot show another implementation, lean (a 6.15+ host) can:
	 * the pool is rich's CPU, whichever host comes first. */
	regset_put_uint(set(&rich, "vcpu.0"), MIDR_EL1, MIDR_N1, 8);
	regset_put_uint(set(&lean, "vcpu.0"), MIDR_EL1, MIDR_MAX, 8);
	regset_put_uint(set(&lean, COMPAT_WRITABLE), MIDR_EL1, 0xffffffffull, 8);
	ck_assert_int_eq(intersect(&lean, &rich, NULL), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", MIDR_EL1), MIDR_N1);
	noted("MIDR_EL1: 0xf0510 -> 0x414fd0c1, host 2 (6.12.0-27-arm64) cannot show another");
	ck_assert_int_eq(compat_honours(&pool, &lean, err, sizeof(err)), 0);
	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", MIDR_EL1), MIDR_N1);
	/* Neither can: no pool, and the refusal names the register. */
	drop_key(set(&lean, COMPAT_WRITABLE), MIDR_EL1);
	intersect_refused(&rich, &lean, "cannot take guests of this pool",
			  "MIDR_EL1 (0x603000000013c000): the profile has 0x414fd0c1, this host "
			  "has 0xf0510");
}
END_TEST

START_TEST(pool_cache_type)
{
	uint64_t w = 0xf00f000full;	/* DIC/IDC, DminLine, IminLine */

	regset_put_uint(set(&rich, "vcpu.0"), CTR_EL0, CTR_MAX, 8);
	regset_put_uint(set(&lean, "vcpu.0"), CTR_EL0, CTR_N1, 8);
	regset_put_uint(set(&rich, COMPAT_WRITABLE), CTR_EL0, w, 8);
	regset_put_uint(set(&lean, COMPAT_WRITABLE), CTR_EL0, w, 8);
	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", CTR_EL0), CTR_N1);
	noted("CTR_EL0 bits 31..28: 11 -> 9, host 2 (6.12.0-27-arm64) has 9");
	/* Without the field writable, rich cannot hide its DIC. */
	regset_put_uint(set(&rich, COMPAT_WRITABLE), CTR_EL0, 0xf00full, 8);
	intersect_refused(&rich, &lean, "host 1 (6.12.0-27-arm64) cannot take guests",
			  "CTR_EL0 bits 31..28: the profile has 9, this host has 11");
	/* An exact field that differs: no pool. */
	regset_put_uint(set(&rich, "vcpu.0"), CTR_EL0, CTR_N1 | 1ull << 24, 8);
	intersect_refused(&rich, &lean, "CTR_EL0 bits 27..24 (CWG): host 1 (6.12.0-27-arm64) "
			  "has 5, host 2 (6.12.0-27-arm64) has 4", "the same on every host");
}
END_TEST

START_TEST(pool_lists_every_implementation)
{
	struct regset_list first;
	const struct regset_list *hosts[] = { &first, &old };
	struct impl_cpu l[COMPAT_IMPL_MAX];

	regset_put_uint(set(&rich, "vcpu.0"), MIDR_EL1, MIDR_N1, 8);
	regset_put_uint(set(&lean, "vcpu.0"), MIDR_EL1, MIDR_MAX, 8);
	regset_put_uint(set(&lean, COMPAT_WRITABLE), MIDR_EL1, 0xffffffffull, 8);
	regset_put_uint(set(&old, "vcpu.0"), MIDR_EL1, MIDR_N1, 8);
	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	ck_assert_int_eq(impl_from_set(set(&pool, COMPAT_IMPL), l), 2);
	ck_assert_uint_eq(l[0].midr, MIDR_N1);
	ck_assert_uint_eq(l[1].midr, MIDR_MAX);
	/* A pool of that pool and a host of a CPU it has: each once. */
	first = pool;
	memset(&pool, 0, sizeof(pool));
	ck_assert_int_eq(compat_intersect(hosts, 2, &pool, on_note, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(impl_from_set(set(&pool, COMPAT_IMPL), l), 2);
	regset_list_free(&first);
}
END_TEST

START_TEST(pool_offers_the_bitmap_bits_every_host_can_set)
{
	/* Two 7.3 hosts: DISCOVER_IMPL offered; a 6.12 one lacks the register. */
	regset_put_uint(set(&rich, "vcpu.0"), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 0, 8);
	regset_put_uint(set(&lean, "vcpu.0"), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 0, 8);
	regset_put_uint(set(&rich, COMPAT_WRITABLE), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 3, 8);
	regset_put_uint(set(&lean, COMPAT_WRITABLE), KVM_REG_ARM_VENDOR_HYP_BMAP_2, 1, 8);
	ck_assert_int_eq(intersect(&rich, &lean, NULL), 0);
	ck_assert_uint_eq(pool_uint("vcpu.0", KVM_REG_ARM_VENDOR_HYP_BMAP_2), 1);
	ck_assert_int_eq(compat_honours(&pool, &lean, err, sizeof(err)), 0);
	ck_assert_int_eq(intersect(&rich, &old, NULL), 0);
	ck_assert(!regset_has(set(&pool, "vcpu.0"), KVM_REG_ARM_VENDOR_HYP_BMAP_2));
}
END_TEST

/* ---- the target-implementation calls (arch/arm64/impl.h) ---- */

START_TEST(impl_answers)
{
	const struct impl_cpu l[2] = { { MIDR_N1, 1, 2 }, { MIDR_MAX, 3, 4 } };
	uint64_t r[4];

	ck_assert_int_eq(impl_answer(l, 2, IMPL_FUNC_VER, 0, r), 0);
	ck_assert(r[0] == 0 && r[1] == 0x10000 && r[2] == 2 && r[3] == 0);
	ck_assert_int_eq(impl_answer(l, 2, IMPL_FUNC_CPUS, 1, r), 0);
	ck_assert(r[0] == 0 && r[1] == MIDR_MAX && r[2] == 3 && r[3] == 4);
	ck_assert_int_eq(impl_answer(l, 2, IMPL_FUNC_CPUS, 2, r), 0);
	ck_assert(r[0] == (uint64_t)-3 && r[1] == 0);	/* INVALID_PARAMETER */
	ck_assert_int_eq(impl_answer(l, 2, IMPL_FUNC_CPUS, ~0ull, r), 0);
	ck_assert(r[0] == (uint64_t)-3);
	ck_assert_int_eq(impl_answer(l, 2, 0xc6000042u, 0, r), -ENOENT);
}
END_TEST

START_TEST(impl_sets)
{
	struct impl_cpu l[COMPAT_IMPL_MAX], c = { 0x410fd0c0, 0, 0 }, back[COMPAT_IMPL_MAX];
	unsigned n = 0;
	struct regset s;
	uint8_t v[24] = { 0 };

	for (unsigned i = 0; i < COMPAT_IMPL_MAX; i++, c.midr++)
		ck_assert_int_eq(impl_add(l, &n, &c), 0);
	ck_assert_int_eq(impl_add(l, &n, &l[3]), 0);	/* there already */
	ck_assert_uint_eq(n, COMPAT_IMPL_MAX);
	ck_assert_int_eq(impl_add(l, &n, &c), -ENOSPC);
	regset_init(&s);
	ck_assert_int_eq(impl_to_set(l, n, &s), 0);
	ck_assert_int_eq(impl_from_set(&s, back), COMPAT_IMPL_MAX);
	ck_assert(!memcmp(l, back, sizeof(l)));
	regset_put(&s, COMPAT_IMPL_MAX, v, 24);		/* one too many */
	ck_assert_int_eq(impl_from_set(&s, back), -EINVAL);
	regset_free(&s);
	regset_put(&s, 0, v, 24);
	regset_put(&s, 2, v, 24);			/* key 1 missing */
	ck_assert_int_eq(impl_from_set(&s, back), -EINVAL);
	regset_free(&s);
	regset_put(&s, 0, v, 16);			/* short value */
	ck_assert_int_eq(impl_from_set(&s, back), -EINVAL);
	regset_free(&s);
}
END_TEST

START_TEST(honours_what_compat_check_requires)
{
	regset_put_uint(set(&old, "abi"), ABI_PAGE_SIZE, 65536, 8);
	ck_assert_int_eq(compat_honours(&lean, &old, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "host page size"), "%s", err);
	regset_put_uint(set(&old, "abi"), ABI_PAGE_SIZE, 4096, 8);
	/* old accepts GICD_IIDR revisions 2 and 3, not 1. */
	regset_put_uint(set(&lean, "abi"), ABI_GICD_IIDR, 0x0000143b, 4);
	ck_assert_int_eq(compat_honours(&lean, &old, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "GICD_IIDR"), "%s", err);
	ck_assert_int_eq(compat_honours(&pool, &old, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "the profile has no 'abi'"), "%s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compat");
	TCase *tc = UNIT_TCASE(s, "check", same_host_is_accepted, page_size_must_match,
			       counter_frequency_must_match, vcpu_count_must_match,
			       pvtime_revision_must_match, sve_lengths_are_the_hosts_up_to_the_longest,
			       newer_its_table_layout_is_refused,
			       gicd_revision_must_be_settable, typer2_only_in_writable_bits,
			       typer2_vsgi_goes_one_way,
			       id_register_lacking_a_feature_is_refused,
			       id_register_with_more_features_is_accepted,
			       boot_time_id_registers_decide, missing_register_is_refused,
			       disabled_physical_timer_may_be_dropped,
			       register_of_an_unseen_feature_may_be_dropped,
			       geometry_of_an_undescribed_cache_may_be_dropped, firmware_registers,
			       implementation_must_match_unless_the_host_can_show_it,
			       cache_type_is_a_feature_register, bitmap_bits_a_host_can_set_count,
			       missing_sections_are_named);

	tcase_add_checked_fixture(tc, setup, teardown);
	tc = UNIT_TCASE(s, "pool", pool_takes_each_field_at_its_lowest, pool_of_one_host_is_that_host,
			pool_drops_registers_some_host_lacks, pool_ands_writable_masks,
			pool_needs_hosts_that_can_lower, pool_needs_equal_page_size, pool_sve_lengths,
			pool_picks_gicd_revision_all_accept, pool_gits_and_typer2,
			pool_keeps_unknown_abi_values_all_share,
			pool_firmware_registers, pool_signed_fields_count_0xf_lowest, pool_of_pools,
			honours_lowering_a_writable_field, honours_refuses_a_field_not_writable,
			honours_refuses_raising, honours_firmware_bitmaps,
			pool_shows_one_implementation, pool_cache_type,
			pool_lists_every_implementation, pool_offers_the_bitmap_bits_every_host_can_set,
			honours_what_compat_check_requires, impl_answers, impl_sets);
	tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
	return unit_run(s);
}

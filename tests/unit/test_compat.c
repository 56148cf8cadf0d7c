/* The compatibility check (arch/arm64/compat.c): which hosts may take a
 * guest, and what the refusal says. */
#include "arch/arm64/compat.h"
#include "arch/arm64/board.h"
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

START_TEST(id_register_lacking_a_feature_is_refused)
{
	/* The host has SVE (bits 35..32) 0 where the guest saw 1. */
	regset_put_uint(set(&host, "vcpu.0"), ID_AA64PFR0, 0x1101000000111111ull, 8);
	refused_with("ID register 0x603000000013c020", "0x1101000010111111");
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

START_TEST(missing_sections_are_named)
{
	struct regset_list empty = { 0 };

	ck_assert_int_eq(compat_check(&guest, &empty, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "host profile"), "%s", err);
	ck_assert_int_eq(compat_check(&empty, &host, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "guest"), "%s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("compat");
	TCase *tc = UNIT_TCASE(s, "check", same_host_is_accepted, page_size_must_match,
			       counter_frequency_must_match, newer_its_table_layout_is_refused,
			       gicd_revision_must_be_settable, typer2_only_in_writable_bits,
			       id_register_lacking_a_feature_is_refused,
			       id_register_with_more_features_is_accepted,
			       boot_time_id_registers_decide, missing_register_is_refused,
			       disabled_physical_timer_may_be_dropped, firmware_registers,
			       missing_sections_are_named);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(s);
}

/* PV stolen time's saved form (arch/arm64/pvtime_state.c): the region's
 * structures become explicit fields and come back the same, and a
 * damaged or crafted section is refused before the region is touched. */
#include "arch/arm64/pvtime_state.h"
#include "vmm/le.h"
#include "vmm/regset.h"

#include <errno.h>
#include <string.h>

#include "tests/unit/unit.h"

#define BASE	0x09100000ull
#define NCPUS	3

static uint8_t region[NCPUS * PVTIME_STRIDE], back[NCPUS * PVTIME_STRIDE];
static struct regset s;
static char err[256];

/* vCPU i: Revision 0, Attributes 0, stolen 1000 * (i + 1) + a high bit. */
static void setup(void)
{
	memset(region, 0, sizeof(region));
	for (unsigned i = 0; i < NCPUS; i++)
		le_put(region + i * PVTIME_STRIDE + 8, (1ull << 40) + 1000 * (i + 1), 8);
	memset(back, 0xaa, sizeof(back));
	regset_init(&s);
	err[0] = 0;
	ck_assert_int_eq(pvtime_state_save(region, BASE, NCPUS, &s), 0);
}

static void teardown(void)
{
	regset_free(&s);
}

START_TEST(fields_are_explicit_and_come_back)
{
	ck_assert_uint_eq(regset_uint_or0(&s, PVT_BASE), BASE);
	ck_assert_uint_eq(regset_uint_or0(&s, PVT_NCPUS), NCPUS);
	ck_assert_uint_eq(regset_uint_or0(&s, PVT_STOLEN + 2), (1ull << 40) + 3000);
	ck_assert_uint_eq(pvtime_stolen_of(region, 1), (1ull << 40) + 2000);
	ck_assert_int_eq(pvtime_state_load(&s, BASE, NCPUS, back, err, sizeof(err)), 0);
	ck_assert_mem_eq(back, region, sizeof(region));	/* reserved bytes zeroed too */
}
END_TEST

START_TEST(revision_is_kept)
{
	le_put(region + PVTIME_STRIDE, 1, 4);
	regset_free(&s);
	regset_init(&s);
	ck_assert_int_eq(pvtime_state_save(region, BASE, NCPUS, &s), 0);
	ck_assert_uint_eq(regset_uint_or0(&s, PVT_REV + 1), 1);
	ck_assert_int_eq(pvtime_state_load(&s, BASE, NCPUS, back, err, sizeof(err)), 0);
	ck_assert_uint_eq(pvtime_revision_of(back, 1), 1);
	ck_assert_uint_eq(pvtime_revision_of(back, 0), 0);
}
END_TEST

/* Refused, with @want in the sentence, and the region left alone. */
static void refused(const char *want, unsigned ncpus)
{
	uint8_t before[sizeof(back)];

	memcpy(before, back, sizeof(back));
	ck_assert_int_eq(pvtime_state_load(&s, BASE, ncpus, back, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, want), "'%s' lacks '%s'", err, want);
	ck_assert_mem_eq(back, before, sizeof(back));
}

START_TEST(another_base_is_refused)
{
	regset_put_uint(&s, PVT_BASE, BASE + 0x10000, 8);
	refused("0x9110000", NCPUS);
}
END_TEST

START_TEST(another_vcpu_count_is_refused)
{
	refused("not for 2 vCPUs", 2);
}
END_TEST

START_TEST(a_missing_or_resized_field_is_refused)
{
	regset_put_uint(&s, PVT_STOLEN + 1, 5, 4);
	refused("vCPU 1's fields", NCPUS);
	regset_put_uint(&s, PVT_STOLEN + 1, 5, 8);
	regset_put_uint(&s, PVT_BASE, BASE, 4);
	refused("address is missing", NCPUS);
}
END_TEST

START_TEST(an_empty_section_is_refused)
{
	regset_free(&s);
	regset_init(&s);
	refused("address is missing", NCPUS);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("pvtime_state");
	TCase *tc = UNIT_TCASE(su, "pvtime_state", fields_are_explicit_and_come_back,
			       revision_is_kept, another_base_is_refused, another_vcpu_count_is_refused,
			       a_missing_or_resized_field_is_refused, an_empty_section_is_refused);

	tcase_add_checked_fixture(tc, setup, teardown);
	return unit_run(su);
}

/* SBSA Generic Watchdog model (devices/watchdog/sbsa_gwdt.c). The system
 * counter is passed in, so the tests choose the time. */
#include "devices/watchdog/sbsa_gwdt.h"

#include "tests/unit/unit.h"

enum { WCS = 0x000, WOR_LO = 0x008, WOR_HI = 0x00c, WCV_LO = 0x010,
       WCV_HI = 0x014, W_IIDR = 0xfcc, WRR = 0x000 };

#define EN	1u
#define WS0	2u
#define WS1	4u
#define WOR	1000u

static struct sbsa_gwdt g;

/* Enabled with offset WOR at counter 0, as the guest driver leaves it. */
static void setup(void)
{
	gwdt_init(&g, 0, 0, 0);
	gwdt_write(&g, GWDT_CONTROL, WOR_LO, WOR, 0);
	gwdt_write(&g, GWDT_CONTROL, WCS, EN, 0);
}

START_TEST(disabled_never_expires)
{
	gwdt_init(&g, 0, WOR, 0);
	ck_assert_uint_eq(gwdt_deadline(&g), 0);
	ck_assert_int_eq(gwdt_expire(&g, 1u << 30), GWDT_NONE);
	ck_assert_int_eq(gwdt_irq_level(&g), 0);
}
END_TEST

START_TEST(armed_at_power_on)
{
	gwdt_init(&g, 1, WOR, 500);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WCS), EN);
	ck_assert_uint_eq(gwdt_deadline(&g), 500 + WOR);
}
END_TEST

START_TEST(two_stages_then_reset)
{
	ck_assert_uint_eq(gwdt_deadline(&g), WOR);
	ck_assert_int_eq(gwdt_expire(&g, WOR - 1), GWDT_NONE);
	ck_assert_int_eq(gwdt_expire(&g, WOR), GWDT_WS0);
	ck_assert_int_eq(gwdt_irq_level(&g), 1);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WCS), EN | WS0);
	ck_assert_uint_eq(gwdt_deadline(&g), 2 * WOR);	/* timeout refresh */
	ck_assert_int_eq(gwdt_expire(&g, 2 * WOR - 1), GWDT_NONE);
	ck_assert_int_eq(gwdt_expire(&g, 2 * WOR), GWDT_WS1);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WCS), EN | WS0 | WS1);
	ck_assert_uint_eq(gwdt_deadline(&g), 0);	/* nothing after a reset */
}
END_TEST

START_TEST(refresh_frame_write_refreshes)
{
	ck_assert_int_eq(gwdt_expire(&g, WOR), GWDT_WS0);
	gwdt_write(&g, GWDT_REFRESH, WRR, 0, WOR + 10);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WCS), EN);
	ck_assert_int_eq(gwdt_irq_level(&g), 0);
	ck_assert_uint_eq(gwdt_deadline(&g), 2 * WOR + 10);
	ck_assert_int_eq(gwdt_expire(&g, 2 * WOR + 9), GWDT_NONE);
}
END_TEST

START_TEST(wor_write_refreshes_and_is_48_bits)
{
	gwdt_write(&g, GWDT_CONTROL, WOR_HI, 0xffffffffu, 300);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WOR_HI), 0xffff);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WOR_LO), WOR);
	ck_assert_uint_eq(gwdt_deadline(&g), 300 + (0xffffull << 32 | WOR));
}
END_TEST

START_TEST(wcv_is_writable)
{
	gwdt_write(&g, GWDT_CONTROL, WCV_LO, 5, 0);
	gwdt_write(&g, GWDT_CONTROL, WCV_HI, 1, 0);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WCV_LO), 5);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, WCV_HI), 1);
	ck_assert_uint_eq(gwdt_deadline(&g), 1ull << 32 | 5);
}
END_TEST

START_TEST(disable_stops_it)
{
	gwdt_write(&g, GWDT_CONTROL, WCS, 0, 10);
	ck_assert_uint_eq(gwdt_deadline(&g), 0);
	ck_assert_int_eq(gwdt_expire(&g, 10 * WOR), GWDT_NONE);
}
END_TEST

START_TEST(iidr_says_version_1)
{
	ck_assert_uint_eq(gwdt_read(&g, GWDT_CONTROL, W_IIDR) >> 16 & 0xf, 1);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_REFRESH, W_IIDR) >> 16 & 0xf, 1);
	ck_assert_uint_eq(gwdt_read(&g, GWDT_REFRESH, WRR), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sbsa_gwdt");
	TCase *tc;

	tc = UNIT_TCASE(s, "gwdt", disabled_never_expires, armed_at_power_on,
			two_stages_then_reset, refresh_frame_write_refreshes,
			wor_write_refreshes_and_is_48_bits, wcv_is_writable,
			disable_stops_it, iidr_says_version_1);
	tcase_add_checked_fixture(tc, setup, NULL);
	return unit_run(s);
}

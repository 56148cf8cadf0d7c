/* ARM PL031 real-time clock model (devices/rtc/pl031.c). Host time is
 * passed in, so the tests pick it. */
#include "devices/rtc/pl031.h"
#include "vmm/regset.h"

#include "tests/unit/unit.h"

enum { DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0c, IMSC = 0x10, RIS = 0x14,
       MIS = 0x18, ICR = 0x1c, ID = 0xfe0 };

#define NOW	1700000000ll	/* host time of the tests, seconds */

static struct pl031 rtc;

static void setup(void)
{
	pl031_init(&rtc, NOW);
}

static uint32_t rd(unsigned off, int64_t now)
{
	return pl031_read(&rtc, off, now);
}

static void wr(unsigned off, uint32_t val, int64_t now)
{
	pl031_write(&rtc, off, val, now);
}

START_TEST(dr_is_host_time)
{
	ck_assert_uint_eq(rd(DR, NOW), (uint32_t)NOW);
	ck_assert_uint_eq(rd(DR, NOW + 5), (uint32_t)NOW + 5);
}
END_TEST

START_TEST(lr_sets_time)
{
	wr(LR, 1000, NOW);
	ck_assert_uint_eq(rd(DR, NOW), 1000);
	ck_assert_uint_eq(rd(DR, NOW + 42), 1042);
	wr(LR, 0xfffffff0u, NOW + 42);	/* later than the host clock */
	ck_assert_uint_eq(rd(DR, NOW + 50), 0xfffffff8u);
}
END_TEST

START_TEST(cr_reads_running)
{
	ck_assert_uint_eq(rd(CR, NOW), 1);
	wr(CR, 0, NOW);
	ck_assert_uint_eq(rd(CR, NOW), 1);
}
END_TEST

START_TEST(id_registers)
{
	static const uint8_t want[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

	for (unsigned i = 0; i < 8; i++)
		ck_assert_msg(rd(ID + 4 * i, NOW) == want[i], "ID register %#x = %#x, want %#x",
			      ID + 4 * i, rd(ID + 4 * i, NOW), want[i]);
}
END_TEST

START_TEST(match_register_stored)
{
	wr(MR, 0x12345678, NOW);
	ck_assert_uint_eq(rd(MR, NOW), 0x12345678);
	ck_assert_uint_eq(rd(DR, NOW), (uint32_t)NOW);	/* not the time */
}
END_TEST

START_TEST(imsc_masks_mis)
{
	wr(IMSC, 0xff, NOW);
	ck_assert_uint_eq(rd(IMSC, NOW), 1);	/* one interrupt, one bit */
	ck_assert_uint_eq(rd(MIS, NOW), 0);	/* nothing raised */
	rtc.ris = 1;				/* as if the match had fired */
	ck_assert_uint_eq(rd(RIS, NOW), 1);
	ck_assert_uint_eq(rd(MIS, NOW), 1);
	wr(IMSC, 0, NOW);
	ck_assert_uint_eq(rd(RIS, NOW), 1);
	ck_assert_uint_eq(rd(MIS, NOW), 0);
}
END_TEST

START_TEST(icr_clears_ris)
{
	rtc.ris = 1;
	wr(IMSC, 1, NOW);
	wr(ICR, 0, NOW);
	ck_assert_uint_eq(rd(RIS, NOW), 1);
	wr(ICR, 1, NOW);
	ck_assert_uint_eq(rd(RIS, NOW), 0);
	ck_assert_uint_eq(rd(MIS, NOW), 0);
	ck_assert_uint_eq(rd(ICR, NOW), 0);	/* write-only */
}
END_TEST

/* The alarm: RIS when the counter counts up to MR, the line RIS & IMSC. */
START_TEST(alarm_fires_when_counted)
{
	wr(MR, (uint32_t)NOW + 3, NOW);
	wr(IMSC, 1, NOW);
	ck_assert_int_eq(pl031_next_match(&rtc, NOW), NOW + 3);
	pl031_tick(&rtc, NOW + 2);
	ck_assert_uint_eq(rd(RIS, NOW + 2), 0);
	ck_assert_int_eq(pl031_irq_level(&rtc), 0);
	pl031_tick(&rtc, NOW + 3);
	ck_assert_uint_eq(rd(RIS, NOW + 3), 1);
	ck_assert_uint_eq(rd(MIS, NOW + 3), 1);
	ck_assert_int_eq(pl031_irq_level(&rtc), 1);
	wr(ICR, 1, NOW + 4);
	ck_assert_int_eq(pl031_irq_level(&rtc), 0);
	pl031_tick(&rtc, NOW + 9);
	ck_assert_uint_eq(rd(RIS, NOW + 9), 0);	/* once per count */
}
END_TEST

/* Looked at late (the host was busy): a match passed on the way counts. */
START_TEST(alarm_passed_between_looks)
{
	wr(MR, (uint32_t)NOW + 3, NOW);
	ck_assert_uint_eq(rd(RIS, NOW + 10), 1);
	ck_assert_int_eq(pl031_irq_level(&rtc), 0);	/* masked */
}
END_TEST

/* Writing MR equal to the counter, or loading the counter past MR, is not
 * a count up to it. */
START_TEST(alarm_not_by_writes)
{
	wr(MR, (uint32_t)NOW, NOW);
	ck_assert_uint_eq(rd(RIS, NOW), 0);
	wr(MR, (uint32_t)NOW + 100, NOW);
	wr(LR, (uint32_t)NOW + 200, NOW);
	ck_assert_uint_eq(rd(RIS, NOW + 1), 0);
	ck_assert_int_gt(pl031_next_match(&rtc, NOW + 1), NOW + 1000000);
}
END_TEST

/* The guest's counter (after RTCLR) is what the match compares. */
START_TEST(alarm_on_guest_time)
{
	wr(LR, 5000, NOW);
	wr(MR, 5002, NOW);
	ck_assert_int_eq(pl031_next_match(&rtc, NOW), NOW + 2);
	ck_assert_uint_eq(rd(RIS, NOW + 2), 1);
}
END_TEST

START_TEST(state_round_trip)
{
	struct regset s;
	struct pl031 b;

	regset_init(&s);
	wr(MR, (uint32_t)NOW + 5, NOW);
	wr(IMSC, 1, NOW);
	pl031_tick(&rtc, NOW + 2);
	ck_assert_int_eq(pl031_save(&rtc, &s), 0);
	ck_assert_int_eq(pl031_load(&b, &s, NOW + 100), 0);
	ck_assert_uint_eq(b.counted, rtc.counted);
	pl031_tick(&b, NOW + 5);
	ck_assert_int_eq(pl031_irq_level(&b), 1);
	regset_free(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pl031");
	TCase *tc;

	tc = UNIT_TCASE(s, "pl031", dr_is_host_time, lr_sets_time, cr_reads_running,
			id_registers, match_register_stored, imsc_masks_mis, icr_clears_ris,
			alarm_fires_when_counted, alarm_passed_between_looks, alarm_not_by_writes,
			alarm_on_guest_time, state_round_trip);
	tcase_add_checked_fixture(tc, setup, NULL);
	return unit_run(s);
}

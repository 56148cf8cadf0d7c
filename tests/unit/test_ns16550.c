/* ns16550a UART register model (devices/serial/ns16550.c). */
#include "devices/serial/ns16550.h"

#include <string.h>

#include "tests/unit/unit.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NONE	0x01
#define IIR_THRE	0x02
#define IIR_RDA		0x04
#define LSR_DR		0x01
#define LSR_THRE_TEMT	0x60
#define MCR_LOOP	0x10

/* What the model told its owner. */
static struct {
	int irq;		/* last level reported */
	unsigned irq_calls;
	uint8_t tx[256];
	unsigned ntx;
	unsigned rx_room;
} rec;

static void on_irq(void *ctx, int level)
{
	ck_assert_ptr_eq(ctx, &rec);
	ck_assert_int_ne(level, rec.irq);	/* only changes are reported */
	rec.irq = level;
	rec.irq_calls++;
}

static void on_tx(void *ctx, uint8_t byte)
{
	ck_assert_ptr_eq(ctx, &rec);
	ck_assert_uint_lt(rec.ntx, sizeof(rec.tx));
	rec.tx[rec.ntx++] = byte;
}

static void on_rx_room(void *ctx)
{
	ck_assert_ptr_eq(ctx, &rec);
	rec.rx_room++;
}

static const struct ns16550_ops ops = { .irq = on_irq, .tx = on_tx, .rx_room = on_rx_room };
static struct ns16550 u;

static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	ns16550_init(&u, &ops, &rec);
}

static uint8_t rd(unsigned off)
{
	return ns16550_read(&u, off);
}

static void wr(unsigned off, uint8_t val)
{
	ns16550_write(&u, off, val);
}

static size_t push(const char *s)
{
	return ns16550_rx_push(&u, (const uint8_t *)s, strlen(s));
}

START_TEST(thr_write_transmits)
{
	wr(THR, 'h');
	wr(THR, 'i');
	ck_assert_uint_eq(rec.ntx, 2);
	ck_assert_mem_eq(rec.tx, "hi", 2);
	ck_assert_uint_eq(rec.irq_calls, 0);	/* THRI not enabled */
	ck_assert_uint_eq(rd(IIR), IIR_NONE);
}
END_TEST

START_TEST(lsr_always_ready_to_send)
{
	ck_assert_uint_eq(rd(LSR), LSR_THRE_TEMT);
	wr(THR, 'x');
	ck_assert_uint_eq(rd(LSR), LSR_THRE_TEMT);
	wr(IER, IER_RDI);
	push("a");
	ck_assert_uint_eq(rd(LSR), LSR_THRE_TEMT | LSR_DR);
}
END_TEST

START_TEST(thri_raised_and_acknowledged)
{
	wr(IER, IER_THRI);
	ck_assert_int_eq(rec.irq, 1);
	ck_assert_uint_eq(rd(IIR), IIR_THRE);
	ck_assert_int_eq(rec.irq, 0);
	ck_assert_uint_eq(rd(IIR), IIR_NONE);
}
END_TEST

/* The guest output stalls if a THR write does not raise THRI again. */
START_TEST(thr_write_raises_thri_again)
{
	wr(IER, IER_THRI);
	ck_assert_uint_eq(rd(IIR), IIR_THRE);
	wr(THR, 'a');
	ck_assert_uint_eq(rec.ntx, 1);
	ck_assert_int_eq(rec.irq, 1);
	ck_assert_uint_eq(rd(IIR), IIR_THRE);
	ck_assert_int_eq(rec.irq, 0);
	ck_assert_uint_eq(rec.irq_calls, 4);
}
END_TEST

START_TEST(rx_refused_until_rdi)
{
	ck_assert_uint_eq(push("abc"), 0);
	ck_assert_uint_eq(rd(LSR) & LSR_DR, 0);
	ck_assert_uint_eq(rec.rx_room, 0);
	wr(IER, IER_RDI);
	ck_assert_uint_eq(rec.rx_room, 1);	/* the owner may push now */
	ck_assert_uint_eq(push("abc"), 3);
	ck_assert_uint_eq(rd(LSR) & LSR_DR, LSR_DR);
	ck_assert_uint_eq(rd(IIR), IIR_RDA);
	ck_assert_int_eq(rec.irq, 1);
}
END_TEST

/* A guest polling LSR for a key, with the receive interrupt off (a boot
 * loader, kvm-unit-tests): after NS16550_POLLS reads it gets input. */
START_TEST(rx_to_a_polling_guest)
{
	for (int i = 0; i < NS16550_POLLS - 1; i++)
		ck_assert_uint_eq(rd(LSR) & LSR_DR, 0);
	ck_assert_uint_eq(push("k"), 0);
	ck_assert_uint_eq(rec.rx_room, 0);
	rd(LSR);
	ck_assert_uint_eq(rec.rx_room, 1);	/* the owner may push now */
	ck_assert_uint_eq(push("k"), 1);
	ck_assert_uint_eq(rd(LSR) & LSR_DR, LSR_DR);
	ck_assert_uint_eq(rd(RBR), 'k');
	ck_assert_int_eq(rec.irq, 0);		/* no interrupt asked for */
}
END_TEST

/* A console printing reads LSR before each byte it sends: not a poll for
 * input, so bytes typed ahead keep waiting for the driver. */
START_TEST(printing_is_not_polling)
{
	for (int i = 0; i < 4 * NS16550_POLLS; i++) {
		rd(LSR);
		wr(THR, 'x');
	}
	ck_assert_uint_eq(push("k"), 0);
	ck_assert_uint_eq(rec.rx_room, 0);
}
END_TEST

START_TEST(rx_fifo_limit)
{
	char many[NS16550_FIFO + 10];

	memset(many, 'z', sizeof(many) - 1);
	many[sizeof(many) - 1] = '\0';
	wr(IER, IER_RDI);
	ck_assert_uint_eq(push(many), NS16550_FIFO);
	ck_assert_uint_eq(push("y"), 0);
	rd(RBR);
	ck_assert_uint_eq(push("yy"), 1);
}
END_TEST

START_TEST(rbr_pops_in_order)
{
	wr(IER, IER_RDI);
	push("xyz");
	rec.rx_room = 0;
	ck_assert_uint_eq(rd(RBR), 'x');
	ck_assert_uint_eq(rd(RBR), 'y');
	ck_assert_int_eq(rec.irq, 1);
	ck_assert_uint_eq(rd(RBR), 'z');
	ck_assert_uint_eq(rec.rx_room, 3);
	ck_assert_uint_eq(rd(LSR) & LSR_DR, 0);
	ck_assert_uint_eq(rd(IIR), IIR_NONE);
	ck_assert_int_eq(rec.irq, 0);
}
END_TEST

/* Push and pop across the end of the ring buffer. */
START_TEST(rx_ring_wraps)
{
	uint8_t in[NS16550_FIFO + 10];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i + 1);
	wr(IER, IER_RDI);
	ck_assert_uint_eq(ns16550_rx_push(&u, in, sizeof(in)), NS16550_FIFO);
	for (unsigned i = 0; i < 10; i++)
		ck_assert_uint_eq(rd(RBR), in[i]);
	ck_assert_uint_eq(ns16550_rx_push(&u, in + NS16550_FIFO, 10), 10);
	for (unsigned i = 10; i < sizeof(in); i++)
		ck_assert_uint_eq(rd(RBR), in[i]);
	ck_assert_uint_eq(rd(LSR) & LSR_DR, 0);
}
END_TEST

START_TEST(rx_has_priority_over_thri)
{
	wr(IER, IER_RDI | IER_THRI);
	push("q");
	ck_assert_uint_eq(rd(IIR), IIR_RDA);
	ck_assert_uint_eq(rd(RBR), 'q');
	ck_assert_uint_eq(rd(IIR), IIR_THRE);	/* still pending underneath */
	ck_assert_uint_eq(rd(IIR), IIR_NONE);
}
END_TEST

START_TEST(fcr_clear_rx)
{
	wr(IER, IER_RDI);
	push("hello");
	wr(FCR, 0x03);	/* enable + clear RX */
	ck_assert_uint_eq(rd(LSR) & LSR_DR, 0);
	ck_assert_uint_eq(rd(IIR) & 0x0f, IIR_NONE);
	ck_assert_int_eq(rec.irq, 0);
	push("w");
	ck_assert_uint_eq(rd(RBR), 'w');
}
END_TEST

START_TEST(fcr_fifo_bits_in_iir)
{
	wr(FCR, 0x01);
	ck_assert_uint_eq(rd(IIR), 0xc0 | IIR_NONE);
	wr(IER, IER_THRI);
	ck_assert_uint_eq(rd(IIR), 0xc0 | IIR_THRE);
	wr(FCR, 0x00);
	ck_assert_uint_eq(rd(IIR), IIR_NONE);
}
END_TEST

START_TEST(dlab_routes_to_divisor)
{
	wr(IER, IER_RDI);
	wr(LCR, 0x83);
	ck_assert_uint_eq(rd(LCR), 0x83);
	wr(DLL, 0x0c);
	wr(DLM, 0x34);
	ck_assert_uint_eq(rd(DLL), 0x0c);
	ck_assert_uint_eq(rd(DLM), 0x34);
	ck_assert_uint_eq(rec.ntx, 0);		/* not a THR write */
	wr(LCR, 0x03);
	ck_assert_uint_eq(rd(IER), IER_RDI);	/* IER untouched by DLM */
	wr(LCR, 0x83);
	ck_assert_uint_eq(rd(DLL), 0x0c);
}
END_TEST

START_TEST(scratch_round_trip)
{
	wr(SCR, 0x5a);
	ck_assert_uint_eq(rd(SCR), 0x5a);
	wr(SCR, 0xa5);
	ck_assert_uint_eq(rd(SCR), 0xa5);
}
END_TEST

START_TEST(msr_without_loopback)
{
	wr(MCR, 0x0b);
	ck_assert_uint_eq(rd(MSR), 0xb0);	/* DCD, DSR, CTS: far end ready */
	ck_assert_uint_eq(rd(MCR), 0x0b);
}
END_TEST

START_TEST(loopback_msr_follows_mcr)
{
	wr(MCR, 0x1a);	/* loop, OUT2, RTS */
	ck_assert_uint_eq(rd(MSR) >> 4, 0x9);	/* DCD, CTS */
	wr(MCR, 0x15);	/* loop, OUT1, DTR */
	ck_assert_uint_eq(rd(MSR) >> 4, 0x6);	/* RI, DSR */
	wr(MCR, 0x1f);
	ck_assert_uint_eq(rd(MSR) >> 4, 0xf);
	wr(MCR, 0x10);
	ck_assert_uint_eq(rd(MSR) >> 4, 0x0);
}
END_TEST

START_TEST(loopback_thr_to_rbr)
{
	wr(MCR, MCR_LOOP);
	wr(THR, 'L');
	wr(THR, 'b');
	ck_assert_uint_eq(rec.ntx, 0);
	ck_assert_uint_eq(rd(LSR) & LSR_DR, LSR_DR);
	ck_assert_uint_eq(rd(RBR), 'L');
	ck_assert_uint_eq(rd(RBR), 'b');
	wr(MCR, 0);
	wr(THR, 'o');
	ck_assert_uint_eq(rec.ntx, 1);
}
END_TEST

/* In loopback the transmitter still runs (16550 datasheet: interrupts are
 * fully operational in diagnostic mode): a THR write must raise THRI
 * again, or interrupt-driven output stalls exactly as outside loopback. */
START_TEST(loopback_thr_write_raises_thri)
{
	wr(IER, IER_THRI);
	ck_assert_uint_eq(rd(IIR), IIR_THRE);
	wr(MCR, MCR_LOOP);
	wr(THR, 'L');
	ck_assert_uint_eq(rd(IIR), IIR_THRE);
}
END_TEST

/* Host input must not enter the FIFO while the receive interrupt is off
 * (ns16550.h), loopback or not: in loopback the serial input is
 * disconnected anyway, and bytes taken now are lost to the FIFO reset
 * the driver does when it opens the port. */
START_TEST(loopback_refuses_host_input)
{
	wr(MCR, MCR_LOOP);
	ck_assert_uint_eq(push("typed"), 0);
	ck_assert_uint_eq(rd(LSR) & LSR_DR, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ns16550");
	TCase *tc[4];

	tc[0] = UNIT_TCASE(s, "tx", thr_write_transmits, lsr_always_ready_to_send,
			   thri_raised_and_acknowledged, thr_write_raises_thri_again);
	tc[1] = UNIT_TCASE(s, "rx", rx_refused_until_rdi, rx_to_a_polling_guest,
			   printing_is_not_polling, rx_fifo_limit, rbr_pops_in_order,
			   rx_ring_wraps, rx_has_priority_over_thri, fcr_clear_rx);
	tc[2] = UNIT_TCASE(s, "registers", fcr_fifo_bits_in_iir, dlab_routes_to_divisor,
			   scratch_round_trip, msr_without_loopback);
	tc[3] = UNIT_TCASE(s, "loopback", loopback_msr_follows_mcr, loopback_thr_to_rbr,
			   loopback_thr_write_raises_thri, loopback_refuses_host_input);
	for (int i = 0; i < 4; i++)
		tcase_add_checked_fixture(tc[i], setup, NULL);
	return unit_run(s);
}
